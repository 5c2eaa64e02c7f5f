package dev.mixtral4j.samples.cli;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.PrivateFolders;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mixtral4j demo}: one model on every available backend, side by side. Without
 * {@code --model} it writes (once, then reuses) a small synthetic Mixtral, so the demo needs no
 * download. For each backend it prefills a fixed prompt of token ids, generates greedily, and
 * reports the tokens and speeds; then whether the backends agree.
 */
@Command(name = "demo",
        description = {"Runs a model on every available backend and compares them (no download needed).",
                "Without --model, writes a small synthetic Mixtral GGUF (random weights, real structure; cached in "
                        + "the user's private cache folder ~/.cache/mixtral4j/demo). For each available backend: the greedy tokens generated from a fixed "
                        + "prompt of token ids, prompt and generation tokens/s; then whether all backends generated "
                        + "the same tokens and the largest |delta logit| over the prompt."})
public final class DemoCommand implements Callable<Integer> {
    /** A fixed prompt; ids are taken modulo the vocabulary so any model accepts them. */
    static final int[] PROMPT = {1, 42, 314, 159, 265, 358, 979, 323};

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "A GGUF model to use instead of the synthetic one.")
    Path model;

    @Option(names = {"-n", "--tokens"}, defaultValue = "16", paramLabel = "N",
            description = "Tokens to generate on each backend (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--backends", split = ",", paramLabel = "ID",
            description = "Only these backends (default: every available one).")
    List<String> only;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = "--type", defaultValue = "Q8_0", paramLabel = "TYPE",
            description = "Weight type of the synthetic model: F32, F16, Q8_0, Q4_0, Q4_K_M, IQ4_XS... (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the synthetic model is kept (default: the user's cache, ~/.cache/mixtral4j/demo).")
    Path cacheDir;

    @Spec
    CommandSpec spec;

    /** What one backend did. */
    record Run(String backend, int[] generated, Logits promptLogits, float[][] stepLogits, double promptTps,
               double genTps, String failure, String unsupported) {

        static Run failed(String backend, String why) {
            return new Run(backend, null, null, null, 0, 0, why, null);
        }

        static Run unsupported(String backend, String why) {
            return new Run(backend, null, null, null, 0, 0, null, why);
        }

        boolean ran() {
            return failure == null && unsupported == null;
        }
    }

    @Override
    public Integer call() throws IOException {
        if (tokens < 1) {
            throw new UsageException("-n must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        Path file = model != null ? model : syntheticModel(out);
        Backends backends = Backends.discover();
        List<BackendInfo> chosen = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (BackendInfo info : backends.all()) {
            boolean wanted = only == null || only.stream().anyMatch(id -> id.equalsIgnoreCase(info.id()));
            if (!wanted) {
                continue;
            }
            if (info.available()) {
                chosen.add(info);
            } else {
                skipped.add(info.id() + " (" + info.availability().reason() + ")");
            }
        }
        if (only != null) {
            for (String id : only) {
                if (backends.all().stream().noneMatch(i -> i.id().equalsIgnoreCase(id))) {
                    throw new UsageException("unknown backend '" + id + "'; known: " + String.join(", ", backends.ids()));
                }
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalStateException("no backend available: " + (skipped.isEmpty()
                    ? "none found on the class path (add a mixtral4j-backend-* jar)" : String.join("; ", skipped)));
        }

        List<Run> runs = new ArrayList<>();
        try (ModelFile mf = ModelFile.open(file)) {
            ModelConfig c = mf.config();
            int[] prompt = Arrays.stream(PROMPT).map(t -> t % c.vocabSize()).toArray();
            out.printf("model:  %s%n        %s%n", file, describe(c, file));
            out.printf("prompt: %d token ids %s; %d tokens generated greedily on each backend%n%n",
                    prompt.length, Arrays.toString(prompt), tokens);
            int w = Math.max(8, chosen.stream().mapToInt(i -> i.id().length()).max().orElse(8));
            out.printf("%-" + w + "s  %10s  %10s  %s%n", "backend", "prompt t/s", "gen t/s", "generated token ids");
            for (BackendInfo info : chosen) {
                Run r = run(backends, info.id(), mf, prompt);
                runs.add(r);
                if (r.failure() != null) {
                    out.printf("%-" + w + "s  failed: %s%n", r.backend(), r.failure());
                } else if (r.unsupported() != null) {
                    out.printf("%-" + w + "s  cannot run this model: %s%n", r.backend(), r.unsupported());
                } else {
                    out.printf(Locale.ROOT, "%-" + w + "s  %10.1f  %10.1f  %s%n", r.backend(), r.promptTps(), r.genTps(),
                            Arrays.toString(r.generated()));
                }
                out.flush();
            }
        }
        for (String s : skipped) {
            out.printf("not available: %s%n", s);
        }
        out.println();
        boolean agree = printAgreement(out, runs);
        out.flush();
        if (runs.stream().noneMatch(Run::ran)) {
            throw new IllegalStateException("no available backend can run " + file);
        }
        return runs.stream().allMatch(r -> r.failure() == null) && agree ? Mixtral4jCli.OK : Mixtral4jCli.FAILURE;
    }

    private Run run(Backends backends, String id, ModelFile mf, int[] prompt) {
        try {
            Backend backend = backends.get(id);
            var supported = backend.supports(mf);
            if (!supported.available()) {
                return Run.unsupported(id, supported.reason());
            }
            LoadOptions.Builder lo = LoadOptions.builder().backend(id);
            if (threads != null) {
                lo.threads(threads);
            }
            int ctx = Math.min(mf.config().contextLength(), prompt.length + tokens);
            if (ctx < prompt.length + tokens) {
                throw new UsageException("prompt + " + tokens + " tokens exceed the model's context of " + ctx);
            }
            LoadOptions options = lo.contextLength(ctx).build();
            try (BackendModel bm = backend.load(mf, options);
                 BackendSession s = bm.newSession(new SessionOptions(ctx, null, options.batchSize()))) {
                // A short warm-up in a throwaway session so the timings are not just JIT compilation.
                try (BackendSession warm = bm.newSession(new SessionOptions(ctx, null, options.batchSize()))) {
                    warm.forward(prompt, 0, false);
                    warm.forward(new int[] {prompt[0]}, prompt.length, false);
                }
                long t0 = System.nanoTime();
                Logits promptLogits = s.forward(prompt, 0, true);
                long t1 = System.nanoTime();
                int[] generated = new int[tokens];
                float[][] steps = new float[tokens][];
                steps[0] = promptLogits.last();
                for (int i = 0; i < tokens; i++) {
                    generated[i] = argmax(steps[i]);
                    if (i + 1 < tokens) {
                        steps[i + 1] = s.forward(new int[] {generated[i]}, prompt.length + i, false).last();
                    }
                }
                long t2 = System.nanoTime();
                // The first generated token comes from the prefill; tokens-1 decode steps follow.
                double genTps = tokens > 1 ? (tokens - 1) / ((t2 - t1) / 1e9) : Double.NaN;
                return new Run(id, generated, promptLogits, steps, prompt.length / ((t1 - t0) / 1e9), genTps, null, null);
            }
        } catch (UsageException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            return Run.failed(id, Mixtral4jCli.oneLine(e));
        }
    }

    /**
     * Prints whether the backends that ran agree. On the prompt every backend sees the same tokens,
     * so their logits compare directly: the top-1 token must match at every prompt position (the
     * conformance criterion), and the largest |delta logit| shows how close they are. Greedy
     * generation then feeds each backend its own choices, so a small numerical difference (e.g.
     * llama.cpp quantizing activations to 8 bits) where two tokens are close, or one that flips a
     * token's choice of experts, lets the sequences part; that is reported with the margins at the parting step, not counted as a disagreement.
     *
     * @return false when two backends pick different top-1 tokens on the prompt
     */
    static boolean printAgreement(PrintWriter out, List<Run> runs) {
        List<Run> ok = runs.stream().filter(Run::ran).toList();
        if (ok.isEmpty()) {
            out.println("agreement: nothing to compare, no backend ran");
            return false;
        }
        if (ok.size() == 1) {
            out.printf("agreement: only %s ran, nothing to compare it with%n", ok.get(0).backend());
            return true;
        }
        Run ref = ok.get(0);
        boolean identical = true;
        boolean consistent = true;
        for (Run r : ok.subList(1, ok.size())) {
            double delta = maxAbsDelta(ref.promptLogits(), r.promptLogits());
            int promptMismatch = -1;
            for (int p = 0; p < ref.promptLogits().rows() && promptMismatch < 0; p++) {
                if (ref.promptLogits().argmax(p) != r.promptLogits().argmax(p)) {
                    promptMismatch = p;
                }
            }
            int diverge = firstDifference(ref.generated(), r.generated());
            String head = String.format(Locale.ROOT, "agreement: %s vs %s: max |delta logit| over the prompt %.3g; ",
                    r.backend(), ref.backend(), delta);
            if (promptMismatch >= 0) {
                consistent = false;
                identical = false;
                out.printf("%sDIFFERENT top-1 token at prompt position %d (%d vs %d)%n", head, promptMismatch,
                        r.promptLogits().argmax(promptMismatch), ref.promptLogits().argmax(promptMismatch));
            } else if (diverge < 0) {
                out.printf("%ssame top-1 at every prompt position, same %d generated tokens%n", head, ref.generated().length);
            } else {
                identical = false;
                float[] a = ref.stepLogits()[diverge];
                float[] b = r.stepLogits()[diverge];
                int x = ref.generated()[diverge];
                int y = r.generated()[diverge];
                out.printf(Locale.ROOT, "%ssame top-1 at every prompt position; generation parts after %d tokens "
                                + "(%d vs %d): the margin between the two was %.3g in %s's logits, %.3g in %s's%n",
                        head, diverge, y, x, a[x] - a[y], ref.backend(), b[y] - b[x], r.backend());
            }
        }
        out.println(identical ? "The backends agree."
                : consistent ? "The backends agree on the prompt; their greedy generations part later (see above)."
                : "The backends DISAGREE (see above).");
        return consistent;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static double maxAbsDelta(float[] x, float[] y) {
        if (x.length != y.length) {
            return Double.NaN;
        }
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs((double) x[i] - y[i]));
        }
        return m;
    }

    static int firstDifference(int[] a, int[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }

    static double maxAbsDelta(Logits a, Logits b) {
        return a.rows() != b.rows() ? Double.NaN : maxAbsDelta(a.data(), b.data());
    }

    private static String describe(ModelConfig c, Path file) throws IOException {
        return String.format(Locale.ROOT, "%d layers, width %d, %s, heads %d/%d, vocab %d, %s",
                c.blockCount(), c.embeddingLength(),
                c.isMoe() ? c.expertCount() + " experts (" + c.expertUsedCount() + " used)" : "dense",
                c.headCount(), c.headCountKv(), c.vocabSize(), Sizes.bytes(Files.size(file)));
    }

    /** The demo's synthetic Mixtral, written once per settings into the cache directory. */
    private Path syntheticModel(PrintWriter out) throws IOException {
        return syntheticModel(spec, cacheDir, type, out);
    }

    /** The demo's synthetic Mixtral of {@code type}, written once into {@code cacheDir} (null: the temp directory). */
    static Path syntheticModel(CommandSpec spec, Path cacheDir, String type, PrintWriter out) throws IOException {
        SyntheticModel.Builder b = demoModel(type);
        // the user's private cache, not a predictable shared /tmp path that another user could prepare
        Path dir = cacheDir != null ? Files.createDirectories(cacheDir) : PrivateFolders.cacheFolder("demo");
        Path file = dir.resolve("synthetic-mixtral-demo-" + type.toUpperCase(Locale.ROOT) + "-v1.gguf");
        if (!Files.isRegularFile(file)) {
            out.printf("writing a synthetic Mixtral model to %s ...%n", file);
            out.flush();
            SyntheticModelWriter.write(spec, b, file);
        }
        return file;
    }

    /**
     * A Mixtral in miniature: 8 experts of which 2 are used, grouped-query attention, 4 layers;
     * big enough that speeds mean something, small enough to write in a second or two.
     */
    static SyntheticModel.Builder demoModel(String type) {
        return SyntheticModel.builder().name("synthetic-mixtral-demo").seed(2024)
                .embeddingLength(256).layers(4).heads(8).kvHeads(2).feedForwardLength(512)
                .experts(8).expertsUsed(2).vocabSize(1024).contextLength(512)
                .fileType(type);
    }
}
