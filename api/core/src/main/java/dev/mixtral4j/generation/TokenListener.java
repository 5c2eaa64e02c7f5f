package dev.mixtral4j.generation;

/**
 * Receives a generation as it happens, on the generating thread. An exception thrown here stops
 * the generation and propagates to the caller.
 */
@FunctionalInterface
public interface TokenListener {

    void onToken(GeneratedToken token);

    /** A listener that ignores everything. */
    static TokenListener none() {
        return token -> { };
    }
}
