package dev.mixtral4j.backend.java;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.backend.java.kernel.MatmulTiles;
import dev.mixtral4j.backend.java.kernel.VectorSupport;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.routing.RoutingTrace;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The arithmetic of Mixtral's forward pass (docs/forward-pass.md) over one batch of tokens:
 * embedding, per layer RMSNorm, Q/K/V projections, RoPE on adjacent pairs, grouped-query
 * attention over the cache (causal, optionally windowed), the router's softmax, top-k and
 * renormalised weights, the chosen experts' SwiGLU, and the final norm and output projection.
 * It owns the activation buffers of one batch and computes with the session's {@link KvCache} and
 * {@link WorkerPool}; positions, checks and chunking are the session's.
 *
 * <p>Within a batch every projection is a matrix-matrix product that reads each weight row once
 * for all tokens, and the MoE layer groups the batch's tokens by expert, so each chosen expert's
 * weights are streamed once per batch (llama.cpp's mul_mat_id). A batch of one token (decode)
 * takes the kernels' matvec, which reads the quantized rows in place, and touches only the
 * experts the router chose. A batch may also hold one token of each of several sessions (a
 * decoding step of several sessions, {@link BatchRows}): the weights are shared the same way,
 * while RoPE, the cache and attention follow each token's own session and position.
 */
final class ForwardPass {
    /** Up to this many tokens a projection uses fused dot products instead of expanding rows. */
    private static final int SMALL_BATCH = 2;

    private final JavaBackendModel model;
    private final ModelConfig c;
    private final KvCache kv;
    private final WorkerPool pool;
    private final int threads;
    private final int d;
    private final int qDim;
    private final int kvDim;
    private final int ff;
    private final int hd;

    // Activations of one batch, row-major [token][width]; grown on demand.
    private int capacity;
    private float[] x, xn, q, k, v, att, proj, routerLogits, xe, g, u, dn;
    private final float[] norm;
    /** The batch's input, one column panel packed token-major for the matrix-matrix path. */
    private float[] packed;
    private final float[][] rowScratch;
    private final int widest;
    /** Attention scores per worker; as long as the longest context a batch attends to (grown on demand). */
    private float[][] scores;
    private final float[] ropeCos;
    private final float[] ropeSin;

    ForwardPass(JavaBackendModel model, KvCache kv, WorkerPool pool, int threads, int contextLength) {
        this.model = model;
        this.c = model.config();
        this.kv = kv;
        this.pool = pool;
        this.threads = threads;
        this.d = c.embeddingLength();
        this.qDim = c.headCount() * c.headDim();
        this.kvDim = c.kvDim();
        this.ff = c.feedForwardLength();
        this.hd = c.headDim();
        this.norm = new float[d];
        this.widest = Math.max(Math.max(d, qDim), ff);
        this.rowScratch = new float[threads][MatmulTiles.maxRowScratch()];
        this.scores = new float[threads][contextLength];
        this.ropeCos = new float[model.ropeFreq.length];
        this.ropeSin = new float[model.ropeFreq.length];
    }

    /**
     * Runs {@code tokens} at positions {@code p0, p0+1, ...}: their keys and values go to the cache.
     * With {@code routing} (only while a routing listener is attached) each MoE layer records the
     * choice it makes for every token.
     */
    void run(int[] tokens, int p0, RoutingTrace.Builder routing) {
        run(tokens, BatchRows.ofSequence(kv, p0, tokens.length, routing));
    }

    /**
     * Runs one batch whose tokens may belong to different sequences ({@code rows}: each token's
     * cache, position and routing trace). Every projection is one pass over the weights for the
     * whole batch, the MoE groups the batch's tokens by expert, and attention runs each token
     * against its own cache up to its own position.
     */
    void run(int[] tokens, BatchRows rows) {
        int b = tokens.length;
        ensureCapacity(b);
        ensureScores(rows.mostVisible(c.slidingWindow()));
        for (int t = 0; t < b; t++) {
            model.embedding.row(tokens[t], x, t * d);
        }
        for (int l = 0; l < model.layers.length; l++) {
            LayerKernels w = model.layers[l];
            rmsNorm(x, xn, 0, b, w.attnNorm());
            project(w.wq(), xn, 0, d, b, q, 0, qDim);
            project(w.wk(), xn, 0, d, b, k, 0, kvDim);
            project(w.wv(), xn, 0, d, b, v, 0, kvDim);
            for (int t = 0; t < b; t++) {
                rope(rows.positions()[t]);
                rotate(q, t * qDim, c.headCount());
                rotate(k, t * kvDim, c.headCountKv());
                rows.caches()[t].store(l, rows.positions()[t], k, t * kvDim, v, t * kvDim);
            }
            attention(l, b, rows);
            project(w.wo(), att, 0, qDim, b, proj, 0, d);
            add(proj, x, b * d);
            rmsNorm(x, xn, 0, b, w.ffnNorm());
            if (w.router() == null) {
                int[] all = new int[b];
                float[] ones = new float[b];
                for (int t = 0; t < b; t++) {
                    all[t] = t;
                    ones[t] = 1f;
                }
                expert(w, 0, all, ones, b);
            } else {
                moe(w, b, l, rows);
            }
        }
    }

    /** Router softmax, top-k, renormalised weights; then each used expert once over its tokens. */
    private void moe(LayerKernels w, int b, int layer, BatchRows rows) {
        int experts = c.expertCount();
        int used = c.expertUsedCount();
        project(w.router(), xn, 0, d, b, routerLogits, 0, experts);
        int[][] tokensOf = new int[experts][b];
        float[][] weightsOf = new float[experts][b];
        int[] count = new int[experts];
        double[] p = new double[experts];
        boolean[] taken = new boolean[experts];
        int[] chosen = new int[used];
        for (int t = 0; t < b; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, routerLogits[t * experts + e]);
            }
            double sum = 0;
            for (int e = 0; e < experts; e++) {
                p[e] = Math.exp(routerLogits[t * experts + e] - max);
                sum += p[e];
            }
            Arrays.fill(taken, false);
            double chosenSum = 0;
            for (int j = 0; j < used; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (!taken[e] && (best < 0 || p[e] > p[best])) {
                        best = e;
                    }
                }
                taken[best] = true;
                chosen[j] = best;
                chosenSum += p[best] / sum;
            }
            for (int j = 0; j < used; j++) {
                int e = chosen[j];
                tokensOf[e][count[e]] = t;
                weightsOf[e][count[e]] = (float) ((p[e] / sum) / chosenSum);
                count[e]++;
            }
            RoutingTrace.Builder routing = rows.traces()[t];
            if (routing != null) {
                record(routing, layer, rows.traceIndex()[t], chosen, weightsOf, count, p, sum);
            }
        }
        for (int e = 0; e < experts; e++) {
            if (count[e] > 0) {
                expert(w, e, tokensOf[e], weightsOf[e], count[e]);
            }
        }
    }

    /** Copies one token's routing into the trace of the forward call (only while a listener is attached). */
    private static void record(RoutingTrace.Builder routing, int layer, int token, int[] chosen, float[][] weightsOf,
                               int[] count, double[] p, double sum) {
        for (int j = 0; j < chosen.length; j++) {
            int e = chosen[j];
            routing.choose(layer, token, j, e, weightsOf[e][count[e] - 1]);
        }
        if (routing.wantsProbabilities()) {
            float[] probs = new float[p.length];
            for (int e = 0; e < p.length; e++) {
                probs[e] = (float) (p[e] / sum);
            }
            routing.probabilities(layer, token, probs, 0);
        }
    }

    /** x[tok] += weight * down(silu(gate(xn[tok])) * up(xn[tok])) for the listed tokens. */
    private void expert(LayerKernels w, int e, int[] toks, float[] weights, int n) {
        for (int i = 0; i < n; i++) {
            System.arraycopy(xn, toks[i] * d, xe, i * d, d);
        }
        Weight gate = w.gate()[e];
        Weight up = w.up()[e];
        if (n <= SMALL_BATCH) {
            pool.parallelFor(ff, pool.grain(ff, 2L * d * n), (wk, s, end) -> {
                for (int r = s; r < end; r++) {
                    if (n == 2) {
                        // two tokens chose this expert (a batched decode step): each row expanded once for both
                        gate.dot2(r, xe, 0, d, g, r, ff + r);
                        up.dot2(r, xe, 0, d, u, r, ff + r);
                        for (int i = 0; i < 2; i++) {
                            float gv = g[i * ff + r];
                            g[i * ff + r] = gv / (1f + (float) Math.exp(-gv)) * u[i * ff + r];
                        }
                    } else {
                        float gv = gate.dot(r, xe, 0);
                        float uv = up.dot(r, xe, 0);
                        g[r] = gv / (1f + (float) Math.exp(-gv)) * uv;
                    }
                }
            });
        } else {
            project(gate, xe, 0, d, n, g, 0, ff);
            project(up, xe, 0, d, n, u, 0, ff);
            pool.parallelFor(n, pool.grain(n, 4L * ff), (wk, s, end) -> {
                for (int i = s; i < end; i++) {
                    swiglu(g, u, i * ff, ff);
                }
            });
        }
        project(w.down()[e], g, 0, ff, n, dn, 0, d);
        for (int i = 0; i < n; i++) {
            VectorSupport.axpy(weights[i], dn, i * d, x, toks[i] * d, d);
        }
    }

    /** g = silu(g) * u over one row. */
    private static void swiglu(float[] g, float[] u, int off, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector gv = FloatVector.fromArray(F, g, off + i);
            FloatVector silu = gv.div(gv.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(F, u, off + i)).intoArray(g, off + i);
        }
        for (; i < n; i++) {
            float gv = g[off + i];
            g[off + i] = gv / (1f + (float) Math.exp(-gv)) * u[off + i];
        }
    }

    /** Causal (optionally windowed) grouped-query attention of each token's query over its own cache. */
    private void attention(int layer, int b, BatchRows rows) {
        int heads = c.headCount();
        int group = c.groupSize();
        int window = c.slidingWindow();
        float scale = (float) (1.0 / Math.sqrt(hd));
        Arrays.fill(att, 0, b * qDim, 0f);
        // work per (token, head): a dot and an axpy of hd values per visible position
        long visible = rows.mostVisible(window);
        pool.parallelFor(b * heads, pool.grain(b * heads, 2L * hd * visible), (wk, s, end) -> {
            float[] sc = scores[wk];
            for (int task = s; task < end; task++) {
                int t = task / heads;
                int h = task % heads;
                int pos = rows.positions()[t];
                KvCache kv = rows.caches()[t];
                int col = (h / group) * hd;
                int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
                int qOff = t * qDim + h * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = first; p <= pos; p++) {
                    float z = kv.keyDot(layer, p, col, q, qOff, hd) * scale;
                    sc[p - first] = z;
                    max = Math.max(max, z);
                }
                float sum = 0;
                for (int p = first; p <= pos; p++) {
                    float e = (float) Math.exp(sc[p - first] - max);
                    sc[p - first] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int p = first; p <= pos; p++) {
                    kv.addValue(layer, p, col, sc[p - first] * inv, att, qOff, hd);
                }
            }
        });
    }

    /** Final norm and output projection of batch rows {@code [first, first+rows)} into {@code out}. */
    void logits(int first, int rows, float[] out, int outOff) {
        rmsNorm(x, xn, first, rows, model.outputNorm);
        project(model.output, xn, first * d, d, rows, out, outOff, c.vocabSize());
    }

    // ---------------------------------------------------------------- building blocks

    /** out[t] = W · in[t] for {@code tokens} rows, split over the worker threads by output rows. */
    private void project(Weight w, float[] in, int inOff, int inStride, int tokens,
                         float[] out, int outOff, int outStride) {
        int rows = w.rows();
        if (tokens == 1) {
            pool.parallelFor(rows, pool.grain(rows, w.columns()), (wk, s, end) ->
                    w.kernel().matvec(w.matrix(), in, inOff, out, outOff, s, end));
        } else if (tokens == SMALL_BATCH) {
            // each row is read once for both tokens while it is in cache
            pool.parallelFor(rows, pool.grain(rows, (long) w.columns() * tokens), (wk, s, end) -> {
                for (int r = s; r < end; r++) {
                    w.dot2(r, in, inOff, inOff + inStride, out, outOff + r, outOff + outStride + r);
                }
            });
        } else {
            // Column panel by panel: the threads first pack the panel of the batch's input together
            // (MatmulTiles), then split the rows, each expanding its rows once for the whole batch.
            int cols = w.columns();
            int panel = MatmulTiles.panelWidth(cols, tokens);
            int blocks = (rows + MatmulTiles.BLOCK - 1) / MatmulTiles.BLOCK;
            // A claim of one block costs nothing extra (each block is expanded once either way) and
            // keeps the threads' finishing times within one block of each other at every panel's end.
            long blockWork = (long) MatmulTiles.BLOCK * panel * tokens;
            int blockGrain = (int) Math.min(blocks, (WorkerPool.MIN_CHUNK_WORK + blockWork - 1) / blockWork);
            float[] xt = packed;
            for (int k0 = 0; k0 < cols; k0 += panel) {
                int c0 = k0;
                int kn = Math.min(panel, cols - k0);
                int tokenTiles = MatmulTiles.tokenTiles(tokens);
                pool.parallelFor(tokenTiles, pool.grain(tokenTiles, (long) MatmulTiles.TOKENS * kn), (wk, s, end) ->
                        MatmulTiles.pack(in, inOff, inStride, c0, kn, xt, 0, s, end));
                pool.parallelFor(blocks, blockGrain, (wk, s, end) ->
                        MatmulTiles.multiply(w.kernel(), w.matrix(), c0, kn, xt, 0, in, inOff, inStride, tokens,
                                out, outOff, outStride, s * MatmulTiles.BLOCK, Math.min(rows, end * MatmulTiles.BLOCK),
                                0, rowScratch[wk], c0 > 0));
            }
        }
    }

    /** out[t] = in[t] / rms(in[t]) * weight, for batch rows {@code [first, first+rows)}. */
    private void rmsNorm(float[] in, float[] out, int first, int rows, Weight weight) {
        weight.row(0, norm, 0);
        for (int t = first; t < first + rows; t++) {
            int off = t * d;
            float ss = VectorSupport.dot(in, off, in, off, d);
            float inv = (float) (1.0 / Math.sqrt(ss / d + c.rmsEps()));
            int i = 0;
            for (; i <= d - L; i += L) {
                FloatVector.fromArray(F, in, off + i).mul(inv).mul(FloatVector.fromArray(F, norm, i)).intoArray(out, off + i);
            }
            for (; i < d; i++) {
                out[off + i] = in[off + i] * inv * norm[i];
            }
        }
    }

    /** cos/sin of position * theta_i for every rotated pair. */
    private void rope(int pos) {
        double[] freq = model.ropeFreq;
        for (int i = 0; i < freq.length; i++) {
            double a = pos * freq[i];
            ropeCos[i] = (float) Math.cos(a);
            ropeSin[i] = (float) Math.sin(a);
        }
    }

    /** Rotates the adjacent pairs (2i, 2i+1) of each head (GGUF "llama" files are pre-permuted). */
    private void rotate(float[] buf, int off, int heads) {
        int pairs = ropeCos.length;
        for (int h = 0; h < heads; h++) {
            int base = off + h * hd;
            for (int i = 0; i < pairs; i++) {
                float a = buf[base + 2 * i];
                float bb = buf[base + 2 * i + 1];
                buf[base + 2 * i] = a * ropeCos[i] - bb * ropeSin[i];
                buf[base + 2 * i + 1] = a * ropeSin[i] + bb * ropeCos[i];
            }
        }
    }

    private static void add(float[] src, float[] dst, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, dst, i).add(FloatVector.fromArray(F, src, i)).intoArray(dst, i);
        }
        for (; i < n; i++) {
            dst[i] += src[i];
        }
    }

    private void ensureScores(int positions) {
        if (scores == null || scores[0].length < positions) {
            scores = new float[threads][positions];
        }
    }

    private void ensureCapacity(int b) {
        if (b <= capacity) {
            return;
        }
        capacity = b;
        x = new float[b * d];
        xn = new float[b * d];
        q = new float[b * qDim];
        k = new float[b * kvDim];
        v = new float[b * kvDim];
        att = new float[b * qDim];
        proj = new float[b * d];
        routerLogits = new float[b * Math.max(1, c.expertCount())];
        xe = new float[b * d];
        g = new float[b * ff];
        u = new float[b * ff];
        dn = new float[b * d];
        packed = new float[MatmulTiles.maxPackedSize(widest, b)];
    }
}
