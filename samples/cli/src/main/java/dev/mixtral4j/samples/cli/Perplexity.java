package dev.mixtral4j.samples.cli;

import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.util.Arrays;
import java.util.Locale;

/**
 * Perplexity of a token sequence, computed as llama.cpp's {@code llama-perplexity} computes it so
 * the figures compare directly: the tokens (BOS first) are cut into windows of {@code ctx}
 * tokens (whatever is left over at the end is not used); each window is evaluated from an empty
 * cache, its first token replaced by BOS when the model adds one; only the second half of each
 * window is scored (so every scored token has at least ctx/2 tokens of context): the logits at
 * positions {@code ctx/2 .. ctx-2} predict the tokens that follow them, {@code ctx - 1 - ctx/2}
 * predictions per window. PPL = exp(mean negative log-likelihood); the uncertainty is
 * llama-perplexity's: the standard error of the mean NLL, {@code sqrt((mean(nll^2) - mean(nll)^2)
 * / (n - 1))}, times PPL.
 *
 * <p>Works on any backend through the SPI: one session of {@code ctx} tokens, truncated to 0
 * before each window.
 */
public final class Perplexity {

    /** The running figures after some windows. */
    public record Estimate(int windows, int scored, double nllSum, double nll2Sum) {

        /** exp(mean negative log-likelihood). */
        public double ppl() {
            return Math.exp(nllSum / scored);
        }

        /** llama-perplexity's "+/-": standard error of the mean NLL, times PPL (NaN when undefined). */
        public double uncertainty() {
            double mean = nllSum / scored;
            double variance = nll2Sum / scored - mean * mean;
            return variance > 0 && scored > 1 ? Math.sqrt(variance / (scored - 1)) * ppl() : Double.NaN;
        }

        /** {@code Final estimate: PPL = X +/- Y}, formatted as llama-perplexity prints it. */
        public String finalLine() {
            return String.format(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f", ppl(), uncertainty());
        }

        Estimate add(double nll, double nll2, int n) {
            return new Estimate(windows + 1, scored + n, nllSum + nll, nll2Sum + nll2);
        }
    }

    /** Told after each window. */
    @FunctionalInterface
    public interface Listener {
        void afterWindow(int window, int windows, Estimate running);
    }

    private final int ctx;
    private final int bos;
    private final int batch;

    /**
     * @param ctx   window length in tokens (at least 4)
     * @param bos   the BOS id put first in every window, or -1 for models that add none
     * @param batch most tokens per forward call
     */
    public Perplexity(int ctx, int bos, int batch) {
        if (ctx < 4) {
            throw new IllegalArgumentException("the window must hold at least 4 tokens: " + ctx);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be positive: " + batch);
        }
        this.ctx = ctx;
        this.bos = bos;
        this.batch = batch;
    }

    /** Windows {@code tokens} gives (llama.cpp needs at least 2, i.e. 2 x ctx tokens). */
    public int windows(int tokenCount) {
        return tokenCount / ctx;
    }

    /**
     * Scores up to {@code maxWindows} windows of {@code tokens} (all of them when negative).
     *
     * @throws IllegalArgumentException when the text has fewer than 2 x ctx tokens, as llama-perplexity
     */
    public Estimate compute(BackendModel model, int[] tokens, int maxWindows, Listener listener) {
        if (tokens.length < 2 * ctx) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with a context of "
                    + ctx + " needs at least " + 2 * ctx + " (two windows), as llama-perplexity does");
        }
        int windows = maxWindows < 0 ? windows(tokens.length) : Math.min(maxWindows, windows(tokens.length));
        Estimate running = new Estimate(0, 0, 0, 0);
        try (BackendSession session = model.newSession(new SessionOptions(ctx, null, Math.min(batch, ctx)))) {
            for (int w = 0; w < windows; w++) {
                int[] window = Arrays.copyOfRange(tokens, w * ctx, (w + 1) * ctx);
                if (bos >= 0) {
                    window[0] = bos;
                }
                running = score(session, window, running);
                if (listener != null) {
                    listener.afterWindow(w + 1, windows, running);
                }
            }
        }
        return running;
    }

    private Estimate score(BackendSession session, int[] window, Estimate running) {
        int first = ctx / 2;
        session.truncate(0);
        double nll = 0;
        double nll2 = 0;
        for (int start = 0; start < ctx; start += batch) {
            int end = Math.min(ctx, start + batch);
            // Rows are only needed from `first` on; a chunk wholly before it asks for the last row only.
            boolean wanted = end > first;
            Logits logits = session.forward(Arrays.copyOfRange(window, start, end), start, wanted);
            if (!wanted) {
                continue;
            }
            for (int pos = Math.max(start, first); pos < end && pos < ctx - 1; pos++) {
                double v = negativeLogLikelihood(logits, pos - start, window[pos + 1]);
                nll += v;
                nll2 += v * v;
            }
        }
        return running.add(nll, nll2, ctx - 1 - first);
    }

    /**
     * -log softmax(row)[token], computed as llama-perplexity does: the maximum and the
     * differences in float, the sum of exponentials in double.
     */
    static double negativeLogLikelihood(Logits logits, int row, int token) {
        float[] data = logits.data();
        int base = row * logits.vocabSize();
        float max = data[base];
        for (int i = 1; i < logits.vocabSize(); i++) {
            max = Math.max(max, data[base + i]);
        }
        double sum = 0;
        for (int i = 0; i < logits.vocabSize(); i++) {
            sum += Math.exp(data[base + i] - max);
        }
        return -(data[base + token] - max - Math.log(sum));
    }
}
