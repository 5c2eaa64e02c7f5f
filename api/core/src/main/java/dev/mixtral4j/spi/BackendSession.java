package dev.mixtral4j.spi;

/**
 * One sequence's state on a backend: the KV cache of the tokens seen so far. Not thread-safe;
 * one thread drives a session at a time.
 */
public interface BackendSession extends AutoCloseable {

    /** KV cache capacity in tokens. */
    int contextLength();

    /** Tokens currently held in the KV cache (the next position to fill). */
    int position();

    /**
     * Runs the model over {@code tokens} placed at positions {@code startPosition,
     * startPosition+1, ...}. If {@code startPosition < position()} the cache is first truncated
     * to {@code startPosition}. Token ids are checked against the vocabulary and positions
     * against the context before any arithmetic.
     *
     * @param allLogits true to return one row of logits per token, false for the last token only
     * @throws IllegalArgumentException for an empty input, a bad token id, {@code startPosition >
     *         position()}, or a sequence that would overflow the context
     */
    Logits forward(int[] tokens, int startPosition, boolean allLogits);

    /** Drops cached tokens from {@code length} on. */
    void truncate(int length);

    @Override
    void close();
}
