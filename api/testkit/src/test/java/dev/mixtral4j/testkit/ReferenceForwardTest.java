package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceForwardTest {
    private static final float EPS = 1e-6f;

    @TempDir
    Path dir;

    /**
     * A one-layer model of width 2 (one head of dimension 2), 3 experts with FFN width 1, 2 used,
     * vocabulary 3: small enough to write its forward pass out by hand below.
     */
    private Path handModel() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("hand.gguf"))) {
            w.putString("general.architecture", "llama");
            w.putUint32("llama.context_length", 8).putUint32("llama.embedding_length", 2).putUint32("llama.block_count", 1)
                    .putUint32("llama.feed_forward_length", 1).putUint32("llama.attention.head_count", 1)
                    .putUint32("llama.attention.head_count_kv", 1).putFloat32("llama.rope.freq_base", 10000f)
                    .putFloat32("llama.attention.layer_norm_rms_epsilon", EPS).putUint32("llama.expert_count", 3)
                    .putUint32("llama.expert_used_count", 2).putUint32("llama.vocab_size", 3);
            Object[][] t = {
                {"token_embd.weight", new long[] {2, 3}, new float[] {1, 0, 0, 2, 3, 4}},
                {"blk.0.attn_norm.weight", new long[] {2}, new float[] {1, 1}},
                {"blk.0.attn_q.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}},
                {"blk.0.attn_k.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}},
                {"blk.0.attn_v.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}},
                {"blk.0.attn_output.weight", new long[] {2, 2}, new float[] {0.5f, 0, 0, 0.5f}},
                {"blk.0.ffn_norm.weight", new long[] {2}, new float[] {1, 1}},
                {"blk.0.ffn_gate_inp.weight", new long[] {2, 3}, new float[] {1, 0, 0, 1, -1, -1}},
                // expert e's gate row, then up row, then down column (2 rows of 1 value)
                {"blk.0.ffn_gate_exps.weight", new long[] {2, 1, 3}, new float[] {1, 0, 0, 1, 1, 1}},
                {"blk.0.ffn_up_exps.weight", new long[] {2, 1, 3}, new float[] {0, 1, 1, 1, 1, 0}},
                {"blk.0.ffn_down_exps.weight", new long[] {1, 2, 3}, new float[] {1, 0, 0, 1, 1, 1}},
                {"output_norm.weight", new long[] {2}, new float[] {1, 1}},
                {"output.weight", new long[] {2, 3}, new float[] {1, 0, 0, 1, 1, -1}},
            };
            for (Object[] e : t) {
                w.addTensor((String) e[0], GgmlType.F32, (long[]) e[1]);
            }
            for (Object[] e : t) {
                w.writeTensor((String) e[0], (float[]) e[2]);
            }
            return w.finish();
        }
    }

    private static double[] norm(double a, double b) {
        double rms = Math.sqrt((a * a + b * b) / 2 + EPS);
        return new double[] {a / rms, b / rms};
    }

    private static double silu(double z) {
        return z / (1 + Math.exp(-z));
    }

    /** The FFN and output of the hand model for the post-attention state h, written out. */
    private static double[] ffnAndLogits(double[] h, double[] routeOut) {
        double[] m = norm(h[0], h[1]);
        double r0 = m[0], r1 = m[1], r2 = -m[0] - m[1];
        double z = Math.exp(r0) + Math.exp(r1) + Math.exp(r2);
        double p0 = Math.exp(r0) / z, p1 = Math.exp(r1) / z, p2 = Math.exp(r2) / z;
        // expert outputs: e0 = silu(m0) * m1 * (1, 0); e1 = silu(m1) * (m0 + m1) * (0, 1); e2 = silu(m0 + m1) * m0 * (1, 1)
        double[][] y = {
            {silu(m[0]) * m[1], 0},
            {0, silu(m[1]) * (m[0] + m[1])},
            {silu(m[0] + m[1]) * m[0], silu(m[0] + m[1]) * m[0]},
        };
        double[] p = {p0, p1, p2};
        int a = 0, b = 1;
        // the two largest of three: drop the smallest (lower index wins ties)
        int smallest = p2 < p1 && p2 < p0 ? 2 : p1 < p0 ? 1 : 0;
        if (smallest == 0) {
            a = 1;
            b = 2;
        } else if (smallest == 1) {
            a = 0;
            b = 2;
        }
        double wa = p[a] / (p[a] + p[b]), wb = p[b] / (p[a] + p[b]);
        // the routing record lists the chosen experts best first
        routeOut[0] = Math.max(wa, wb);
        routeOut[1] = Math.min(wa, wb);
        double o0 = h[0] + wa * y[a][0] + wb * y[b][0];
        double o1 = h[1] + wa * y[a][1] + wb * y[b][1];
        double[] f = norm(o0, o1);
        return new double[] {f[0], f[1], f[0] - f[1]};
    }

    @Test
    void handComputedOneLayerMoe() throws IOException {
        try (ModelFile m = ModelFile.open(handModel())) {
            ReferenceForward ref = new ReferenceForward(m);
            double[][] got = ref.logits(new int[] {2, 1});

            // position 0, token 2 = (3, 4): attention over one key returns v = n
            double[] n0 = norm(3, 4);
            double[] h0 = {3 + 0.5 * n0[0], 4 + 0.5 * n0[1]};
            double[] w0 = new double[2];
            assertArrayEquals(ffnAndLogits(h0, w0), got[0], 1e-12);

            // position 1, token 1 = (0, 2): q and k rotated by 1 radian (theta_0 = pos * base^0)
            double[] n1 = norm(0, 2);
            double c = Math.cos(1), s = Math.sin(1);
            double[] q1 = {n1[0] * c - n1[1] * s, n1[0] * s + n1[1] * c};
            double s0 = (q1[0] * n0[0] + q1[1] * n0[1]) / Math.sqrt(2);
            double s1 = (q1[0] * q1[0] + q1[1] * q1[1]) / Math.sqrt(2);
            double a0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1)), a1 = 1 - a0;
            double[] attn = {a0 * n0[0] + a1 * n1[0], a0 * n0[1] + a1 * n1[1]};
            double[] h1 = {0 + 0.5 * attn[0], 2 + 0.5 * attn[1]};
            double[] w1 = new double[2];
            assertArrayEquals(ffnAndLogits(h1, w1), got[1], 1e-12);

            ReferenceForward.Routing routing = ref.lastRouting();
            assertEquals(w0[0], routing.weights()[0][0][0], 1e-12);
            assertEquals(w0[1], routing.weights()[0][0][1], 1e-12);
            assertEquals(w1[0], routing.weights()[0][1][0], 1e-12);
            assertEquals(1.0, routing.weights()[0][1][0] + routing.weights()[0][1][1], 1e-12);
        }
    }

    @Test
    void perExpertAndMergedLayoutsGiveIdenticalLogits() throws IOException {
        int[] tokens = {1, 17, 200, 5, 299, 42, 42, 7};
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0}) {
            try (ModelFile a = ModelFile.open(Fixtures.tinyMoe(t).path());
                 ModelFile b = ModelFile.open(Fixtures.tinyMoePerExpert(t).path())) {
                double[][] la = new ReferenceForward(a).logits(tokens);
                double[][] lb = new ReferenceForward(b).logits(tokens);
                for (int p = 0; p < tokens.length; p++) {
                    assertArrayEquals(la[p], lb[p], 0.0, t + " position " + p);
                }
            }
        }
    }

    @Test
    void routerMattersAndWeightsAreRenormalised() throws IOException {
        int[] tokens = {3, 100, 250, 9, 77, 12};
        Path source = Fixtures.tinyMoe(GgmlType.F32).path();
        Path zeroRouter = dir.resolve("zero-router.gguf");
        GgufRewrite rw = GgufRewrite.of(source);
        for (int l = 0; l < 2; l++) {
            rw.tensor("blk." + l + ".ffn_gate_inp.weight", new long[] {64, 4}, new float[64 * 4]);
        }
        rw.write(zeroRouter);
        try (ModelFile a = ModelFile.open(source); ModelFile z = ModelFile.open(zeroRouter)) {
            ReferenceForward ra = new ReferenceForward(a);
            double[][] la = ra.logits(tokens);
            ReferenceForward.Routing routing = ra.lastRouting();
            boolean unequal = false;
            for (int l = 0; l < 2; l++) {
                for (int p = 0; p < tokens.length; p++) {
                    double[] w = routing.weights()[l][p];
                    assertEquals(1.0, w[0] + w[1], 1e-12);
                    assertTrue(w[0] >= w[1]);
                    unequal |= Math.abs(w[0] - w[1]) > 0.05;
                }
            }
            assertTrue(unequal, "the random router gives unequal weights somewhere");
            ReferenceForward rz = new ReferenceForward(z);
            double[][] lz = rz.logits(tokens);
            // a zero router: uniform probabilities, experts 0 and 1 (lowest indices), weight 1/2 each
            for (int p = 0; p < tokens.length; p++) {
                assertArrayEquals(new int[] {0, 1}, rz.lastRouting().experts()[0][p]);
                assertArrayEquals(new double[] {0.5, 0.5}, rz.lastRouting().weights()[1][p], 1e-12);
            }
            assertTrue(maxDelta(la, lz) > 1e-2, "zeroing the router changes the logits");
        }
    }

    @Test
    void identicalExpertsEqualADenseModel() throws IOException {
        // Whatever the router says, weights that sum to one make a MoE of identical experts the
        // dense model of that expert; a forward pass that drops or mis-normalises them does not.
        var pair = Fixtures.identicalExpertsAndDense();
        int[] tokens = {1, 2, 3, 250, 251, 9};
        try (ModelFile moe = ModelFile.open(pair.get(0).path()); ModelFile dense = ModelFile.open(pair.get(1).path())) {
            assertTrue(moe.config().isMoe());
            assertTrue(!dense.config().isMoe());
            double[][] a = new ReferenceForward(moe).logits(tokens);
            double[][] b = new ReferenceForward(dense).logits(tokens);
            assertTrue(maxDelta(a, b) < 1e-9, "delta " + maxDelta(a, b));
        }
    }

    @Test
    void permutingExpertsTogetherWithRouterRowsChangesNothing() throws IOException {
        // Expert e moves to slot (e + 1) % 4 along with its router row: same model, same logits
        // (a pass that mixes up which router row goes with which expert would differ).
        Path source = Fixtures.tinyMoe(GgmlType.F32).path();
        GgufRewrite rw = GgufRewrite.of(source);
        try (GgufFile f = GgufFile.open(source)) {
            for (int l = 0; l < 2; l++) {
                for (String name : new String[] {"ffn_gate_exps", "ffn_up_exps", "ffn_down_exps", "ffn_gate_inp"}) {
                    TensorInfo t = f.tensor("blk." + l + "." + name + ".weight");
                    MemorySegment src = f.tensorData(t);
                    long slice = src.byteSize() / 4;
                    MemorySegment dst = MemorySegment.ofArray(new byte[(int) src.byteSize()]);
                    for (int e = 0; e < 4; e++) {
                        dst.asSlice(((e + 1) % 4) * slice, slice).copyFrom(src.asSlice(e * slice, slice));
                    }
                    rw.tensor(t.name(), t.type(), t.shape(), dst);
                }
            }
            rw.write(dir.resolve("permuted.gguf"));
        }
        int[] tokens = {5, 6, 7, 120, 240, 33, 1};
        try (ModelFile a = ModelFile.open(source); ModelFile b = ModelFile.open(dir.resolve("permuted.gguf"))) {
            ReferenceForward ra = new ReferenceForward(a);
            ReferenceForward rb = new ReferenceForward(b);
            assertTrue(maxDelta(ra.logits(tokens), rb.logits(tokens)) < 1e-12);
            int e0 = ra.lastRouting().experts()[1][3][0];
            assertEquals((e0 + 1) % 4, rb.lastRouting().experts()[1][3][0]);
        }
    }

    @Test
    void slidingWindowOnlyMattersBeyondTheWindow() throws IOException {
        int[] tokens = new int[14];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 3 + 19 * i;
        }
        try (ModelFile full = ModelFile.open(Fixtures.tinyMoe(GgmlType.F32).path());
             ModelFile swa = ModelFile.open(Fixtures.slidingWindow(GgmlType.F32).path())) {
            double[][] a = new ReferenceForward(full).logits(tokens);
            double[][] b = new ReferenceForward(swa).logits(tokens);
            for (int p = 0; p < 8; p++) {
                assertArrayEquals(a[p], b[p], 1e-12, "within the window, position " + p);
            }
            for (int p = 8; p < tokens.length; p++) {
                double d = 0;
                for (int v = 0; v < a[p].length; v++) {
                    d = Math.max(d, Math.abs(a[p][v] - b[p][v]));
                }
                assertTrue(d > 1e-6, "beyond the window, position " + p + " differs");
            }
        }
    }

    @Test
    void logitsAreNotDegenerate() throws IOException {
        try (ModelFile m = ModelFile.open(Fixtures.tinyMoe(GgmlType.Q4_0).path())) {
            double[][] l = new ReferenceForward(m).logits(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
            java.util.Set<Integer> tops = new java.util.HashSet<>();
            for (double[] row : l) {
                int best = 0;
                for (int v = 0; v < row.length; v++) {
                    assertTrue(Double.isFinite(row[v]));
                    if (row[v] > row[best]) {
                        best = v;
                    }
                }
                tops.add(best);
            }
            assertTrue(tops.size() > 1, "top-1 varies with the input");
        }
    }

    static double maxDelta(double[][] a, double[][] b) {
        double d = 0;
        for (int p = 0; p < a.length; p++) {
            for (int v = 0; v < a[p].length; v++) {
                d = Math.max(d, Math.abs(a[p][v] - b[p][v]));
            }
        }
        return d;
    }

    static MemorySegment data(GgufFile f, String name) {
        TensorInfo t = f.tensor(name);
        return f.tensorData(t);
    }
}
