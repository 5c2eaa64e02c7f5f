package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityCommandTest {
    private static final Pattern FINAL = Pattern.compile("Final estimate: PPL = ([0-9.]+) \\+/- ([0-9.]+)");

    @TempDir
    static Path dir;
    static Path model;
    static Path text;

    @BeforeAll
    static void writeModelAndText() throws IOException {
        model = SyntheticModel.builder().name("ppl").seed(21).vocabSize(400).contextLength(256)
                .write(dir.resolve("ppl.gguf"));
        // Words in a seeded random order: a text no model has seen, long enough for several windows.
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "birds", "flying", "over",
                "green", "fields", "while", "rain", "fell", "softly", "in", "morning"};
        Random rnd = new Random(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            sb.append(words[rnd.nextInt(words.length)]).append(i % 13 == 12 ? ".\n" : " ");
        }
        text = Files.writeString(dir.resolve("text.txt"), sb.toString());
    }

    static double[] finalEstimate(CliRun run) {
        Matcher m = FINAL.matcher(run.out());
        assertTrue(m.find(), run::toString);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    /**
     * The same windows scored by straightforward code: a fresh session per window, the
     * log-softmax in double, mean and standard error from the list of NLLs.
     */
    static double[] independent(String backend, int ctx, int maxWindows) throws IOException {
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend(backend).threads(2).contextLength(ctx).build())) {
            int[] tokens = m.tokenizer().encode(Files.readString(text), true, false);
            BackendModel bm = m.backendModel(m.backend());
            int windows = Math.min(maxWindows, tokens.length / ctx);
            double[] nlls = new double[windows * (ctx - 1 - ctx / 2)];
            int n = 0;
            for (int w = 0; w < windows; w++) {
                int[] window = Arrays.copyOfRange(tokens, w * ctx, (w + 1) * ctx);
                window[0] = m.tokenizer().bosId();
                try (BackendSession s = bm.newSession(new SessionOptions(ctx, null, ctx))) {
                    Logits logits = s.forward(window, 0, true);
                    for (int pos = ctx / 2; pos < ctx - 1; pos++) {
                        float[] row = logits.row(pos);
                        double max = Double.NEGATIVE_INFINITY;
                        for (float v : row) {
                            max = Math.max(max, v);
                        }
                        double sum = 0;
                        for (float v : row) {
                            sum += Math.exp(v - max);
                        }
                        nlls[n++] = max + Math.log(sum) - row[window[pos + 1]];
                    }
                }
            }
            double mean = Arrays.stream(nlls).average().orElseThrow();
            double var = Arrays.stream(nlls).map(v -> (v - mean) * (v - mean)).sum() / n;
            double ppl = Math.exp(mean);
            return new double[] {ppl, Math.sqrt(var / (n - 1)) * ppl, windows};
        }
    }

    @Test
    void finalEstimateIsTheMeanNllOverTheSecondHalvesOfTheWindows() throws IOException {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--ctx", "32",
                "--backend", "java", "-t", "2");
        assertEquals(0, run.exitCode(), run::toString);
        double[] got = finalEstimate(run);
        double[] expected = independent("java", 32, Integer.MAX_VALUE);
        assertEquals(expected[0], got[0], 1e-4 * expected[0] + 1e-4, run::toString);
        assertEquals(expected[1], got[1], 1e-3 * expected[1] + 1e-5, run::toString);
        // The running value after each window, as llama-perplexity prints it: [1]x,[2]y,...
        int windows = (int) expected[2];
        assertTrue(run.out().contains("[" + windows + "]"), run::toString);
        assertFalse(run.out().contains("[" + (windows + 1) + "]"), run::toString);
        // A random model on an unseen text: perplexity near the vocabulary size, not near 1.
        assertTrue(got[0] > 10, run::toString);
    }

    @Test
    void javaAndLlamaCppGiveTheSameFigureWithinTheirSpread() throws IOException {
        DemoCommandTest.javaBackend();
        BackendProvider llama = Backends.discover().provider("llamacpp").orElse(null);
        assumeTrue(llama != null && llama.availability().available(),
                () -> "llamacpp unavailable: " + (llama == null ? "not on the class path" : llama.availability().reason()));
        // Four windows keep it short: llama.cpp on two cores of a shared machine is slow to set up.
        double[] java = finalEstimate(CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(),
                "--ctx", "64", "--chunks", "4", "--backend", "java", "-t", "2"));
        CliRun llamaRun = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--ctx", "64",
                "--chunks", "4", "--backend", "llamacpp", "-t", "2");
        assertEquals(0, llamaRun.exitCode(), llamaRun::toString);
        double[] cpp = finalEstimate(llamaRun);
        // llama.cpp rounds activations and the KV cache; the figures agree to a fraction of a percent.
        assertEquals(java[0], cpp[0], 0.005 * java[0], () -> "java " + Arrays.toString(java) + " llamacpp "
                + Arrays.toString(cpp));
        // And llama.cpp's logits, scored by the independent code, give what the command printed for them.
        double[] reference = independent("llamacpp", 64, 4);
        assertEquals(reference[0], cpp[0], 1e-4 * reference[0] + 1e-4);
    }

    @Test
    void severalContextsMakeTheCurveAndTooShortOnesAreSkipped() {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--ctx", "16,32,4096",
                "--backend", "java", "-t", "2", "--chunks", "3");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(2, FINAL.matcher(run.out()).results().count(), run::toString);
        assertTrue(run.out().matches("(?s).*\\n\\s+16\\s+3\\s+21\\s.*"), run::toString);
        assertTrue(run.out().matches("(?s).*\\n\\s+32\\s+3\\s+45\\s.*"), run::toString);
        assertTrue(run.out().contains("4096  skipped: needs at least 8192 tokens"), run::toString);
    }

    @Test
    void aTextShorterThanTwoWindowsIsAUsageError() throws IOException {
        DemoCommandTest.javaBackend();
        Path small = Files.writeString(dir.resolve("small.txt"), "just a few words");
        CliRun run = CliRun.of("perplexity", "-m", model.toString(), "-f", small.toString(), "--ctx", "64",
                "--backend", "java");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("needs at least 128 tokens"), run::toString);
    }

    @Test
    void theProgressBarGoesToStderrAndQuietTurnsItOff() {
        DemoCommandTest.javaBackend();
        String before = System.getProperty("mixtral4j.progress");
        System.setProperty("mixtral4j.progress", "always");
        try {
            CliRun shown = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--ctx", "16",
                    "--chunks", "4", "--backend", "java", "-t", "2");
            assertEquals(0, shown.exitCode(), shown::toString);
            assertTrue(shown.err().contains("perplexity ctx 16") && shown.err().contains("4/4"), shown::toString);
            assertTrue(shown.err().contains("PPL "), shown::toString);
            assertFalse(shown.out().contains("perplexity ctx 16"), shown::toString);

            CliRun quiet = CliRun.of("perplexity", "--quiet", "-m", model.toString(), "-f", text.toString(), "--ctx",
                    "16", "--chunks", "4", "--backend", "java", "-t", "2");
            assertEquals(0, quiet.exitCode(), quiet::toString);
            assertFalse(quiet.err().contains("perplexity ctx 16"), quiet::toString);
            // Same lines; the last digits may differ: the java backend's threads do not always sum in one order.
            assertEquals(shown.out().replaceAll("[0-9]+\\.[0-9]+", "X"), quiet.out().replaceAll("[0-9]+\\.[0-9]+", "X"));
            assertEquals(finalEstimate(shown)[0], finalEstimate(quiet)[0], 1e-5 * finalEstimate(shown)[0]);
        } finally {
            if (before == null) {
                System.clearProperty("mixtral4j.progress");
            } else {
                System.setProperty("mixtral4j.progress", before);
            }
        }
    }
}
