package dev.mixtral4j.spi;

import dev.mixtral4j.routing.RoutingListener;

/**
 * One sequence's state on a backend: the KV cache of the tokens seen so far. One thread drives a
 * session at a time; {@link #close()} may come from any thread. Backends extend
 * {@link AbstractBackendSession}, which implements this contract once (checks, batching, position,
 * lifecycle); the interface stays for decorators.
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

    /**
     * {@link #forward(int[], int, boolean)} that checks {@code stop} between the batches it splits
     * the input into, and when it says stop, throws {@link java.util.concurrent.CancellationException}
     * with {@link #position()} after the last batch computed (for prefills that can be cancelled).
     */
    default Logits forward(int[] tokens, int startPosition, boolean allLogits, java.util.function.BooleanSupplier stop) {
        return forward(tokens, startPosition, allLogits);
    }

    /**
     * Sets the listener that receives the routing of every later forward call (one {@link
     * dev.mixtral4j.routing.RoutingTrace} per call, covering exactly the call's tokens, sent before
     * the call returns), or removes it with null. Without a listener a backend must not spend
     * anything on routing traces. A backend that reports routing also says so with {@link
     * Backend#supportsRoutingTraces()}.
     *
     * @throws UnsupportedOperationException when this backend does not report routing (the default)
     */
    default void routingListener(RoutingListener listener) {
        if (listener != null) {
            throw new UnsupportedOperationException(getClass().getName() + " does not report routing traces");
        }
    }

    /**
     * Drops cached tokens from {@code length} on; {@code length == position()} does nothing.
     *
     * @throws IllegalArgumentException for a negative length or one past {@link #position()}
     */
    void truncate(int length);

    @Override
    void close();
}
