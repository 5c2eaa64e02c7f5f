package dev.mixtral4j.samples.server;

/**
 * How to serve.
 *
 * @param host         address to listen on (127.0.0.1 keeps the server to this machine)
 * @param port         TCP port; 0 picks a free one (see {@link OpenAiServer#port()})
 * @param parallel     slots: requests computed at once, each with its own KV cache
 * @param queue        requests that may wait for a slot; one more is refused with 503
 * @param modelId      the id clients name in {@code "model"}; null: the file name without .gguf
 * @param maxBodyBytes largest request body accepted
 */
public record ServerOptions(String host, int port, int parallel, int queue, String modelId, long maxBodyBytes) {

    public static final int DEFAULT_QUEUE = 64;

    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1: " + parallel);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("queue must not be negative: " + queue);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024: " + maxBodyBytes);
        }
    }

    /** Loopback, a free port, one slot, {@value #DEFAULT_QUEUE} waiting, 8 MiB bodies. */
    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", 0, 1, DEFAULT_QUEUE, null, 8L << 20);
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, parallel, queue, modelId, maxBodyBytes);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, parallel, queue, modelId, maxBodyBytes);
    }

    public ServerOptions withParallel(int n) {
        return new ServerOptions(host, port, n, queue, modelId, maxBodyBytes);
    }

    public ServerOptions withQueue(int n) {
        return new ServerOptions(host, port, parallel, n, modelId, maxBodyBytes);
    }

    public ServerOptions withModelId(String id) {
        return new ServerOptions(host, port, parallel, queue, id, maxBodyBytes);
    }
}
