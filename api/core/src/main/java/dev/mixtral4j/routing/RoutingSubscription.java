package dev.mixtral4j.routing;

/** A listener's attachment to a session; closing it detaches the listener. Idempotent. */
@FunctionalInterface
public interface RoutingSubscription extends AutoCloseable {
    @Override
    void close();
}
