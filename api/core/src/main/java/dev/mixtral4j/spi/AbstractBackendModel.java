package dev.mixtral4j.spi;

import dev.mixtral4j.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The base of every loaded model: it owns the lifecycle once. {@link #newSession} is final: it
 * refuses a closed model and a context longer than the trained one, and registers the session
 * under the same lock {@link #close} takes, so no session can appear while the model closes.
 * {@link #close} refuses new sessions, closes the open ones (each waits for its forward in flight,
 * see {@link AbstractBackendSession#close()}), and only then calls {@link #release}: weights and
 * native handles are never freed under a running computation.
 */
public abstract class AbstractBackendModel implements BackendModel {
    private final Backend backend;
    private final ModelConfig config;
    private final String name;
    private final Set<AbstractBackendSession> sessions = new LinkedHashSet<>();
    private boolean closed;

    /**
     * @param name how messages name the model (usually the file name)
     */
    protected AbstractBackendModel(Backend backend, ModelConfig config, String name) {
        this.backend = backend;
        this.config = config;
        this.name = name;
    }

    /** Opens a session with its own cache; called with the model lock held, never after close. */
    protected abstract AbstractBackendSession openSession(SessionOptions options);

    /** Frees the model's own resources (weights, native model); every session is closed by then. */
    protected abstract void release();

    /** The longest context a session may ask for (the model's trained context unless the backend knows better). */
    protected int maxContextLength() {
        return config.contextLength();
    }

    @Override
    public final Backend backend() {
        return backend;
    }

    @Override
    public final ModelConfig config() {
        return config;
    }

    @Override
    public final BackendSession newSession(SessionOptions options) {
        synchronized (sessions) {
            if (closed) {
                throw new IllegalStateException("model " + name + " is closed");
            }
            if (options.contextLength() > maxContextLength()) {
                throw new IllegalArgumentException("context length " + options.contextLength()
                        + " exceeds the model's trained context " + maxContextLength());
            }
            AbstractBackendSession s = openSession(options);
            s.onClose(() -> forget(s));
            sessions.add(s);
            return s;
        }
    }

    private void forget(AbstractBackendSession s) {
        synchronized (sessions) {
            sessions.remove(s);
        }
    }

    /**
     * One decoding step of several of this model's sessions at once (see {@link
     * BackendModel#forwardEach}). Final, like {@link #newSession}: it refuses a closed model, a
     * session listed twice or opened by another model, then holds every session's lock for the
     * whole call (always taken in the sessions' creation order, so two overlapping calls cannot
     * deadlock; a {@code close} of any of them waits for the step), checks each is open, its token
     * id and its room, and only then calls {@link #computeEach}. On success every position
     * advances by one and each session's routing listener gets its one-token trace; when
     * {@code computeEach} throws, every session's cache from its position counts as lost
     * ({@code discard}) and no position moves.
     */
    @Override
    public final Logits forwardEach(List<? extends BackendSession> sessions, int[] tokens) {
        SessionBatch.checkShape(sessions, tokens);
        List<AbstractBackendSession> ours = new ArrayList<>(sessions.size());
        synchronized (this.sessions) {
            if (closed) {
                throw new IllegalStateException("model " + name + " is closed");
            }
            for (int i = 0; i < sessions.size(); i++) {
                BackendSession s = sessions.get(i);
                if (s instanceof AbstractBackendSession a && a.isClosed()) {
                    throw new IllegalStateException("session " + i + " is closed");
                }
                if (!(s instanceof AbstractBackendSession a) || !this.sessions.contains(a)) {
                    throw new IllegalArgumentException("session " + i + " (" + s + ") is not an open session of "
                            + "model " + name + " on " + backend.id());
                }
                ours.add(a);
            }
        }
        return AbstractBackendSession.forwardEach(this, ours, tokens);
    }

    /**
     * Computes one token for each session: {@code tokens[i]} at {@code positions[i]} (its
     * position) in {@code sessions.get(i)}, storing its key and value in that session's cache, and
     * writes its logits to row {@code i} of {@code logits} ({@code vocabSize} floats from
     * {@code i * vocabSize}). Everything was checked and every session is held for the call; the
     * sessions are this model's, as opened by {@link #openSession}. A session's {@code routing()}
     * trace, when not null, expects the routing of its one token (index 0).
     *
     * <p>The default computes the sessions in turn, each with its own {@code computeBatch}; a
     * backend that can run the step as one pass (one read of each weight for all the sessions)
     * overrides it.
     */
    protected void computeEach(List<AbstractBackendSession> sessions, int[] tokens, int[] positions, float[] logits) {
        int vocab = config.vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            sessions.get(i).computeBatch(new int[] {tokens[i]}, positions[i], 1, logits, i * vocab);
        }
    }

    /** Sessions open now. */
    public final int openSessions() {
        synchronized (sessions) {
            return sessions.size();
        }
    }

    public final boolean isClosed() {
        synchronized (sessions) {
            return closed;
        }
    }

    /** Closes every session (waiting for their computations), then {@link #release}. Idempotent. */
    @Override
    public final void close() {
        List<AbstractBackendSession> open;
        synchronized (sessions) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(sessions);
        }
        RuntimeException failure = null;
        for (AbstractBackendSession s : open) {
            try {
                s.close("session closed: its model " + name + " was closed");
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        release();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + " on " + backend.id() + "]";
    }
}
