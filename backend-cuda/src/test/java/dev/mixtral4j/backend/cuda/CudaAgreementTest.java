package dev.mixtral4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA backend against backend-java (the numerical reference) on generated models: same
 * top-1 token at every position of a prefill and of the decode steps after it, logits close.
 * Needs a GPU; skipped with the reason elsewhere.
 */
class CudaAgreementTest {
    @TempDir
    Path dir;

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("F32 merged experts", SyntheticModel.builder().tensorType(GgmlType.F32)),
                Arguments.of("F16 per-expert", SyntheticModel.builder().tensorType(GgmlType.F16)
                        .expertLayout(SyntheticModel.ExpertLayout.PER_EXPERT)),
                Arguments.of("BF16", SyntheticModel.builder().tensorType(GgmlType.BF16)),
                Arguments.of("Q8_0 tied output", SyntheticModel.builder().tensorType(GgmlType.Q8_0).tiedOutput(true)),
                Arguments.of("Q4_0", SyntheticModel.builder().tensorType(GgmlType.Q4_0)),
                Arguments.of("Q4_K_M width 256", SyntheticModel.builder().embeddingLength(256).heads(4).kvHeads(1)
                        .feedForwardLength(512).fileType("Q4_K_M")),
                Arguments.of("dense, sliding window 8", SyntheticModel.builder().experts(0).expertsUsed(0)
                        .slidingWindow(8).tensorType(GgmlType.Q8_0)));
    }

    static BackendProvider provider(String id) {
        return ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.id().equals(id)).findFirst().orElseThrow(() -> new AssertionError("no " + id + " provider"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void agreesWithTheJavaBackend(String label, SyntheticModel.Builder builder) throws Exception {
        Availability cuda = provider("cuda").availability();
        assumeTrue(cuda.available(), "needs a CUDA GPU: " + cuda.reason());
        Path file = builder.seed(11).write(dir.resolve("m.gguf"));
        int[] prompt = {1, 17, 33, 2, 250, 99, 5, 64, 128, 7, 12, 200, 3, 41, 42, 43, 44, 45};
        int[] next = {9, 8, 7, 6};
        try (ModelFile m = ModelFile.open(file)) {
            Logits[] ref = run(provider("java").backend(), m, prompt, next);
            Logits[] got = run(provider("cuda").backend(), m, prompt, next);
            for (int i = 0; i < ref.length; i++) {
                compare(label + " step " + i, ref[i], got[i]);
            }
        }
    }

    /** Prefill in two uneven chunks (batch 7) with all logits, then one token at a time. */
    private static Logits[] run(Backend backend, ModelFile m, int[] prompt, int[] next) {
        Logits[] out = new Logits[1 + next.length];
        try (BackendModel model = backend.load(m, LoadOptions.builder().backend(backend.id()).threads(2).build());
             BackendSession s = model.newSession(new SessionOptions(64, GgmlType.F32, 7))) {
            out[0] = s.forward(prompt, 0, true);
            for (int i = 0; i < next.length; i++) {
                out[1 + i] = s.forward(new int[] {next[i]}, prompt.length + i, false);
            }
        }
        return out;
    }

    private static void compare(String what, Logits ref, Logits got) {
        assertEquals(ref.rows(), got.rows(), what + " rows");
        assertEquals(ref.vocabSize(), got.vocabSize(), what + " vocab");
        for (int r = 0; r < ref.rows(); r++) {
            float[] a = ref.row(r);
            float[] b = got.row(r);
            double maxAbs = 0;
            double scale = 0;
            for (int i = 0; i < a.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
                scale = Math.max(scale, Math.abs(a[i]));
            }
            // prefill runs on tensor cores with half-precision inputs: allow 2% of the logit range
            assertTrue(maxAbs <= 0.02 * scale + 1e-3, what + " row " + r + ": max |diff| " + maxAbs + " of " + scale);
            int top = ref.argmax(r);
            float gap = a[top] - secondLargest(a, top);
            if (gap > 2 * maxAbs) {   // a near-tie may flip within tolerance; a clear winner may not
                assertEquals(top, got.argmax(r), what + " row " + r + " top-1");
            }
        }
    }

    private static float secondLargest(float[] a, int top) {
        float best = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            if (i != top) {
                best = Math.max(best, a[i]);
            }
        }
        return best;
    }
}
