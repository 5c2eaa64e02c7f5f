package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import java.lang.foreign.MemorySegment;

/**
 * Issues the kernels of one forward step (up to a batch of tokens) on a session's stream. All
 * arithmetic of the step runs on the device; the host only chooses launch shapes from
 * positions it already knows, so nothing is read back until the logits.
 *
 * <p>Per layer: RMSNorm, Q/K/V projections, RoPE, KV-cache store, attention (flash-decoding
 * for one token, tiled prefill otherwise), output projection + residual, RMSNorm, router,
 * top-k, expert FFNs (GEMV per chosen expert for one token; grouped GEMM by expert otherwise),
 * SwiGLU, weighted combine + residual. Then the final norm and the output projection.
 */
final class ForwardPass {
    private final DeviceContext dev;
    private final DeviceWeights weights;
    private final ModelConfig c;
    private final ScratchLayout layout;
    private final long scratch;
    private final long kvCache;
    private final int contextLength;
    private final GgmlType kvType;
    private final MemorySegment stream;
    /** Where each layer's routing is copied during a step; null (no copies) without a listener. */
    private RoutingReadback routing;

    ForwardPass(DeviceContext dev, DeviceWeights weights, ModelConfig c, ScratchLayout layout, long scratch,
                long kvCache, int contextLength, GgmlType kvType, MemorySegment stream) {
        this.dev = dev;
        this.weights = weights;
        this.c = c;
        this.layout = layout;
        this.scratch = scratch;
        this.kvCache = kvCache;
        this.contextLength = contextLength;
        this.kvType = kvType;
        this.stream = stream;
    }

    /** Copies every layer's routing into {@code readback} during the next steps; null stops it. */
    void routing(RoutingReadback readback) {
        this.routing = readback;
    }

    long buf(String name) {
        return scratch + layout.offset(name);
    }

    private long kvLayerBytes() {
        return (long) contextLength * c.kvDim() * (kvType == GgmlType.F16 ? 2 : 4);
    }

    long keyCache(int layer) {
        return kvCache + 2L * layer * kvLayerBytes();
    }

    long valueCache(int layer) {
        return keyCache(layer) + kvLayerBytes();
    }

    /**
     * Runs tokens already uploaded to the "tokens" buffer, placed at positions pos0.., and
     * leaves logits rows in the "logits" buffer: one per token when {@code allLogits}, else
     * one for the last token. Returns the number of logits rows.
     */
    int step(int n, int pos0, boolean allLogits) {
        int d = c.embeddingLength();
        long x = buf("x");
        DeviceMatrix embd = weights.embedding();
        dev.launch("embed_" + Kernels.suffix(embd.type()), Launches.perRowGroups(d, n), stream,
                a -> Kernels.embed(a, embd.pointer(), embd.rowBytes(), buf("tokens"), x, d));
        for (int l = 0; l < c.blockCount(); l++) {
            attentionBlock(l, n, pos0);
            ffnBlock(l, n);
        }
        int rows = allLogits ? n : 1;
        long last = x + (long) (n - rows) * d * Float.BYTES;
        rmsnorm(last, weights.outputNorm(), buf("xn"), rows);
        matmul(weights.output(), buf("xn"), buf("logits"), rows);
        return rows;
    }

    private void rmsnorm(long in, long weight, long out, int rows) {
        int d = c.embeddingLength();
        float eps = c.rmsEps();
        dev.launch("rmsnorm", Launches.rmsnorm(rows), stream, a -> Kernels.rmsnorm(a, in, weight, out, d, eps));
    }

    /** y[n][rows] = x[n][cols] W^T for an ordinary (single) matrix. */
    private void matmul(DeviceMatrix w, long in, long out, int n) {
        String s = Kernels.suffix(w.type());
        if (n == 1) {
            dev.launch("gemv_" + s, Launches.gemv(w.rows(), 1), stream, a -> Kernels.gemv(a, w.pointer(), w.rowBytes(),
                    w.expertBytes(), 0, in, 0, out, 0, w.rows(), w.columns()));
        } else {
            dev.launch("gemm_" + s, Launches.gemm(w.rows(), n, 1), stream, a -> Kernels.gemm(a, w.pointer(), w.rowBytes(),
                    w.expertBytes(), in, w.columns(), out, w.rows(), n, w.rows(), w.columns(), 0, 0, 0, 1));
        }
    }

    private void attentionBlock(int l, int n, int pos0) {
        DeviceWeights.Layer w = weights.layers().get(l);
        int heads = c.headCount();
        int kvHeads = c.headCountKv();
        int hd = c.headDim();
        int kvDim = c.kvDim();
        long x = buf("x");
        long xn = buf("xn");
        long q = buf("q");
        long k = buf("k");
        long v = buf("v");
        long att = buf("att");
        rmsnorm(x, w.attnNorm(), xn, n);
        matmul(w.wq(), xn, q, n);
        matmul(w.wk(), xn, k, n);
        matmul(w.wv(), xn, v, n);
        int ropeDim = c.ropeDimensionCount();
        float base = c.ropeFreqBase();
        dev.launch("rope", Launches.rope(n, heads, ropeDim), stream,
                a -> Kernels.rope(a, q, pos0, n, heads, hd, ropeDim, base));
        dev.launch("rope", Launches.rope(n, kvHeads, ropeDim), stream,
                a -> Kernels.rope(a, k, pos0, n, kvHeads, hd, ropeDim, base));
        String kvSuffix = kvType == GgmlType.F16 ? "f16" : "f32";
        long kc = keyCache(l);
        long vc = valueCache(l);
        dev.launch("kv_store_" + kvSuffix, Launches.elementwise((long) n * kvDim), stream,
                a -> Kernels.kvStore(a, k, v, kc, vc, pos0, n, kvDim));
        float scale = (float) (1.0 / Math.sqrt(hd));
        int group = c.groupSize();
        int window = c.slidingWindow();
        if (n == 1) {
            int visible = window > 0 ? Math.min(pos0 + 1, window) : pos0 + 1;
            Launches.DecodeSplit split = Launches.decodeSplit(visible, layout.maxSplits());
            long partO = buf("partO");
            long partML = buf("partML");
            dev.launch("attn_decode_" + kvSuffix, Launches.attentionDecode(heads, split, 1), stream,
                    a -> Kernels.attentionDecode(a, q, kc, vc, partO, partML, pos0, heads, group, hd, kvDim, window,
                            split.keysPerSplit(), scale));
            dev.launch("attn_decode_combine", Launches.attentionDecodeCombine(heads, 1), stream,
                    a -> Kernels.attentionDecodeCombine(a, partO, partML, att, heads, split.splits(), hd));
        } else {
            dev.launch("attn_prefill_" + kvSuffix, Launches.attentionPrefill(n, heads, hd), stream,
                    a -> Kernels.attentionPrefill(a, q, kc, vc, att, pos0, n, heads, group, hd, kvDim, window, scale));
        }
        long proj = buf("proj");
        matmul(w.wo(), att, proj, n);
        long count = (long) n * c.embeddingLength();
        dev.launch("add_inplace", Launches.elementwise(count), stream, a -> Kernels.addInplace(a, x, proj, count));
    }

    private void ffnBlock(int l, int n) {
        DeviceWeights.Layer w = weights.layers().get(l);
        int d = c.embeddingLength();
        int ff = c.feedForwardLength();
        long x = buf("x");
        long xn = buf("xn");
        long gate = buf("gate");
        long up = buf("up");
        long down = buf("down");
        rmsnorm(x, w.ffnNorm(), xn, n);
        if (w.router() == null) {
            matmul(w.gate(), xn, gate, n);
            matmul(w.up(), xn, up, n);
            long count = (long) n * ff;
            dev.launch("swiglu", Launches.elementwise(count), stream, a -> Kernels.swiglu(a, gate, up, count));
            matmul(w.down(), gate, down, n);
            dev.launch("moe_combine", Launches.moeCombine(d, n), stream, a -> Kernels.moeCombine(a, x, down, 0, 1, d));
            return;
        }
        int experts = c.expertCount();
        int k = c.expertUsedCount();
        long router = buf("router");
        long ids = buf("ids");
        long routeWeights = buf("weights");
        matmul(w.router(), xn, router, n);
        dev.launch("moe_topk", Launches.moeTopK(n), stream,
                a -> Kernels.moeTopK(a, router, n, experts, k, ids, routeWeights));
        if (routing != null) {
            routing.copy(l, n, ids, routeWeights, router, stream);
        }
        if (n == 1) {
            expertsGemv(w.gate(), ids, xn, 0, gate, ff, k);
            expertsGemv(w.up(), ids, xn, 0, up, ff, k);
            long count = (long) k * ff;
            dev.launch("swiglu", Launches.elementwise(count), stream, a -> Kernels.swiglu(a, gate, up, count));
            expertsGemv(w.down(), ids, gate, ff, down, d, k);
        } else {
            long counts = buf("counts");
            long list = buf("list");
            int assignments = n * k;
            dev.launch("moe_group", Launches.moeGroup(), stream,
                    a -> Kernels.moeGroup(a, ids, assignments, experts, counts, list, n));
            expertsGemm(w.gate(), xn, d, gate, ff, n, counts, list, k);
            expertsGemm(w.up(), xn, d, up, ff, n, counts, list, k);
            long count = (long) assignments * ff;
            dev.launch("swiglu", Launches.elementwise(count), stream, a -> Kernels.swiglu(a, gate, up, count));
            expertsGemm(w.down(), gate, ff, down, d, n, counts, list, 1);
        }
        dev.launch("moe_combine", Launches.moeCombine(d, n), stream,
                a -> Kernels.moeCombine(a, x, down, routeWeights, k, d));
    }

    /** One token: slot s multiplies by expert ids[s]; input x + s * xStride floats, output y + s * yStride. */
    private void expertsGemv(DeviceMatrix w, long ids, long in, int xStride, long out, int yStride, int k) {
        dev.launch("gemv_" + Kernels.suffix(w.type()), Launches.gemv(w.rows(), k), stream,
                a -> Kernels.gemv(a, w.pointer(), w.rowBytes(), w.expertBytes(), ids, in, xStride, out, yStride,
                        w.rows(), w.columns()));
    }

    /** A batch: every expert's assignments at once, each expert's weights read once per 64 rows. */
    private void expertsGemm(DeviceMatrix w, long in, int lda, long out, int ldc, int n, long counts, long list,
                             int aDiv) {
        dev.launch("gemm_" + Kernels.suffix(w.type()), Launches.gemm(w.rows(), n, w.experts()), stream,
                a -> Kernels.gemm(a, w.pointer(), w.rowBytes(), w.expertBytes(), in, lda, out, ldc, 0, w.rows(),
                        w.columns(), counts, list, n, aDiv));
    }
}
