package dev.mixtral4j.generation;

/**
 * Cancels a generation from any thread. The loop looks at it between prefill chunks and before
 * each decoding step, so a cancel takes effect within one forward pass. Reusable only after
 * {@link #reset()}.
 */
public final class CancelHandle {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void reset() {
        cancelled = false;
    }
}
