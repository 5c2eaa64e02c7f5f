package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.gguf.GgufWriter;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The whole forward pass against a plain double-precision reference on generated models. */
class ForwardPassTest {
    @TempDir
    static Path dir;

    private static int[] tokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** Compares every position's logits with the reference: same top-1, small max |delta|. */
    private static void assertCloseToReference(ModelFile file, Logits got, int[] toks, double tol) {
        double[][] ref = new DoubleReference(file).logits(toks);
        assertEquals(toks.length, got.rows());
        for (int t = 0; t < toks.length; t++) {
            int refTop = 0;
            double maxDelta = 0;
            for (int i = 0; i < ref[t].length; i++) {
                if (ref[t][i] > ref[t][refTop]) {
                    refTop = i;
                }
                maxDelta = Math.max(maxDelta, Math.abs(ref[t][i] - got.data()[t * got.vocabSize() + i]));
            }
            assertTrue(maxDelta < tol, "position " + t + ": max |delta logit| " + maxDelta + " >= " + tol);
            int top = got.argmax(t);
            // a different argmax is only acceptable when the reference itself is (near-)tied there
            assertTrue(top == refTop || ref[t][refTop] - ref[t][top] < 2 * maxDelta,
                    "position " + t + ": top-1 " + top + " but reference says " + refTop);
        }
    }

    @ParameterizedTest(name = "{0} {1} kv={2}")
    @CsvSource({
        "F32,    MERGED,     F32",
        "F32,    PER_EXPERT, F16",
        "F16,    MERGED,     F32",
        "BF16,   MERGED,     F32",
        "Q8_0,   MERGED,     F16",
        "Q4_0,   MERGED,     F32",
        "Q4_1,   PER_EXPERT, F32",
        "Q5_0,   MERGED,     F32",
        "Q5_1,   MERGED,     F32",
        "Q2_K,   MERGED,     F32",
        "Q3_K,   MERGED,     F32",
        "Q4_K,   MERGED,     F32",
        "Q5_K,   MERGED,     F32",
        "Q6_K,   MERGED,     F32",
        "Q4_K_M, MERGED,     F16"})
    void matchesTheReference(String fileType, SyntheticModel.ExpertLayout layout, GgmlType kv) throws IOException {
        boolean kQuant = fileType.contains("_K");
        SyntheticModel.Builder b = SyntheticModel.builder().fileType(fileType).expertLayout(layout).seed(fileType.hashCode());
        if (kQuant) {
            b.embeddingLength(256).feedForwardLength(256).heads(4).kvHeads(2);
        }
        Path p = b.write(dir.resolve(fileType + "-" + layout + ".gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(2).build());
             BackendSession s = model.newSession(new SessionOptions(64, kv, 512))) {
            int[] toks = tokens(12, file.config().vocabSize(), 3);
            Logits got = s.forward(toks, 0, true);
            assertCloseToReference(file, got, toks, kv == GgmlType.F16 ? 2e-2 : 5e-3);
        }
    }

    /**
     * IQ4_NL and IQ4_XS in every matrix (the output and embedding too), from quantized floats and
     * from random blocks (every code and 6-bit level, scales of both signs); prefill and decode.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"IQ4_NL, QUANTIZED_FLOATS", "IQ4_XS, QUANTIZED_FLOATS", "IQ4_XS, RANDOM_BLOCKS"})
    void iq4FilesMatchTheReference(GgmlType type, SyntheticModel.WeightSource source) throws IOException {
        Path p = SyntheticModel.builder().tensorType(type).weightSource(source).embeddingLength(256)
                .feedForwardLength(256).heads(4).kvHeads(2).seed(type.ordinal())
                .write(dir.resolve(type + "-" + source + ".gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(2).build());
             BackendSession s = model.newSession(new SessionOptions(64, GgmlType.F32, 512))) {
            assertEquals(type, file.tensors().layers().get(0).wq().type());
            assertEquals(type, file.tensors().output().type());
            int[] toks = tokens(12, file.config().vocabSize(), 3);
            assertCloseToReference(file, s.forward(toks, 0, true), toks, 5e-3);
            // decode: the matrix-vector path, token by token
            try (BackendSession one = model.newSession(new SessionOptions(64, GgmlType.F32, 1))) {
                assertCloseToReference(file, one.forward(toks, 0, true), toks, 5e-3);
            }
        }
    }

    @Test
    void decodeAfterPrefillAndSmallBatchesAgreeWithOnePrefill() throws IOException {
        Path p = SyntheticModel.builder().fileType("Q8_0").seed(5).write(dir.resolve("consistency.gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(2).build())) {
            int[] toks = tokens(20, file.config().vocabSize(), 9);
            Logits all;
            try (BackendSession s = model.newSession(new SessionOptions(64, GgmlType.F32, 512))) {
                all = s.forward(toks, 0, true);
                assertEquals(20, s.position());
            }
            // token by token after a prefill of 7, and in batches of 3: each row must match
            try (BackendSession s = model.newSession(new SessionOptions(64, GgmlType.F32, 512));
                 BackendSession s3 = model.newSession(new SessionOptions(64, GgmlType.F32, 3))) {
                s.forward(java.util.Arrays.copyOf(toks, 7), 0, false);
                Logits batched = s3.forward(toks, 0, true);
                for (int t = 7; t < 20; t++) {
                    float[] one = s.forward(new int[] {toks[t]}, t, false).last();
                    assertArrayEquals(all.row(t), one, 2e-3f, "decode position " + t);
                    assertArrayEquals(all.row(t), batched.row(t), 2e-3f, "batched position " + t);
                }
                // rewinding re-runs from the truncated position
                float[] again = s.forward(new int[] {toks[10], toks[11]}, 10, false).last();
                assertArrayEquals(all.row(11), again, 2e-3f);
                assertEquals(12, s.position());
            }
        }
    }

    /**
     * A prompt long enough for the packed matrix-matrix kernel (whole 32-token tiles plus leftover
     * tokens, in projections, experts and the output), run as one batch and as batches of 100 + 50.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q4_0", "Q8_0"})
    void longPromptMatchesTheReference(String fileType) throws IOException {
        Path p = SyntheticModel.builder().fileType(fileType).contextLength(256).seed(21)
                .write(dir.resolve("long-" + fileType + ".gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(2).build())) {
            int[] toks = tokens(150, file.config().vocabSize(), 13);
            for (int batch : new int[] {512, 100}) {
                try (BackendSession s = model.newSession(new SessionOptions(256, GgmlType.F32, batch))) {
                    assertCloseToReference(file, s.forward(toks, 0, true), toks, 5e-3);
                }
            }
        }
    }

    @Test
    void denseModelWithSlidingWindowMatchesTheReference() throws IOException {
        Path p = SyntheticModel.builder().experts(0).expertsUsed(0).slidingWindow(5).fileType("F32").seed(11)
                .write(dir.resolve("dense-swa.gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(2).build());
             BackendSession s = model.newSession(new SessionOptions(64, GgmlType.F32, 4))) {
            assertEquals(5, file.config().slidingWindow());
            int[] toks = tokens(14, file.config().vocabSize(), 4);
            assertCloseToReference(file, s.forward(toks, 0, true), toks, 5e-3);
        }
    }

    @Test
    void tiedOutputMatchesTheReference() throws IOException {
        Path p = SyntheticModel.builder().tiedOutput(true).fileType("Q8_0").seed(12).write(dir.resolve("tied.gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(1).build());
             BackendSession s = model.newSession(new SessionOptions(32, GgmlType.F32, 512))) {
            assertTrue(file.tensors().isOutputTied());
            int[] toks = tokens(6, file.config().vocabSize(), 5);
            assertCloseToReference(file, s.forward(toks, 0, true), toks, 5e-3);
        }
    }

    @Test
    void rejectsBadTokensAndPositionsBeforeAnyArithmetic() throws IOException {
        Path p = SyntheticModel.builder().seed(13).write(dir.resolve("bad-input.gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(1).build());
             BackendSession s = model.newSession(new SessionOptions(8, null, 512))) {
            int vocab = file.config().vocabSize();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.forward(new int[] {1, vocab}, 0, false));
            assertTrue(e.getMessage().contains(String.valueOf(vocab)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {-1}, 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[0], 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[9], 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1}, 1, false));
            assertEquals(0, s.position(), "rejected calls leave the cache untouched");
            s.forward(new int[8], 0, false);
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1}, 8, false));
            assertThrows(IllegalArgumentException.class,
                    () -> model.newSession(new SessionOptions(file.config().contextLength() + 1, null, 512)));
        }
    }

    /** Copies a generated model, giving {@code retype} the type {@code type} (random bytes) and leaving out {@code drop}. */
    private static Path rewrite(Path src, Path dst, String retype, GgmlType type, String drop) throws IOException {
        try (GgufFile in = GgufFile.open(src); GgufWriter out = GgufWriter.create(dst)) {
            out.putAll(in.metadata().entries());
            for (TensorInfo t : in.tensors()) {
                if (!t.name().equals(drop)) {
                    out.addTensor(t.name(), t.name().equals(retype) ? type : t.type(), t.shape());
                }
            }
            for (TensorInfo t : in.tensors()) {
                if (t.name().equals(drop)) {
                    continue;
                }
                if (t.name().equals(retype)) {
                    byte[] junk = new byte[(int) out.tensorByteSize(t.name())];
                    new Random(1).nextBytes(junk);
                    out.writeTensor(t.name(), java.nio.ByteBuffer.wrap(junk));
                } else {
                    out.writeTensor(t.name(), in.tensorData(t));
                }
            }
            return out.finish();
        }
    }

    @Test
    void unsupportedTensorTypeIsReportedNamingTheTensor() throws IOException {
        Path base = SyntheticModel.builder().seed(14).write(dir.resolve("base14.gguf"));
        Path p = rewrite(base, dir.resolve("q8_1.gguf"), "blk.1.attn_q.weight", GgmlType.Q8_1, null);
        try (ModelFile file = ModelFile.open(p)) {
            JavaBackend backend = new JavaBackend(new JavaBackendProvider());
            Availability a = backend.supports(file);
            assertFalse(a.available());
            assertTrue(a.reason().contains("Q8_1") && a.reason().contains("blk.1.attn_q.weight"), a.reason());
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> backend.load(file, LoadOptions.defaults()));
            assertTrue(e.getMessage().contains("blk.1.attn_q.weight"), e.getMessage());
        }
    }

    @Test
    void missingTensorIsReportedNamingIt() throws IOException {
        Path base = SyntheticModel.builder().seed(15).write(dir.resolve("base15.gguf"));
        Path p = rewrite(base, dir.resolve("missing.gguf"), null, null, "blk.1.ffn_norm.weight");
        try (ModelFile file = ModelFile.open(p)) {
            Availability a = new JavaBackend(new JavaBackendProvider()).supports(file);
            assertFalse(a.available());
            assertTrue(a.reason().contains("blk.1.ffn_norm.weight"), a.reason());
            assertThrows(ModelFormatException.class, () -> new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.defaults()));
        }
    }
}
