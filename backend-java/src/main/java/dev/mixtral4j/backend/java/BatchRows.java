package dev.mixtral4j.backend.java;

import dev.mixtral4j.routing.RoutingTrace;
import java.util.Arrays;

/**
 * Where each token (row) of a batch belongs: the KV cache of its sequence, its position there,
 * and the routing trace (and the token's index in it) to record its expert choices to. A prefill
 * batch is one sequence at consecutive positions; a batched decode step is one token of each of
 * several sequences, each at its own position in its own cache.
 */
record BatchRows(KvCache[] caches, int[] positions, RoutingTrace.Builder[] traces, int[] traceIndex) {

    /** {@code count} tokens of one sequence at positions {@code p0, p0+1, ...}. */
    static BatchRows ofSequence(KvCache kv, int p0, int count, RoutingTrace.Builder routing) {
        KvCache[] caches = new KvCache[count];
        Arrays.fill(caches, kv);
        int[] positions = new int[count];
        RoutingTrace.Builder[] traces = new RoutingTrace.Builder[count];
        int[] index = new int[count];
        int first = routing == null ? 0 : p0 - routing.startPosition();
        for (int t = 0; t < count; t++) {
            positions[t] = p0 + t;
            traces[t] = routing;
            index[t] = first + t;
        }
        return new BatchRows(caches, positions, traces, index);
    }

    int count() {
        return positions.length;
    }

    /** The most cached positions any token of the batch attends to (its position + 1, or the window). */
    int mostVisible(int window) {
        int most = 0;
        for (int p : positions) {
            most = Math.max(most, window > 0 ? Math.min(window, p + 1) : p + 1);
        }
        return most;
    }
}
