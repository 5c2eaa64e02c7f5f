package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.tools.quant.Quantizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each kernel on random data against a plain Java reference: dequantisation against the
 * scalar reference of {@code dev.mixtral4j.quant}, products against double-precision sums of
 * those dequantised values. Needs a GPU; skipped with the reason elsewhere.
 */
class KernelHarnessTest {
    static final int COLS = 512;   // two K-quant super-blocks, 16 Q8_0 blocks

    static Stream<GgmlType> types() {
        return Kernels.WEIGHT_TYPES.stream();
    }

    /** Random weights of a type, with sane scales so every value is finite. */
    static byte[] randomWeights(GgmlType type, int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian() * 0.5f;
        }
        if (Quantizer.supports(type)) {
            return Quantizer.quantize(type, f);
        }
        // K-quants without a quantizer here: random payload, then fix the f16 scale fields
        byte[] b = new byte[(int) type.bytesFor((long) rows * cols)];
        r.nextBytes(b);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < b.length / type.blockBytes(); blk++) {
            int base = blk * type.blockBytes();
            switch (type) {
                case Q4_K -> {
                    bb.putShort(base, Float.floatToFloat16(0.002f + 0.01f * r.nextFloat()));
                    bb.putShort(base + 2, Float.floatToFloat16(0.001f + 0.005f * r.nextFloat()));
                }
                case Q6_K -> bb.putShort(base + 208, Float.floatToFloat16(0.001f + 0.004f * r.nextFloat()));
                default -> throw new IllegalStateException("no way to make random " + type);
            }
        }
        return b;
    }

    static float[] reference(GgmlType type, byte[] w, int count) {
        assumeTrue(Dequantizer.supports(type), "no scalar reference for " + type + " yet");
        return Dequantizer.dequantize(type, w, count);
    }

    static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static void assertClose(double expected, double actual, double tol, String what) {
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + " got " + actual + " (tol " + tol + ")");
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantMatchesTheScalarReference(GgmlType type) {
        int rows = 5;
        byte[] w = randomWeights(type, rows, COLS, 1);
        float[] ref = reference(type, w, rows * COLS);
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long dw = g.upload(w);
            long out = g.alloc((long) rows * COLS * 4);
            long rowBytes = type.bytesFor(COLS);
            g.launch("dequant_" + Kernels.suffix(type), Launches.perRowGroups(COLS, rows),
                    a -> Kernels.dequant(a, dw, rowBytes, out, COLS));
            float[] got = g.floats(out, rows * COLS);
            for (int i = 0; i < ref.length; i++) {
                assertClose(ref[i], got[i], 1e-6 * Math.max(1, Math.abs(ref[i])), type + " value " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void gemvOverStackedExpertsMatchesDoubleSums(GgmlType type) {
        int rows = 37;
        int experts = 3;
        byte[] w = randomWeights(type, experts * rows, COLS, 2);
        float[] ref = reference(type, w, experts * rows * COLS);
        float[] x = randomFloats(2 * COLS, 3);          // one input per slot
        int[] ids = {2, 0};
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long dw = g.upload(w);
            long dx = g.upload(x);
            long dids = g.upload(ids);
            long y = g.alloc(2L * rows * 4);
            long rowBytes = type.bytesFor(COLS);
            long expertBytes = rowBytes * rows;
            g.launch("gemv_" + Kernels.suffix(type), Launches.gemv(rows, 2),
                    a -> Kernels.gemv(a, dw, rowBytes, expertBytes, dids, dx, COLS, y, rows, rows, COLS));
            float[] got = g.floats(y, 2 * rows);
            for (int s = 0; s < 2; s++) {
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    double mag = 0;
                    for (int c = 0; c < COLS; c++) {
                        double p = (double) ref[(ids[s] * rows + r) * COLS + c] * x[s * COLS + c];
                        sum += p;
                        mag += Math.abs(p);
                    }
                    assertClose(sum, got[s * rows + r], 1e-5 * mag + 1e-6, type + " slot " + s + " row " + r);
                }
            }
        }
    }

    static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    @ParameterizedTest
    @MethodSource("types")
    void tensorCoreGemmMatchesHalfRoundedReference(GgmlType type) {
        int m = 70;        // not a multiple of the 64-row tile
        int n = 100;
        byte[] w = randomWeights(type, n, COLS, 4);
        float[] ref = reference(type, w, n * COLS);
        float[] x = randomFloats(m * COLS, 5);
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long dw = g.upload(w);
            long dx = g.upload(x);
            long c = g.alloc((long) m * n * 4);
            long rowBytes = type.bytesFor(COLS);
            g.launch("gemm_" + Kernels.suffix(type), Launches.gemm(n, m, 1),
                    a -> Kernels.gemm(a, dw, rowBytes, rowBytes * n, dx, COLS, c, n, m, n, COLS, 0, 0, 0, 1));
            float[] got = g.floats(c, m * n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double mag = 0;
                    for (int k = 0; k < COLS; k++) {
                        // the kernel feeds the tensor cores half-precision inputs
                        double p = (double) half(x[i * COLS + k]) * half(ref[j * COLS + k]);
                        sum += p;
                        mag += Math.abs(p);
                    }
                    assertClose(sum, got[i * n + j], 1e-4 * mag + 1e-5, type + " C[" + i + "][" + j + "]");
                }
            }
        }
    }

    /** Router top-2 of 4 experts, grouping, and the grouped GEMM over the groups. */
    @Test
    void routingGroupingAndGroupedGemm() {
        int tokens = 70;
        int experts = 4;
        int k = 2;
        int rows = 48;
        GgmlType type = GgmlType.Q8_0;
        float[] logits = randomFloats(tokens * experts, 6);
        float[] x = randomFloats(tokens * COLS, 7);
        byte[] w = randomWeights(type, experts * rows, COLS, 8);
        float[] ref = reference(type, w, experts * rows * COLS);
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long dl = g.upload(logits);
            long ids = g.alloc((long) tokens * k * 4);
            long weights = g.alloc((long) tokens * k * 4);
            g.launch("moe_topk", Launches.moeTopK(tokens), a -> Kernels.moeTopK(a, dl, tokens, experts, k, ids, weights));
            int[] gotIds = g.ints(ids, tokens * k);
            float[] gotW = g.floats(weights, tokens * k);
            for (int t = 0; t < tokens; t++) {
                Integer[] order = {0, 1, 2, 3};
                int tt = t;
                Arrays.sort(order, (p, q) -> Float.compare(logits[tt * experts + q], logits[tt * experts + p]));
                assertEquals(order[0], gotIds[t * k], "token " + t + " first expert");
                assertEquals(order[1], gotIds[t * k + 1], "token " + t + " second expert");
                // softmax renormalised over the two kept: w0 = 1 / (1 + e^(l1 - l0))
                double w0 = 1 / (1 + Math.exp(logits[t * experts + order[1]] - logits[t * experts + order[0]]));
                assertClose(w0, gotW[t * k], 1e-6, "token " + t + " weight 0");
                assertClose(1 - w0, gotW[t * k + 1], 1e-6, "token " + t + " weight 1");
            }
            long counts = g.alloc(experts * 4L);
            long list = g.alloc((long) experts * tokens * 4);
            g.launch("moe_group", Launches.moeGroup(), a -> Kernels.moeGroup(a, ids, tokens * k, experts, counts, list, tokens));
            int[] gotCounts = g.ints(counts, experts);
            int[] gotList = g.ints(list, experts * tokens);
            int total = 0;
            boolean[] seen = new boolean[tokens * k];
            for (int e = 0; e < experts; e++) {
                for (int i = 0; i < gotCounts[e]; i++) {
                    int assignment = gotList[e * tokens + i];
                    assertEquals(e, gotIds[assignment], "assignment " + assignment + " listed under expert " + e);
                    assertTrue(!seen[assignment], "assignment " + assignment + " listed twice");
                    seen[assignment] = true;
                }
                total += gotCounts[e];
            }
            assertEquals(tokens * k, total);

            long dw = g.upload(w);
            long dx = g.upload(x);
            long c = g.alloc((long) tokens * k * rows * 4);
            long rowBytes = type.bytesFor(COLS);
            g.launch("gemm_q8_0", Launches.gemm(rows, tokens, experts), a -> Kernels.gemm(a, dw, rowBytes,
                    rowBytes * rows, dx, COLS, c, rows, 0, rows, COLS, counts, list, tokens, k));
            float[] got = g.floats(c, tokens * k * rows);
            for (int a = 0; a < tokens * k; a++) {
                int t = a / k;
                int e = gotIds[a];
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    double mag = 0;
                    for (int col = 0; col < COLS; col++) {
                        double p = (double) half(x[t * COLS + col]) * half(ref[(e * rows + r) * COLS + col]);
                        sum += p;
                        mag += Math.abs(p);
                    }
                    assertClose(sum, got[a * rows + r], 1e-4 * mag + 1e-5, "assignment " + a + " row " + r);
                }
            }
        }
    }

    @Test
    void rmsnormAndRope() {
        int d = 256;
        int tokens = 3;
        float[] x = randomFloats(tokens * d, 9);
        float[] w = randomFloats(d, 10);
        int heads = 2;
        int hd = 128;
        int pos0 = 1000;
        float base = 1e6f;
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long dx = g.upload(x);
            long dw = g.upload(w);
            long out = g.alloc((long) tokens * d * 4);
            g.launch("rmsnorm", Launches.rmsnorm(tokens), a -> Kernels.rmsnorm(a, dx, dw, out, d, 1e-5f));
            float[] got = g.floats(out, tokens * d);
            for (int t = 0; t < tokens; t++) {
                double ss = 0;
                for (int i = 0; i < d; i++) {
                    ss += (double) x[t * d + i] * x[t * d + i];
                }
                double inv = 1 / Math.sqrt(ss / d + 1e-5);
                for (int i = 0; i < d; i++) {
                    assertClose(x[t * d + i] * inv * w[i], got[t * d + i], 1e-5, "rmsnorm " + t + "," + i);
                }
            }
            g.launch("rope", Launches.rope(tokens, heads, hd), a -> Kernels.rope(a, dx, pos0, tokens, heads, hd, hd, base));
            float[] r = g.floats(dx, tokens * d);
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < hd / 2; i++) {
                        int at = t * d + h * hd + 2 * i;
                        double theta = (pos0 + t) * Math.pow(base, -2.0 * i / hd);
                        double e0 = x[at] * Math.cos(theta) - x[at + 1] * Math.sin(theta);
                        double e1 = x[at] * Math.sin(theta) + x[at + 1] * Math.cos(theta);
                        assertClose(e0, r[at], 1e-5, "rope pair " + i);
                        assertClose(e1, r[at + 1], 1e-5, "rope pair " + i);
                    }
                }
            }
        }
    }

    /** Decode and prefill attention against a double-precision softmax, with GQA and a window. */
    @ParameterizedTest
    @MethodSource("windows")
    void attentionMatchesReference(int window) {
        int heads = 8;
        int kvHeads = 2;
        int hd = 64;
        int kvDim = kvHeads * hd;
        int pos0 = 600;          // keys already cached before this batch
        int n = 21;
        int positions = pos0 + n;
        float[] keys = randomFloats(positions * kvDim, 11);
        float[] values = randomFloats(positions * kvDim, 12);
        float[] q = randomFloats(n * heads * hd, 13);
        float scale = (float) (1 / Math.sqrt(hd));
        try (GpuFixture g = GpuFixture.openOrSkip()) {
            long kc = g.alloc((long) positions * kvDim * 4);
            long vc = g.alloc((long) positions * kvDim * 4);
            long dk = g.upload(keys);
            long dv = g.upload(values);
            g.launch("kv_store_f32", Launches.elementwise((long) positions * kvDim),
                    a -> Kernels.kvStore(a, dk, dv, kc, vc, 0, positions, kvDim));
            long dq = g.upload(q);
            long out = g.alloc((long) n * heads * hd * 4);
            g.launch("attn_prefill_f32", Launches.attentionPrefill(n, heads, hd),
                    a -> Kernels.attentionPrefill(a, dq, kc, vc, out, pos0, n, heads, heads / kvHeads, hd, kvDim, window, scale));
            float[] prefill = g.floats(out, n * heads * hd);
            // decode of the last query alone, split into several blocks
            int last = n - 1;
            int p = pos0 + last;
            int visible = window > 0 ? Math.min(p + 1, window) : p + 1;
            Launches.DecodeSplit split = Launches.decodeSplit(visible, 4);
            long qLast = dq + (long) last * heads * hd * 4;
            long partO = g.alloc((long) heads * split.splits() * hd * 4);
            long partML = g.alloc((long) heads * split.splits() * 2 * 4);
            long dec = g.alloc((long) heads * hd * 4);
            g.launch("attn_decode_f32", Launches.attentionDecode(heads, split, 1), a -> Kernels.attentionDecode(a, qLast,
                    kc, vc, partO, partML, p, heads, heads / kvHeads, hd, kvDim, window, split.keysPerSplit(), scale));
            g.launch("attn_decode_combine", Launches.attentionDecodeCombine(heads, 1),
                    a -> Kernels.attentionDecodeCombine(a, partO, partML, dec, heads, split.splits(), hd));
            float[] decode = g.floats(dec, heads * hd);
            for (int t = 0; t < n; t++) {
                int pos = pos0 + t;
                int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
                for (int h = 0; h < heads; h++) {
                    int kvh = h / (heads / kvHeads);
                    double[] s = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = first; j <= pos; j++) {
                        double dot = 0;
                        for (int dd = 0; dd < hd; dd++) {
                            dot += (double) q[(t * heads + h) * hd + dd] * keys[j * kvDim + kvh * hd + dd];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = first; j <= pos; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int dd = 0; dd < hd; dd++) {
                        double o = 0;
                        for (int j = first; j <= pos; j++) {
                            o += s[j] * values[j * kvDim + kvh * hd + dd];
                        }
                        o /= sum;
                        assertClose(o, prefill[(t * heads + h) * hd + dd], 1e-4, "prefill t" + t + " h" + h + " d" + dd);
                        if (t == last) {
                            assertClose(o, decode[h * hd + dd], 1e-4, "decode h" + h + " d" + dd);
                        }
                    }
                }
            }
        }
    }

    static Stream<Integer> windows() {
        return Stream.of(0, 100);
    }
}
