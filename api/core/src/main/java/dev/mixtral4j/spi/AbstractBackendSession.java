package dev.mixtral4j.spi;

import dev.mixtral4j.routing.RoutingListener;
import dev.mixtral4j.routing.RoutingTrace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The base of every backend session: it owns the contract of {@link BackendSession} once, so a
 * backend only computes. {@link #forward} is final: it checks the session is open, the input is
 * not empty, every token id is in the vocabulary, the start position is within the cached tokens
 * and the input fits the context, all before anything is computed; it rewinds the cache when the
 * start position is before its end; it splits the input into batches of at most
 * {@link #batchSize()} tokens; and it keeps the position. The backend implements
 * {@link #computeBatch} (the arithmetic of one batch) and {@link #release} (freeing what it holds),
 * and where its cache needs it {@link #discard}.
 *
 * <p>Lifecycle, the same for every backend: one call computes at a time (a lock, so a second
 * thread waits instead of corrupting the cache); {@link #close} marks the session closing, which
 * makes a forward in flight stop at its next batch boundary with an {@link IllegalStateException},
 * waits for it to return, and only then calls {@link #release} — so native memory is never freed
 * under a running computation, and every later call fails with a clear
 * {@link IllegalStateException} instead of touching freed memory.
 */
public abstract class AbstractBackendSession implements BackendSession {
    /** Gives every session its place in the one order in which several sessions' locks are taken. */
    private static final java.util.concurrent.atomic.AtomicLong CREATED = new java.util.concurrent.atomic.AtomicLong();

    private final long lockOrder = CREATED.getAndIncrement();
    private final int contextLength;
    private final int vocabSize;
    private final int batchSize;
    private final ReentrantLock lock = new ReentrantLock();
    /** Set when close begins (the first reason wins); from then on every call fails with it. */
    private final java.util.concurrent.atomic.AtomicReference<String> closeReason = new java.util.concurrent.atomic.AtomicReference<>();
    private boolean released;
    private volatile int position;
    private Runnable onClose = () -> { };
    private volatile RoutingListener routingListener;
    /** The routing of the forward call in progress; null without a listener (nothing recorded). */
    private RoutingTrace.Builder routing;

    /**
     * @param contextLength KV cache capacity in tokens
     * @param vocabSize     valid token ids are {@code [0, vocabSize)}
     * @param batchSize     most tokens one {@link #computeBatch} call gets
     */
    protected AbstractBackendSession(int contextLength, int vocabSize, int batchSize) {
        if (contextLength <= 0 || vocabSize <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("context " + contextLength + ", vocabulary " + vocabSize + ", batch "
                    + batchSize + ": all must be positive");
        }
        this.contextLength = contextLength;
        this.vocabSize = vocabSize;
        this.batchSize = Math.min(batchSize, contextLength);
    }

    /**
     * Computes one batch: runs {@code tokens} at positions {@code position, position+1, ...},
     * storing their keys and values in the cache, and writes the logits of its last
     * {@code rowsWanted} tokens (0, 1 or {@code tokens.length}) to {@code logits} from
     * {@code offset}, row after row. Everything was checked: the ids are in the vocabulary, the
     * batch fits the context, positions before {@code position} are cached. When it throws, the
     * cache from {@code position} on counts as lost ({@link #discard} is called).
     */
    protected abstract void computeBatch(int[] tokens, int position, int rowsWanted, float[] logits, int offset);

    /**
     * Forgets the cached tokens from {@code from} on. The default does nothing, for caches whose
     * rows past the position are simply overwritten by the next batch.
     */
    protected void discard(int from) {
    }

    /**
     * Frees what the session holds (cache, buffers, threads, native handles). Called once, from
     * {@link #close}, when no computation is running and none can start.
     */
    protected abstract void release();

    /**
     * Refuses, before anything is computed, an input the backend cannot compute correctly (e.g.
     * positions past a sliding window it does not apply). The default accepts everything the
     * contract allows.
     *
     * @throws UnsupportedOperationException saying what is not supported
     */
    protected void refuseUnsupported(int startPosition, int count) {
    }

    /**
     * The shape of this session's routing traces, for a backend that reports routing: the model's
     * config when it is a mixture of experts. The default, null, reports none: {@link
     * #routingListener} then refuses a listener.
     */
    protected dev.mixtral4j.model.ModelConfig routedModel() {
        return null;
    }

    /**
     * Called (under the session's lock, no computation running) when the first listener is
     * attached ({@code true}) or the last removed; for backends that must set something up to
     * report routing. The default does nothing.
     */
    protected void routingAttached(boolean attached) {
    }

    /**
     * The trace of the forward call in progress, for {@link #computeBatch} to fill (index of a
     * token = its position minus {@link RoutingTrace.Builder#startPosition()}); null when no
     * listener is attached, in which case nothing is to be recorded or copied.
     */
    protected final RoutingTrace.Builder routing() {
        return routing;
    }

    /**
     * Attaches (or with null removes) the routing listener; only for backends whose
     * {@link #routedModel()} is not null.
     */
    @Override
    public final void routingListener(RoutingListener listener) {
        lock.lock();
        try {
            ensureOpen();
            if (listener != null && routedModel() == null) {
                throw new UnsupportedOperationException(getClass().getName() + " does not report routing traces"
                        + " for this model");
            }
            if ((listener != null) != (routingListener != null)) {
                routingAttached(listener != null);
            }
            routingListener = listener;
        } finally {
            lock.unlock();
        }
    }

    /** Called once after {@link #release}; the model uses it to forget the session. */
    final void onClose(Runnable action) {
        this.onClose = action;
    }

    @Override
    public final int contextLength() {
        return contextLength;
    }

    @Override
    public final int position() {
        return position;
    }

    /** Most tokens one {@link #computeBatch} call gets. */
    public final int batchSize() {
        return batchSize;
    }

    public final int vocabSize() {
        return vocabSize;
    }

    /** True once {@link #close} has begun. */
    public final boolean isClosed() {
        return closeReason.get() != null;
    }

    @Override
    public final Logits forward(int[] tokens, int startPosition, boolean allLogits) {
        return forward(tokens, startPosition, allLogits, () -> false);
    }

    @Override
    public final Logits forward(int[] tokens, int startPosition, boolean allLogits, BooleanSupplier stop) {
        lock.lock();
        try {
            ensureOpen();
            check(tokens, startPosition);
            refuseUnsupported(startPosition, tokens.length);
            if (startPosition < position) {
                discard(startPosition);
                position = startPosition;
            }
            int n = tokens.length;
            float[] out = new float[(allLogits ? n : 1) * vocabSize];
            RoutingListener listener = routingListener;
            dev.mixtral4j.model.ModelConfig routed = listener == null ? null : routedModel();
            routing = routed == null ? null : RoutingTrace.builder(startPosition, tokens, routed.blockCount(),
                    routed.expertCount(), routed.expertUsedCount(), listener.wantsRouterProbabilities());
            for (int done = 0; done < n; ) {
                if (done > 0) {
                    String closed = closeReason.get();
                    if (closed != null) {
                        throw new IllegalStateException(closed + " while computing (" + done + " of " + n
                                + " tokens done)");
                    }
                    if (stop.getAsBoolean()) {
                        throw new CancellationException("stopped after " + done + " of " + n + " tokens");
                    }
                }
                int b = Math.min(batchSize, n - done);
                boolean last = done + b == n;
                int rows = allLogits ? b : last ? 1 : 0;
                int at = position;
                try {
                    computeBatch(Arrays.copyOfRange(tokens, done, done + b), at, rows, out,
                            allLogits ? done * vocabSize : 0);
                } catch (RuntimeException | Error e) {
                    try {
                        discard(at);
                    } catch (RuntimeException x) {
                        e.addSuppressed(x);
                    }
                    position = at;
                    routing = null;
                    throw e;
                }
                position = at + b;
                done += b;
            }
            if (routing != null) {
                RoutingTrace trace = routing.build();
                routing = null;
                listener.onRouting(trace);
            }
            return new Logits(allLogits ? n : 1, vocabSize, out);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The body of {@link AbstractBackendModel#forwardEach}: the sessions are distinct and the
     * model's. Takes every session's lock in creation order (so that two calls over overlapping
     * sessions, or a call and a close, never wait on each other in a cycle), checks each one,
     * then lets the model compute the step.
     */
    static Logits forwardEach(AbstractBackendModel model, List<AbstractBackendSession> sessions, int[] tokens) {
        List<AbstractBackendSession> ordered = new ArrayList<>(sessions);
        ordered.sort(Comparator.comparingLong(s -> s.lockOrder));
        int locked = 0;
        try {
            for (AbstractBackendSession s : ordered) {
                s.lock.lock();
                locked++;
            }
            int n = sessions.size();
            int vocab = sessions.getFirst().vocabSize;
            int[] positions = new int[n];
            for (int i = 0; i < n; i++) {
                AbstractBackendSession s = sessions.get(i);
                String closed = s.closeReason.get();
                if (closed != null) {
                    throw new IllegalStateException("session " + i + ": " + closed);
                }
                SessionBatch.checkToken(i, tokens[i], s.vocabSize);
                SessionBatch.checkRoom(i, s.position, s.contextLength);
                s.refuseUnsupported(s.position, 1);
                positions[i] = s.position;
            }
            RoutingListener[] listeners = new RoutingListener[n];
            for (int i = 0; i < n; i++) {
                AbstractBackendSession s = sessions.get(i);
                RoutingListener listener = s.routingListener;
                dev.mixtral4j.model.ModelConfig routed = listener == null ? null : s.routedModel();
                listeners[i] = routed == null ? null : listener;
                s.routing = routed == null ? null : RoutingTrace.builder(positions[i], new int[] {tokens[i]},
                        routed.blockCount(), routed.expertCount(), routed.expertUsedCount(),
                        listener.wantsRouterProbabilities());
            }
            float[] out = new float[n * vocab];
            try {
                model.computeEach(Collections.unmodifiableList(sessions), tokens.clone(), positions.clone(), out);
            } catch (RuntimeException | Error e) {
                for (int i = 0; i < n; i++) {
                    AbstractBackendSession s = sessions.get(i);
                    s.routing = null;
                    try {
                        s.discard(positions[i]);
                    } catch (RuntimeException x) {
                        e.addSuppressed(x);
                    }
                    s.position = positions[i];
                }
                throw e;
            }
            RoutingTrace[] traces = new RoutingTrace[n];
            for (int i = 0; i < n; i++) {
                AbstractBackendSession s = sessions.get(i);
                s.position = positions[i] + 1;
                if (listeners[i] != null) {
                    traces[i] = s.routing.build();
                    s.routing = null;
                }
            }
            RuntimeException failure = null;
            for (int i = 0; i < n; i++) {
                if (traces[i] != null) {
                    try {
                        listeners[i].onRouting(traces[i]);
                    } catch (RuntimeException e) {
                        // every listener gets its trace; the first failure is reported after
                        if (failure == null) {
                            failure = e;
                        } else {
                            failure.addSuppressed(e);
                        }
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            return new Logits(n, vocab, out);
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                ordered.get(i).lock.unlock();
            }
        }
    }

    private void check(int[] tokens, int startPosition) {
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to run");
        }
        if (startPosition < 0 || startPosition > position) {
            throw new IllegalArgumentException("start position " + startPosition + " is outside 0.." + position
                    + " (the tokens cached so far)");
        }
        if ((long) startPosition + tokens.length > contextLength) {
            throw new IllegalArgumentException(tokens.length + " tokens from position " + startPosition
                    + " overflow the context of " + contextLength + " tokens");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    /**
     * Drops the cached tokens from {@code length} on. {@code length == position()} does nothing;
     * a length past the position (or negative) is an {@link IllegalArgumentException}: the same
     * contract on every backend.
     */
    @Override
    public final void truncate(int length) {
        lock.lock();
        try {
            ensureOpen();
            if (length < 0 || length > position) {
                throw new IllegalArgumentException("cannot truncate the " + position + " cached tokens to " + length
                        + ": the length must be within 0.." + position);
            }
            if (length < position) {
                discard(length);
                position = length;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the session: a forward in flight stops at its next batch boundary, this call waits
     * for it, then {@link #release} frees the resources. Idempotent, any thread.
     */
    @Override
    public final void close() {
        close("session closed");
    }

    /** {@link #close()} with the reason later calls report (e.g. "its model was closed"). */
    final void close(String reason) {
        closeReason.compareAndSet(null, reason);
        lock.lock();
        try {
            if (released) {
                return;
            }
            released = true;
            try {
                release();
            } finally {
                onClose.run();
            }
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        String closed = closeReason.get();
        if (closed != null) {
            throw new IllegalStateException(closed);
        }
    }
}
