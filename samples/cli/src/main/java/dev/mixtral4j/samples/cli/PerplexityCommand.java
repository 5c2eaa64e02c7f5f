package dev.mixtral4j.samples.cli;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mixtral4j perplexity}: llama-perplexity's measure on any backend (see {@link Perplexity}),
 * printed as llama-perplexity prints it so the figures compare directly. Several {@code --ctx}
 * values make the perplexity-vs-context curve.
 */
@Command(name = "perplexity",
        description = {"Perplexity of a text, in windows of --ctx tokens, as llama.cpp's llama-perplexity computes it.",
                "The text (BOS first) is cut into windows of N tokens, each evaluated from an empty cache with BOS as "
                        + "its first token; the second half of each window is scored. Prints the running value per "
                        + "window ([1]x,[2]y,...) and ends with 'Final estimate: PPL = X +/- Y'. Several --ctx values "
                        + "(--ctx 128,256,512) give the perplexity-vs-context curve."})
public final class PerplexityCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file.")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "The text file to score (UTF-8).")
    Path file;

    @Option(names = {"-c", "--ctx"}, defaultValue = "512", split = ",", paramLabel = "N",
            description = "Window length in tokens; several (comma-separated) for a sweep (default: ${DEFAULT-VALUE}, "
                    + "as llama-perplexity).")
    List<Integer> contexts;

    @Option(names = {"-b", "--backend"}, defaultValue = "auto", paramLabel = "ID",
            description = "Backend id, or auto (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch", defaultValue = "512", paramLabel = "N",
            description = "Most tokens per forward call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--chunks", defaultValue = "-1", paramLabel = "N",
            description = "Score at most N windows, as llama-perplexity's --chunks (default: all).")
    int chunks;

    @Spec
    CommandSpec spec;

    /** One point of the curve. */
    record Point(int ctx, Perplexity.Estimate estimate, String skipped) {
    }

    @Override
    public Integer call() throws IOException {
        for (int c : contexts) {
            if (c < 4) {
                throw new UsageException("--ctx must be at least 4: " + c);
            }
        }
        if (batch < 1 || chunks == 0 || chunks < -1) {
            throw new UsageException("--batch must be positive and --chunks positive (or -1 for all)");
        }
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        if (!Files.isRegularFile(file)) {
            throw new UsageException("no such text file: " + file);
        }
        String text = Files.readString(file);
        int maxCtx = contexts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        LoadOptions.Builder lo = LoadOptions.builder().backend(backend).contextLength(maxCtx)
                .batchSize(Math.min(batch, maxCtx));
        if (threads != null) {
            lo.threads(threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Point> curve = new ArrayList<>();
        try (Model m = Mixtral4j.load(model, lo.build())) {
            Tokenizer tokenizer = m.tokenizer();
            boolean addBos = m.file().metadata().findBool("tokenizer.ggml.add_bos_token").orElse(true);
            int[] tokens = tokenizer.encode(text, addBos, false);
            BackendModel bm = m.backendModel(m.backend());
            out.printf("perplexity: %s on %s, %s: %d tokens%n", model.getFileName(), m.backend().id(), file.getFileName(),
                    tokens.length);
            out.flush();
            for (int ctx : contexts) {
                Perplexity ppl = new Perplexity(ctx, addBos ? tokenizer.bosId() : -1, batch);
                if (tokens.length < 2 * ctx) {
                    String why = "needs at least " + 2 * ctx + " tokens (two windows), the text has " + tokens.length;
                    if (contexts.size() == 1) {
                        throw new UsageException("--ctx " + ctx + ": " + why);
                    }
                    curve.add(new Point(ctx, null, why));
                    continue;
                }
                int windows = chunks < 0 ? ppl.windows(tokens.length) : Math.min(chunks, ppl.windows(tokens.length));
                out.printf("ctx %d: %d windows, %d tokens scored in each%n", ctx, windows, ctx - 1 - ctx / 2);
                out.flush();
                Perplexity.Estimate e;
                // On a terminal the bar (on stderr) shares the screen with stdout: the running values
                // then wait for the bar to finish instead of being drawn through it.
                boolean deferred = Progress.wanted(spec) && System.console() != null && System.console().isTerminal();
                StringBuilder held = new StringBuilder();
                try (Progress bar = Progress.start(spec, "perplexity ctx " + ctx, windows, null, 1)) {
                    e = ppl.compute(bm, tokens, windows, (w, total, running) -> {
                        String value = String.format(Locale.ROOT, "[%d]%.4f,", w, running.ppl());
                        if (deferred) {
                            held.append(value);
                        } else {
                            out.print(value);
                            out.flush();
                        }
                        bar.stepTo(w);
                        bar.message(String.format(Locale.ROOT, "PPL %.4f", running.ppl()));
                    });
                }
                out.println(held);
                out.println(e.finalLine());
                out.flush();
                curve.add(new Point(ctx, e, null));
            }
        }
        if (contexts.size() > 1) {
            printCurve(out, curve);
        }
        err.flush();
        return Mixtral4jCli.OK;
    }

    private static void printCurve(PrintWriter out, List<Point> curve) {
        out.println();
        out.printf("%8s %8s %8s %12s %12s%n", "ctx", "windows", "scored", "PPL", "+/-");
        for (Point p : curve) {
            if (p.skipped() != null) {
                out.printf("%8d  skipped: %s%n", p.ctx(), p.skipped());
            } else {
                Perplexity.Estimate e = p.estimate();
                out.printf(Locale.ROOT, "%8d %8d %8d %12.4f %12.5f%n", p.ctx(), e.windows(), e.scored(), e.ppl(),
                        e.uncertainty());
            }
        }
        out.flush();
    }
}
