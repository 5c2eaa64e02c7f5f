package dev.mixtral4j.routing;

/**
 * Receives where the router sent the tokens of every forward call of a session it is attached to
 * ({@link dev.mixtral4j.Session#attach(RoutingListener)}). Called on the thread that runs the
 * forward call, after the call's last layer and before the call returns; a listener that takes
 * long slows generation by that much. Only backends that declare
 * {@link dev.mixtral4j.spi.Backend#supportsRoutingTraces()} report routing.
 */
@FunctionalInterface
public interface RoutingListener {

    /** One forward call's routing (immutable: it may be kept). */
    void onRouting(RoutingTrace trace);

    /**
     * Whether traces should carry the full router probabilities (the softmax over all experts,
     * for every layer and token) besides the chosen experts. Off by default: they cost memory
     * and, on some backends, a copy per layer.
     */
    default boolean wantsRouterProbabilities() {
        return false;
    }

    /** {@code listener}, asking for the router probabilities too. */
    static RoutingListener withRouterProbabilities(RoutingListener listener) {
        return new RoutingListener() {
            @Override
            public void onRouting(RoutingTrace trace) {
                listener.onRouting(trace);
            }

            @Override
            public boolean wantsRouterProbabilities() {
                return true;
            }
        };
    }
}
