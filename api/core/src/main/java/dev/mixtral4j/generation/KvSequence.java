package dev.mixtral4j.generation;

import dev.mixtral4j.spi.BackendModel;
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
    /** Gives every sequence its place in the one order in which several sequences are locked. */
    private static final java.util.concurrent.atomic.AtomicLong CREATED = new java.util.concurrent.atomic.AtomicLong();

    private final long lockOrder = CREATED.getAndIncrement();
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

    /**
     * One decoding step of several sequences at once, through {@link BackendModel#forwardEach}
     * (one pass over the weights for all of them where the backend can): {@code tokens[i]} is
     * appended to {@code sequences.get(i)} and computed, and entry {@code i} of the result is the
     * logits after it. A sequence whose last token is still pending (a generation ended with it)
     * has it computed first, in one step with the other pending ones. The sequences must be
     * distinct sessions of {@code model}; each is held (its lock, taken in creation order) for the
     * whole call. When the backend fails, each sequence keeps what its session still holds.
     */
    public static java.util.List<float[]> decodeTogether(BackendModel model, java.util.List<KvSequence> sequences,
                                                         int[] tokens) {
        if (sequences.size() != tokens.length) {
            throw new IllegalArgumentException(sequences.size() + " sequences but " + tokens.length
                    + " tokens: give one token per sequence");
        }
        java.util.List<KvSequence> ordered = new java.util.ArrayList<>(sequences);
        ordered.sort(java.util.Comparator.comparingLong(q -> q.lockOrder));
        for (int i = 1; i < ordered.size(); i++) {
            if (ordered.get(i) == ordered.get(i - 1)) {
                throw new IllegalArgumentException("a sequence is listed twice: a sequence decodes one token per step");
            }
        }
        return lockedFrom(ordered, 0, () -> decodeLocked(model, sequences, tokens));
    }

    /** Runs {@code body} holding the monitors of {@code ordered[from..]}, taken in that order. */
    private static <T> T lockedFrom(java.util.List<KvSequence> ordered, int from, java.util.function.Supplier<T> body) {
        if (from == ordered.size()) {
            return body.get();
        }
        synchronized (ordered.get(from)) {
            return lockedFrom(ordered, from + 1, body);
        }
    }

    private static java.util.List<float[]> decodeLocked(BackendModel model, java.util.List<KvSequence> sequences,
                                                        int[] tokens) {
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).closed) {
                throw new IllegalStateException("sequence " + i + ": the backend session is closed");
            }
        }
        java.util.List<KvSequence> pending = new java.util.ArrayList<>();
        for (KvSequence q : sequences) {
            if (q.hasPending()) {
                pending.add(q);
            }
        }
        if (!pending.isEmpty()) {
            int[] last = new int[pending.size()];
            for (int i = 0; i < last.length; i++) {
                KvSequence q = pending.get(i);
                last[i] = q.tokens[q.evaluated];
            }
            step(model, pending, last);
            for (KvSequence q : pending) {
                q.evaluated++;
            }
        }
        Logits logits = step(model, sequences, tokens);
        java.util.List<float[]> rows = new java.util.ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            KvSequence q = sequences.get(i);
            q.tokens = Arrays.copyOf(q.tokens, q.tokens.length + 1);
            q.tokens[q.tokens.length - 1] = tokens[i];
            q.evaluated++;
            rows.add(logits.row(i));
        }
        return rows;
    }

    /** One forwardEach; on failure each sequence trusts only what its session still holds. */
    private static Logits step(BackendModel model, java.util.List<KvSequence> sequences, int[] tokens) {
        java.util.List<BackendSession> sessions = new java.util.ArrayList<>(sequences.size());
        for (KvSequence q : sequences) {
            sessions.add(q.session);
        }
        try {
            return model.forwardEach(sessions, tokens);
        } catch (RuntimeException e) {
            for (KvSequence q : sequences) {
                q.evaluated = Math.min(q.evaluated, q.session.position());
                q.tokens = Arrays.copyOf(q.tokens, Math.max(q.evaluated, Math.min(q.tokens.length, q.evaluated + 1)));
            }
            throw e;
        }
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
