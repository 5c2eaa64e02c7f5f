package dev.mixtral4j.generation;

import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import java.util.Arrays;
import java.util.concurrent.CancellationException;

/**
 * A backend session together with the tokens it has seen: the first {@link #evaluatedCount()}
 * are in its KV cache, and at most one more (the last token sampled) is known but not yet
 * computed. This is what lets a new prompt reuse the cached prefix it shares with the history,
 * and what a transfer to another backend replays.
 *
 * <p>It does not split inputs: the backend session does (one batching layer, the session's batch
 * size), and stops between its batches when a prefill is cancelled or the session closes.
 * {@link #close()} from another thread closes the backend session, which waits for a forward call
 * in flight to stop; after close every forward call fails with an {@link IllegalStateException}.
 */
public final class KvSequence implements AutoCloseable {
    private final BackendSession session;
    private int[] tokens = new int[0];
    private int evaluated;
    private volatile boolean closed;

    public KvSequence(BackendSession session) {
        this.session = session;
        if (session.position() != 0) {
            session.truncate(0);
        }
    }

    /** Sets (or with null removes) the backend session's routing listener, never during a forward call. */
    public synchronized void routingListener(dev.mixtral4j.routing.RoutingListener listener) {
        if (closed) {
            throw new IllegalStateException("session closed");
        }
        session.routingListener(listener);
    }

    public BackendSession session() {
        return session;
    }

    public int contextLength() {
        return session.contextLength();
    }

    /** Every token of the sequence, the pending one included. */
    public synchronized int[] tokens() {
        return tokens.clone();
    }

    public synchronized int size() {
        return tokens.length;
    }

    /** Tokens held in the KV cache (a prefix of {@link #tokens()}). */
    public synchronized int evaluatedCount() {
        return evaluated;
    }

    /** Tokens shared at the start of the KV cache and {@code prompt}. */
    public synchronized int commonPrefix(int[] prompt) {
        int n = Math.min(evaluated, prompt.length);
        int i = 0;
        while (i < n && tokens[i] == prompt[i]) {
            i++;
        }
        return i;
    }

    /**
     * Makes the sequence exactly {@code prompt}, computing only what is not cached already, and
     * returns the logits after its last token. The last prompt token is always computed (its
     * logits are needed), so at most {@code prompt.length - 1} tokens are reused.
     *
     * @param cancelled checked between the session's batches; when true, returns null with the
     *                  sequence holding the batches computed so far
     * @return the last row of logits, or null when cancelled
     */
    public synchronized float[] prefill(int[] prompt, java.util.function.BooleanSupplier cancelled) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt: nothing to generate from (add BOS?)");
        }
        if (prompt.length > session.contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context of "
                    + session.contextLength() + " tokens");
        }
        int start = Math.min(commonPrefix(prompt), prompt.length - 1);
        keep(start);
        if (cancelled.getAsBoolean()) {
            return null;
        }
        tokens = prompt.clone();
        try {
            Logits logits = forward(Arrays.copyOfRange(prompt, start, prompt.length), start, cancelled);
            evaluated = prompt.length;
            return logits.last();
        } catch (CancellationException e) {
            evaluated = Math.min(session.position(), prompt.length);
            tokens = Arrays.copyOf(prompt, evaluated);
            return null;
        }
    }

    /**
     * Appends a sampled token without computing it. It becomes the pending token; the previous
     * pending token, if any, must have been computed with {@link #evaluatePending()} first.
     */
    public synchronized void append(int token) {
        if (tokens.length != evaluated) {
            throw new IllegalStateException("a token is already pending");
        }
        tokens = Arrays.copyOf(tokens, tokens.length + 1);
        tokens[tokens.length - 1] = token;
    }

    /** True when the last token is known but not in the KV cache yet. */
    public synchronized boolean hasPending() {
        return tokens.length > evaluated;
    }

    /** Computes the pending token and returns the logits after it. */
    public synchronized float[] evaluatePending() {
        if (!hasPending()) {
            throw new IllegalStateException("no pending token");
        }
        Logits logits = forward(new int[] {tokens[evaluated]}, evaluated, () -> false);
        evaluated++;
        return logits.last();
    }

    /** Forgets everything from {@code length} on. */
    public synchronized void keep(int length) {
        if (length < 0 || length > tokens.length) {
            throw new IllegalArgumentException("cannot keep " + length + " of " + tokens.length + " tokens");
        }
        if (length < evaluated) {
            session.truncate(length);
            evaluated = length;
        }
        tokens = Arrays.copyOf(tokens, length);
    }

    /**
     * A new sequence on {@code target} with the same tokens: the cached ones are computed there
     * again (the target session splits them into its batches), the pending one stays pending.
     * This sequence is left untouched; on failure the target session is left to the caller.
     */
    public synchronized KvSequence replayInto(BackendSession target) {
        KvSequence copy = new KvSequence(target);
        if (evaluated > 0) {
            copy.forward(Arrays.copyOf(tokens, evaluated), 0, () -> false);
            copy.evaluated = evaluated;
        }
        copy.tokens = tokens.clone();
        return copy;
    }

    private Logits forward(int[] input, int start, java.util.function.BooleanSupplier stop) {
        if (closed) {
            throw new IllegalStateException("the backend session is closed");
        }
        try {
            return session.forward(input, start, false, stop);
        } catch (RuntimeException e) {
            // Trust only what the backend says it still holds.
            evaluated = Math.min(evaluated, Math.min(start, session.position()));
            tokens = Arrays.copyOf(tokens, Math.min(tokens.length, evaluated));
            throw e;
        }
    }

    /**
     * Closes the backend session. Not synchronized: a forward call in flight holds this object's
     * lock, and the backend session's close makes it stop at its next batch and waits for it.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
