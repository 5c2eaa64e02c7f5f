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
