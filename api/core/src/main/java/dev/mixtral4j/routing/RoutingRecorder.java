package dev.mixtral4j.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link RoutingListener} that joins the traces of consecutive forward calls into one trace of
 * the whole sequence, as the session's KV cache holds it: a call that restarts at an earlier
 * position replaces the routing recorded from there on. Thread-safe.
 */
public final class RoutingRecorder implements RoutingListener {
    private final boolean probabilities;
    /** Contiguous stretches, in position order; joined only when asked for. */
    private final List<RoutingTrace> parts = new ArrayList<>();

    /** A recorder of the chosen experts and weights only. */
    public RoutingRecorder() {
        this(false);
    }

    /** @param withRouterProbabilities whether to ask backends for the full router probabilities too */
    public RoutingRecorder(boolean withRouterProbabilities) {
        this.probabilities = withRouterProbabilities;
    }

    @Override
    public synchronized void onRouting(RoutingTrace trace) {
        int start = trace.startPosition();
        if (!parts.isEmpty()) {
            RoutingTrace first = parts.getFirst();
            RoutingTrace last = parts.getLast();
            int end = last.startPosition() + last.tokenCount();
            if (start < first.startPosition() || start > end) {
                // a restart before what was recorded, or a gap (positions computed while no recorder
                // was attached): keep the newest stretch only
                parts.clear();
            } else {
                while (!parts.isEmpty() && parts.getLast().startPosition() >= start) {
                    parts.removeLast();
                }
                if (!parts.isEmpty()) {
                    RoutingTrace tail = parts.removeLast();
                    int keep = start - tail.startPosition();
                    parts.add(keep == tail.tokenCount() ? tail : tail.slice(0, keep));
                }
            }
        }
        parts.add(trace);
    }

    @Override
    public boolean wantsRouterProbabilities() {
        return probabilities;
    }

    /** The routing of the sequence so far (from the first position recorded), or empty before any call. */
    public synchronized Optional<RoutingTrace> trace() {
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        if (parts.size() > 1) {
            RoutingTrace joined = RoutingTrace.concat(parts);
            parts.clear();
            parts.add(joined);
        }
        return Optional.of(parts.getFirst());
    }

    /** Forgets what was recorded. */
    public synchronized void clear() {
        parts.clear();
    }
}
