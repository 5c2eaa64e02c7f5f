package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.Fixtures.Fixture;
import dev.mixtral4j.testkit.ReferenceForward;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp loads the shared fixture files and agrees with the independent double-precision
 * reference forward pass: the same top-1 token wherever the reference's choice is clear, and
 * logits within a tolerance that reflects how ggml computes (F16 or Q8 activations for
 * half-precision and quantized weights).
 */
class LlamaCppReferenceTest {
    private static final int[] TOKENS = {1, 23, 270, 5, 144, 9, 299, 61, 2, 77, 180, 33};
    private static Backend backend;

    @BeforeAll
    static void runtime() {
        NativeTestSupport.runtime();
        backend = new LlamaCppBackendProvider().backend();
    }

    static Stream<Fixture> mergedFixtures() {
        return Fixtures.standard().stream().filter(Fixture::mergedExperts);
    }

    /** Largest logit error allowed, relative to the largest reference logit. */
    private static double tolerance(GgmlType type) {
        return switch (type) {
            case F32 -> 1e-3;
            case F16, BF16 -> 2e-2;
            default -> 6e-2; // activations are quantized to Q8 for quantized weights
        };
    }

    @ParameterizedTest
    @MethodSource("mergedFixtures")
    void agreesWithTheReference(Fixture fixture) throws IOException {
        try (ModelFile file = ModelFile.open(fixture.path())) {
            assertTrue(backend.supports(file).available(), backend.supports(file).reason());
            int window = file.config().slidingWindow();
            int[] tokens = window > 0 ? java.util.Arrays.copyOf(TOKENS, Math.min(window, TOKENS.length)) : TOKENS;
            double[][] expected = new ReferenceForward(file).logits(tokens);
            Logits actual;
            for (String repack : List.of("false", "true")) {
                try (BackendModel m = backend.load(file, LoadOptions.builder().threads(1).option(LlamaCppModel.REPACK_OPTION, repack).build());
                     BackendSession s = m.newSession(new SessionOptions(32, GgmlType.F32, 32))) {
                    actual = s.forward(tokens, 0, true);
                    if (window > 0 && window < TOKENS.length) {
                        // llama.cpp ignores the window of llama-architecture files: refused, not wrong
                        assertThrows(UnsupportedOperationException.class, () -> s.forward(new int[] {7}, window, false));
                    }
                }
                compare(fixture.name() + " repack=" + repack, expected, actual, tolerance(fixture.weightType()),
                        fixture.weightType() == GgmlType.F32 || fixture.weightType() == GgmlType.F16 || fixture.weightType() == GgmlType.BF16);
            }
        }
    }

    @Test
    void perExpertFixturesAreDeclinedNotMisread() throws IOException {
        for (Fixture f : Fixtures.standard().stream().filter(f -> !f.mergedExperts()).toList()) {
            try (ModelFile file = ModelFile.open(f.path())) {
                assertFalse(backend.supports(file).available(), f.name());
            }
        }
    }

    @Test
    void routingWeightsAreApplied() throws IOException {
        // a MoE whose experts are all expert 0 must equal the dense model made of that expert
        List<Fixture> pair = Fixtures.identicalExpertsAndDense();
        Logits[] out = new Logits[2];
        for (int i = 0; i < 2; i++) {
            try (ModelFile file = ModelFile.open(pair.get(i).path());
                 BackendModel m = backend.load(file, LoadOptions.builder().threads(1).build());
                 BackendSession s = m.newSession(new SessionOptions(32, GgmlType.F32, 32))) {
                out[i] = s.forward(TOKENS, 0, true);
            }
        }
        LlamaCppBackendTest.assertClose(out[1].data(), out[0].data(), 1e-3f, "identical experts vs dense");
    }

    /**
     * Compares per position. With float weights every position must agree. With quantized weights
     * ggml also quantizes the activations (to Q8 / Q8_K), and where a router's second and third
     * experts are nearly tied it may pick the other one at some position; that position then
     * differs a lot and, through attention, the later ones somewhat (seen with the Q4_K fixtures
     * from position 4 on). The reference cannot rule that out, so for quantized weights the check
     * is coarser: no position may be far off (a misread layout gives errors of the order of the
     * logits themselves), most clear top-1 choices agree, and at least a third of the positions
     * are within the tight tolerance.
     */
    static void compare(String what, double[][] expected, Logits actual, double tolerance, boolean strict) {
        assertEquals(expected.length, actual.rows(), what + ": rows");
        assertEquals(expected[0].length, actual.vocabSize(), what + ": vocabulary");
        double scale = 0;
        for (double[] row : expected) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        int off = 0;
        int clearPositions = 0;
        int topOneMisses = 0;
        double coarse = 0;
        StringBuilder report = new StringBuilder();
        for (int p = 0; p < expected.length; p++) {
            double worst = 0;
            int best = 0;
            int second = -1;
            for (int v = 0; v < expected[p].length; v++) {
                worst = Math.max(worst, Math.abs(expected[p][v] - actual.data()[p * actual.vocabSize() + v]));
                if (expected[p][v] > expected[p][best]) {
                    second = best;
                    best = v;
                } else if (v != best && (second < 0 || expected[p][v] > expected[p][second])) {
                    second = v;
                }
            }
            boolean clear = expected[p][best] - expected[p][second] > 2 * tolerance * scale;
            boolean ok = worst <= tolerance * scale && (!clear || best == actual.argmax(p));
            coarse = Math.max(coarse, worst / scale);
            if (clear) {
                clearPositions++;
                topOneMisses += best == actual.argmax(p) ? 0 : 1;
            }
            report.append(String.format(" p%d:%.3f%s", p, worst, ok ? "" : "!"));
            if (!ok) {
                off++;
            }
        }
        String detail = "tolerance " + tolerance + " x " + String.format("%.3f", scale) + "; max error per position:" + report;
        if (strict) {
            assertEquals(0, off, what + ": positions off; " + detail);
        } else {
            assertTrue(coarse <= 0.6, what + ": a position is far off; " + detail);
            assertTrue(2 * topOneMisses <= clearPositions, what + ": top-1 differs at " + topOneMisses + " of "
                    + clearPositions + " clear positions; " + detail);
            assertTrue(3 * (expected.length - off) >= expected.length, what + ": " + off + " positions off; " + detail);
        }
    }
}
