package dev.mixtral4j.generation;

/**
 * The outcome of a generation.
 *
 * @param text       the generated text, without stop strings and stop tokens (empty without a tokenizer)
 * @param tokens     every sampled token, including a final end-of-generation or stop token
 * @param stopReason why it ended
 * @param stopString the stop string that ended it, or null
 * @param stats      timings and counts
 */
public record GenerationResult(String text, int[] tokens, StopReason stopReason, String stopString,
                               GenerationStats stats) {

    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public String toString() {
        return "GenerationResult[" + tokens.length + " tokens, " + stopReason + ", text=" + text + "]";
    }
}
