package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.routing.RoutingTrace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Host buffers that receive, for one forward step, every layer's chosen expert ids and
 * renormalised weights (and optionally the router logits) as the {@code moe_topk} kernel left
 * them on the device; only allocated and copied while a routing listener is attached. After the
 * step's stream is synchronized, {@link #fill} moves them into the trace of the forward call.
 */
final class RoutingReadback {
    private final int layers;
    private final int batch;
    private final int experts;
    private final int k;
    private final MemorySegment ids;
    private final MemorySegment weights;
    private final MemorySegment logits;

    /** Buffers for up to {@code batch} tokens, owned by {@code arena}. */
    RoutingReadback(Arena arena, int layers, int batch, int experts, int k, boolean routerLogits) {
        this.layers = layers;
        this.batch = batch;
        this.experts = experts;
        this.k = k;
        this.ids = arena.allocate(ValueLayout.JAVA_INT, (long) layers * batch * k);
        this.weights = arena.allocate(ValueLayout.JAVA_FLOAT, (long) layers * batch * k);
        this.logits = routerLogits ? arena.allocate(ValueLayout.JAVA_FLOAT, (long) layers * batch * experts) : null;
    }

    boolean wantsRouterLogits() {
        return logits != null;
    }

    /** Queues the copies of layer {@code l}'s routing of {@code n} tokens on {@code stream}. */
    void copy(int l, int n, long deviceIds, long deviceWeights, long deviceRouter, MemorySegment stream) {
        long bytes = (long) n * k * Integer.BYTES;
        long at = (long) l * batch * k * Integer.BYTES;
        CudaDriver.copyToHostAsync(ids.asSlice(at, bytes), deviceIds, bytes, stream);
        CudaDriver.copyToHostAsync(weights.asSlice(at, bytes), deviceWeights, bytes, stream);
        if (logits != null) {
            long lb = (long) n * experts * Float.BYTES;
            CudaDriver.copyToHostAsync(logits.asSlice((long) l * batch * experts * Float.BYTES, lb), deviceRouter, lb,
                    stream);
        }
    }

    /** After the stream is synchronized: the step's {@code n} tokens go to indices {@code first...} of the trace. */
    void fill(RoutingTrace.Builder trace, int first, int n) {
        float[] p = new float[experts];
        for (int l = 0; l < layers; l++) {
            for (int t = 0; t < n; t++) {
                long at = ((long) l * batch + t) * k;
                for (int j = 0; j < k; j++) {
                    trace.choose(l, first + t, j, ids.getAtIndex(ValueLayout.JAVA_INT, at + j),
                            weights.getAtIndex(ValueLayout.JAVA_FLOAT, at + j));
                }
                if (logits != null && trace.wantsProbabilities()) {
                    // the same softmax as the kernel's, on the host
                    long base = ((long) l * batch + t) * experts;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int e = 0; e < experts; e++) {
                        max = Math.max(max, logits.getAtIndex(ValueLayout.JAVA_FLOAT, base + e));
                    }
                    float total = 0;
                    for (int e = 0; e < experts; e++) {
                        p[e] = (float) Math.exp(logits.getAtIndex(ValueLayout.JAVA_FLOAT, base + e) - max);
                        total += p[e];
                    }
                    for (int e = 0; e < experts; e++) {
                        p[e] /= total;
                    }
                    trace.probabilities(l, first + t, p, 0);
                }
            }
        }
    }
}
