package dev.mixtral4j.generation;

import java.time.Duration;

/**
 * Figures of one generation. Times are wall-clock nanoseconds measured with
 * {@link System#nanoTime()} from the start of the generation.
 *
 * @param promptTokens      tokens of the prompt
 * @param prefilledTokens   prompt tokens actually computed (the rest were reused from the KV cache)
 * @param promptNanos       time spent on the prefill
 * @param generatedTokens   tokens sampled (stop tokens included)
 * @param timeToFirstTokenNanos from the start until the first token was sampled (-1 when none was)
 * @param totalNanos        from the start until the generation ended
 * @param stopReason        why it ended
 */
public record GenerationStats(int promptTokens, int prefilledTokens, long promptNanos, int generatedTokens,
                              long timeToFirstTokenNanos, long totalNanos, StopReason stopReason) {

    /** Time spent generating after the prefill. */
    public long generationNanos() {
        return totalNanos - promptNanos;
    }

    /** Prefilled tokens per second (0 when nothing was prefilled). */
    public double promptTokensPerSecond() {
        return perSecond(prefilledTokens, promptNanos);
    }

    /** Generated tokens per second over the time after the prefill (0 when none). */
    public double generatedTokensPerSecond() {
        return perSecond(generatedTokens, generationNanos());
    }

    public Duration timeToFirstToken() {
        return timeToFirstTokenNanos < 0 ? Duration.ZERO : Duration.ofNanos(timeToFirstTokenNanos);
    }

    private static double perSecond(int tokens, long nanos) {
        return tokens == 0 || nanos <= 0 ? 0 : tokens * 1e9 / nanos;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "prompt %d tokens (%d computed) %.1f tok/s, generated %d tokens %.1f tok/s, first token after %.1f ms, %s",
                promptTokens, prefilledTokens, promptTokensPerSecond(), generatedTokens, generatedTokensPerSecond(),
                timeToFirstTokenNanos / 1e6, stopReason);
    }
}
