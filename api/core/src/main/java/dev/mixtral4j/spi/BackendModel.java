package dev.mixtral4j.spi;

import dev.mixtral4j.model.ModelConfig;

/** A model loaded into a backend. Thread-safe: sessions may run on different threads. */
public interface BackendModel extends AutoCloseable {

    Backend backend();

    ModelConfig config();

    /** A new session with its own KV cache. */
    BackendSession newSession(SessionOptions options);

    /** Frees what the backend holds for this model; open sessions become unusable. */
    @Override
    void close();
}
