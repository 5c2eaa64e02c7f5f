package dev.mixtral4j.spi;

/**
 * One step of a sampler chain (after llama.cpp's {@code llama_sampler_i}): {@link #apply}
 * transforms the candidates, {@link #accept} observes the token finally chosen (for
 * penalties), {@link #reset} forgets history, {@link #copy} clones the state.
 */
public interface Sampler {

    String name();

    void apply(Candidates candidates);

    /**
     * True when {@link #apply} always ends by choosing a token ({@link Candidates#select});
     * a chain must end with such a sampler (greedy, dist).
     */
    default boolean selectsToken() {
        return false;
    }

    default void accept(int token) {
    }

    default void reset() {
    }

    /** An independent copy with the same configuration and state. */
    Sampler copy();
}
