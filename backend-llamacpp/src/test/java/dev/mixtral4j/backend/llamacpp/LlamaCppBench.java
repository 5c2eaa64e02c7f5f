package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ServiceLoader;
import java.util.SplittableRandom;

/**
 * The llama.cpp backend measured the way llama.cpp's {@code llama-bench} measures itself, through
 * the SPI only (what a user of the backend gets): {@code ppN} = one forward of N random tokens
 * from an empty cache, last logits only; {@code tgN} = N single-token forwards from an empty cache;
 * one warm-up run of each, then {@code reps} timed runs, tokens/s as mean ± sample deviation.
 * Not a test: run it by hand (see docs/benchmarks.md).
 *
 * <pre>usage: LlamaCppBench model.gguf [threads=2] [prompt=512] [gen=128] [reps=3]</pre>
 */
public final class LlamaCppBench {
    private LlamaCppBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int gen = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int reps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.id().equals("llamacpp")).findFirst().orElseThrow();
        LoadOptions options = LoadOptions.builder().backend("llamacpp").threads(threads).build();
        try (ModelFile model = ModelFile.open(file);
             BackendModel loaded = provider.backend().load(model, options);
             BackendSession session = loaded.newSession(new SessionOptions(prompt + gen, null, Math.max(1, prompt)))) {
            int vocab = model.config().vocabSize();
            SplittableRandom random = new SplittableRandom(1);
            if (prompt > 0) {
                report(file, threads, "pp" + prompt, prompt, measure(reps, () -> {
                    int[] tokens = random.ints(prompt, 0, vocab).toArray();
                    tokens[0] = 1;
                    session.forward(tokens, 0, false);
                }));
            }
            if (gen > 0) {
                report(file, threads, "tg" + gen, gen, measure(reps, () -> {
                    session.truncate(0);
                    int token = 1;
                    for (int i = 0; i < gen; i++) {
                        session.forward(new int[] {token}, i, false);
                        token = random.nextInt(vocab);
                    }
                }));
            }
        }
    }

    private static double[] measure(int reps, Runnable run) {
        run.run(); // warm-up
        double[] seconds = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            run.run();
            seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        return seconds;
    }

    private static void report(Path file, int threads, String test, int tokens, double[] seconds) {
        double[] rates = Arrays.stream(seconds).map(s -> tokens / s).toArray();
        double mean = Arrays.stream(rates).average().orElse(0);
        double var = rates.length < 2 ? 0 : Arrays.stream(rates).map(r -> (r - mean) * (r - mean)).sum() / (rates.length - 1);
        System.out.printf("| %s | mixtral4j llamacpp | %d | %s | %.2f ± %.2f |%n", file.getFileName(), threads, test, mean, Math.sqrt(var));
    }
}
