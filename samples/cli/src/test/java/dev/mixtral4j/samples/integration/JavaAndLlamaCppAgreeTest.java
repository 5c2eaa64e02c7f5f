package dev.mixtral4j.samples.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.Fixtures.Fixture;
import java.io.IOException;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pure-Java backend and llama.cpp, both found through ServiceLoader, on the same fixture
 * files: the same top-1 token at every position whose winner is clear, and close logits. Quantized
 * files get the conformance kit's looser bounds (ggml quantizes activations, which can flip a
 * near-tie in expert routing at a few positions).
 */
class JavaAndLlamaCppAgreeTest {

    static Stream<Fixture> fixtures() {
        return Stream.concat(
                Stream.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0).map(Fixtures::tinyMoe),
                Stream.of(Fixtures.dense(GgmlType.F32), Fixtures.tiedOutput(GgmlType.F32), Fixtures.kQuant("Q4_K_M"),
                        Fixtures.kQuant("Q6_K"), Fixtures.iq4("IQ4_XS"), Fixtures.iq4("IQ4_NL")));
    }

    private static Backend backend(String id) {
        BackendProvider p = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.id().equals(id)).findFirst().orElse(null);
        assumeTrue(p != null, () -> "backend " + id + " not on the class path");
        assumeTrue(p.availability().available(), () -> "backend " + id + " unavailable: " + p.availability().reason());
        return p.backend();
    }

    private static Logits run(Backend backend, ModelFile file, int[] tokens) {
        try (BackendModel m = backend.load(file, LoadOptions.builder().backend(backend.id()).threads(1).build());
             BackendSession s = m.newSession(new SessionOptions(64, GgmlType.F32, 64))) {
            return s.forward(tokens, 0, true);
        }
    }

    /** Largest allowed |difference| of a logit, and the fraction of positions that must be within it. */
    private static double[] tolerance(GgmlType type) {
        return switch (type) {
            case F32 -> new double[] {2e-2, 1.0}; // llama.cpp's flash attention
            case F16 -> new double[] {3e-2, 1.0};
            case BF16 -> new double[] {0.2, 1.0};
            case Q8_0 -> new double[] {0.4, 0.9};
            default -> new double[] {0.6, 0.8};
        };
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void sameTopOneAndCloseLogits(Fixture fixture) throws IOException {
        Backend java = backend("java");
        Backend llama = backend("llamacpp");
        try (ModelFile file = ModelFile.open(fixture.path())) {
            assumeTrue(llama.supports(file).available(), () -> llama.supports(file).reason());
            Random r = new Random(fixture.name().hashCode());
            int[] tokens = r.ints(24, 0, file.config().vocabSize()).toArray();
            Logits a = run(java, file, tokens);
            Logits b = run(llama, file, tokens);
            assertEquals(a.rows(), b.rows());
            assertEquals(a.vocabSize(), b.vocabSize());
            double[] tol = tolerance(fixture.weightType());
            int within = 0;
            StringBuilder report = new StringBuilder();
            for (int p = 0; p < a.rows(); p++) {
                float[] x = a.row(p);
                float[] y = b.row(p);
                double worst = 0;
                for (int v = 0; v < x.length; v++) {
                    worst = Math.max(worst, Math.abs(x[v] - y[v]));
                }
                boolean close = worst <= tol[0];
                within += close ? 1 : 0;
                report.append(String.format(" p%d:%.4f", p, worst));
                int top = a.argmax(p);
                float runnerUp = Float.NEGATIVE_INFINITY;
                for (int v = 0; v < x.length; v++) {
                    if (v != top) {
                        runnerUp = Math.max(runnerUp, x[v]);
                    }
                }
                if (close && x[top] - runnerUp > 2 * tol[0]) {
                    assertEquals(top, b.argmax(p), fixture + ": top-1 at position " + p);
                }
            }
            assertTrue(within >= Math.ceil(tol[1] * a.rows()), fixture + ": only " + within + " of " + a.rows()
                    + " positions within " + tol[0] + ";" + report);
        }
    }
}
