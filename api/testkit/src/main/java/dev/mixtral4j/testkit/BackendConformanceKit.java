package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.Fixtures.Fixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance tests every backend must pass, ours or a third party's. Extend it in the
 * backend's test sources and supply the backend:
 *
 * <pre>{@code
 * class MyBackendConformanceTest extends BackendConformanceKit {
 *     @Override protected Backend backend() { return new MyBackendProvider().backend(); }
 * }
 * }</pre>
 *
 * When the backend is unavailable every test is skipped with its availability reason; a fixture
 * the backend does not {@link Backend#supports support} is skipped with the backend's reason.
 * The tests load the {@link Fixtures} tiny models and check the backend against
 * {@link ReferenceForward} (logits of every position), against itself (one-call prefill versus
 * token-by-token decode, chunked prefill, truncation, re-starting mid-sequence, independent
 * sessions, several sessions decoded in one {@link BackendModel#forwardEach} step versus each
 * alone, merged versus per-expert layout, the routing-weights pair) and its contract (bad
 * token ids and context overflow are {@link IllegalArgumentException}s that leave the session
 * usable, close is idempotent, a missing tensor fails at load naming it).
 *
 * <p>Override {@link #tolerance(Fixture)}, {@link #fixtures()}, {@link #loadOptions()},
 * {@link #sessionOptions(ModelConfig)} or {@link #honoursSlidingWindow()} where a backend needs
 * it. Sessions ask for an F32 KV cache.
 */
public abstract class BackendConformanceKit {

    /**
     * How close a backend's logits must be to the expected ones.
     *
     * @param maxAbsDelta     largest allowed |difference| of any logit at a position that passes
     * @param passingFraction fraction of positions that must pass (below 1 where quantized
     *                        activations may flip a near-tie in expert routing)
     */
    public record Tolerance(double maxAbsDelta, double passingFraction) {
        public Tolerance {
            if (!(maxAbsDelta >= 0) || passingFraction <= 0 || passingFraction > 1) {
                throw new IllegalArgumentException(maxAbsDelta + ", " + passingFraction);
            }
        }
    }

    /**
     * How close a backend's routing traces must be to the reference's.
     *
     * @param probabilityMargin two experts whose reference router probabilities are this close
     *                          (absolute) form a near-tie: the backend may order or choose them
     *                          either way, and the token's later layers are then not compared
     * @param maxWeightDelta    largest allowed |difference| of a renormalised weight
     */
    public record RoutingTolerance(double probabilityMargin, double maxWeightDelta) {
        public RoutingTolerance {
            if (!(probabilityMargin >= 0) || !(maxWeightDelta >= 0)) {
                throw new IllegalArgumentException(probabilityMargin + ", " + maxWeightDelta);
            }
        }
    }

    /** The backend under test; called for every test, so return a cached instance if creating one is costly. */
    protected abstract Backend backend();

    /**
     * Tolerances by weight type. The defaults suit a backend that computes in F32 but may quantize
     * activations for quantized weights as llama.cpp's CPU backend does: measured against
     * {@link ReferenceForward} on the fixtures, llama.cpp v0.5.0 (F32 KV cache, no flash attention)
     * differs by at most 4e-6 (F32), 5e-3 (F16), 0.06 (BF16), 0.17 (Q8_0) and 0.1-0.25 (Q4_0,
     * K-quants) except at the few positions where a near-tie in expert routing flipped under
     * quantized activations (1-5 there, and up to 1 at some later positions through attention).
     * With flash attention on, llama.cpp's F32 logits differ by up to 1e-2: such a backend
     * overrides this for F32.
     */
    protected Tolerance tolerance(Fixture fixture) {
        return switch (fixture.weightType()) {
            case F32 -> new Tolerance(1e-3, 1.0);
            case F16 -> new Tolerance(2e-2, 1.0);
            case BF16 -> new Tolerance(0.15, 1.0);
            case Q8_0 -> new Tolerance(0.4, 0.9);
            default -> new Tolerance(0.6, 0.8);
        };
    }

    /**
     * Routing tolerances by weight type, for backends that {@linkplain Backend#supportsRoutingTraces
     * report routing}. Like {@link #tolerance}, sized for F32 arithmetic with quantized activations
     * where the weights are quantized.
     */
    protected RoutingTolerance routingTolerance(Fixture fixture) {
        return switch (fixture.weightType()) {
            case F32 -> new RoutingTolerance(1e-3, 1e-3);
            case F16 -> new RoutingTolerance(5e-3, 1e-2);
            case BF16, Q8_0 -> new RoutingTolerance(0.03, 0.05);
            default -> new RoutingTolerance(0.06, 0.1);
        };
    }

    /** The fixtures checked against the reference (default {@link Fixtures#standard()}). */
    protected List<Fixture> fixtures() {
        return Fixtures.standard();
    }

    protected LoadOptions loadOptions() {
        return LoadOptions.builder().backend(backend().id()).threads(2).build();
    }

    protected SessionOptions sessionOptions(ModelConfig config) {
        return new SessionOptions(Math.min(64, config.contextLength()), GgmlType.F32, 64);
    }

    /**
     * False for a backend that runs every model without a sliding window (llama.cpp v0.5.0 ignores
     * {@code llama.attention.sliding_window} for the llama architecture): the sliding-window
     * fixture is then skipped.
     */
    protected boolean honoursSlidingWindow() {
        return true;
    }

    /** The fixture the session-behaviour tests use: the first tiny MoE (F32, F16, Q8_0, Q4_0) the backend supports. */
    protected Fixture primaryFixture() {
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)) {
            Fixture f = Fixtures.tinyMoe(t);
            if (supported(f) == null) {
                return f;
            }
        }
        Assumptions.abort(backend().id() + " supports none of the tiny F32/F16/Q8_0/Q4_0 fixtures");
        return null;
    }

    @BeforeEach
    final void requireAvailableBackend() {
        Availability a = backend().availability();
        Assumptions.assumeTrue(a.available(), () -> "backend " + backend().id() + " unavailable: " + a.reason());
    }

    // ------------------------------------------------------------------ against the reference

    @TestFactory
    final Stream<DynamicTest> agreesWithTheReferenceOnEveryFixture() {
        return fixtures().stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            if (f.slidingWindow() > 0 && !honoursSlidingWindow()) {
                Assumptions.abort(backend().id() + " does not apply sliding windows");
            }
            String why = supported(f);
            Assumptions.assumeTrue(why == null, () -> why);
            try (ModelFile m = ModelFile.open(f.path())) {
                int[] tokens = tokens(m.config(), Math.min(24, sessionOptions(m.config()).contextLength()), 1);
                float[][] expected = reference(m, f, tokens);
                try (BackendModel bm = backend().load(m, loadOptions());
                     BackendSession s = bm.newSession(sessionOptions(m.config()))) {
                    Logits got = s.forward(tokens, 0, true);
                    assertEquals(tokens.length, s.position(), f.name() + ": position after a forward of " + tokens.length + " tokens from 0");
                    assertClose(f.name() + " vs reference", expected, got, tolerance(f));
                }
            }
        }));
    }

    @TestFactory
    final Stream<DynamicTest> routingAgreesWithTheReference() {
        return fixtures().stream().filter(Fixture::moe).map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            Assumptions.assumeTrue(backend().supportsRoutingTraces(),
                    () -> backend().id() + " does not declare routing traces (Backend.supportsRoutingTraces)");
            if (f.slidingWindow() > 0 && !honoursSlidingWindow()) {
                Assumptions.abort(backend().id() + " does not apply sliding windows");
            }
            String why = supported(f);
            Assumptions.assumeTrue(why == null, () -> why);
            try (ModelFile m = ModelFile.open(f.path())) {
                int[] tokens = tokens(m.config(), Math.min(24, sessionOptions(m.config()).contextLength()), 1);
                ReferenceForward reference = new ReferenceForward(m);
                reference.logits(tokens);
                RoutingRecorder recorder = new RoutingRecorder();
                try (BackendModel bm = backend().load(m, loadOptions());
                     BackendSession s = bm.newSession(sessionOptions(m.config()))) {
                    s.routingListener(recorder);
                    s.forward(tokens, 0, false);
                }
                RoutingTrace got = recorder.trace().orElseThrow(() -> new AssertionError(
                        f.name() + ": no routing trace reported for a forward call with a listener attached"));
                assertRoutingClose(f.name(), reference.lastRouting(), got, routingTolerance(f));
            }
        }));
    }

    @Test
    final void routingTracesFollowTheForwardCalls() throws IOException {
        Assumptions.assumeTrue(backend().supportsRoutingTraces(),
                () -> backend().id() + " does not declare routing traces (Backend.supportsRoutingTraces)");
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            ModelConfig c = m.config();
            int[] tokens = tokens(c, 14, 15);
            List<RoutingTrace> got = new ArrayList<>();
            s[0].forward(Arrays.copyOf(tokens, 5), 0, true);
            s[0].routingListener(got::add);
            s[0].forward(Arrays.copyOfRange(tokens, 5, 9), 5, false);
            s[0].forward(Arrays.copyOfRange(tokens, 9, 12), 9, true);
            s[0].forward(Arrays.copyOfRange(tokens, 3, 6), 3, false);
            s[0].routingListener(new dev.mixtral4j.routing.RoutingListener() {
                @Override
                public void onRouting(RoutingTrace trace) {
                    got.add(trace);
                }

                @Override
                public boolean wantsRouterProbabilities() {
                    return true;
                }
            });
            s[0].forward(Arrays.copyOfRange(tokens, 6, 8), 6, false);
            s[0].routingListener(null);
            Logits after = s[0].forward(Arrays.copyOfRange(tokens, 8, 14), 8, true);
            assertClose("logits after listeners were attached and removed mid-sequence vs a session without any",
                    tail(s[1].forward(tokens, 0, true), 6), after, tolerance(f));
            assertEquals(4, got.size(), "one trace per forward call while a listener is attached, none before or after");
            int[][] expectedCalls = {{5, 9}, {9, 12}, {3, 6}, {6, 8}};
            for (int i = 0; i < got.size(); i++) {
                RoutingTrace t = got.get(i);
                int from = expectedCalls[i][0];
                int to = expectedCalls[i][1];
                String call = "trace of call " + i + " (positions " + from + ".." + (to - 1) + ")";
                assertEquals(from, t.startPosition(), call + ": start position");
                assertEquals(Arrays.toString(Arrays.copyOfRange(tokens, from, to)), Arrays.toString(t.tokens()),
                        call + ": the call's tokens, every one of them (also when only the last logits are asked for)");
                assertEquals(c.blockCount(), t.layerCount(), call + ": layers");
                assertEquals(c.expertCount(), t.expertCount(), call + ": experts");
                assertEquals(c.expertUsedCount(), t.expertsUsed(), call + ": experts used");
                assertEquals(i == 3, t.hasRouterProbabilities(), call + ": router probabilities exactly when asked for");
                for (int l = 0; l < t.layerCount(); l++) {
                    for (int p = 0; p < t.tokenCount(); p++) {
                        float[] w = t.weights(l, p);
                        double sum = 0;
                        for (int j = 0; j < w.length; j++) {
                            sum += w[j];
                            assertTrue(j == 0 || w[j] <= w[j - 1] + 1e-6f, call + ": weights best first at layer " + l
                                    + ", token " + p + ": " + Arrays.toString(w));
                        }
                        assertEquals(1.0, sum, 1e-3, call + ": renormalised weights sum to 1 at layer " + l + ", token " + p);
                        if (t.hasRouterProbabilities()) {
                            float[] pr = t.routerProbabilities(l, p);
                            double total = 0;
                            for (float v : pr) {
                                total += v;
                            }
                            assertEquals(1.0, total, 1e-3, call + ": router probabilities sum to 1");
                            int[] chosen = t.experts(l, p);
                            for (int e = 0; e < pr.length; e++) {
                                if (e != chosen[0]) {
                                    assertTrue(pr[chosen[0]] >= pr[e] - 1e-6f, call + ": the first choice has the highest "
                                            + "router probability at layer " + l + ", token " + p);
                                }
                            }
                            double chosenSum = 0;
                            for (int e : chosen) {
                                chosenSum += pr[e];
                            }
                            assertEquals(pr[chosen[0]] / chosenSum, w[0], 1e-3,
                                    call + ": the weight is the renormalised router probability");
                        }
                    }
                }
            }
        });
    }

    @Test
    final void routingWeightsAreApplied() throws IOException {
        List<Fixture> pair = Fixtures.identicalExpertsAndDense();
        for (Fixture f : pair) {
            String why = supported(f);
            Assumptions.assumeTrue(why == null, () -> why);
        }
        float[][] moe = run(pair.get(0), tokens(null, 16, 2));
        float[][] dense = run(pair.get(1), tokens(null, 16, 2));
        assertClose("a MoE of identical experts vs the dense model of that expert (routing weights must sum to 1)",
                dense, logits(moe), tolerance(pair.get(0)));
        try (ModelFile m = ModelFile.open(pair.get(0).path())) {
            assertClose("identical experts vs reference", reference(m, pair.get(0), tokens(null, 16, 2)), logits(moe),
                    tolerance(pair.get(0)));
        }
    }

    @Test
    final void mergedAndPerExpertLayoutsAgree() {
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.Q8_0)) {
            Fixture merged = Fixtures.tinyMoe(t);
            Fixture split = Fixtures.tinyMoePerExpert(t);
            if (supported(merged) != null || supported(split) != null) {
                continue;
            }
            int[] tokens = tokens(null, 20, 3);
            assertClose(t + " merged vs per-expert", run(merged, tokens), logits(run(split, tokens)), tolerance(merged));
            return;
        }
        Assumptions.abort(backend().id() + " does not support both expert layouts of the F32 or Q8_0 fixture");
    }

    @Test
    final void tiedOutputMatchesTheReference() throws IOException {
        Fixture f = Fixtures.tiedOutput(GgmlType.F32);
        String why = supported(f);
        Assumptions.assumeTrue(why == null, () -> why);
        int[] tokens = tokens(null, 12, 4);
        try (ModelFile m = ModelFile.open(f.path())) {
            assertTrue(m.tensors().isOutputTied(), f.name() + " should have no output tensor (tied to token_embd)");
            assertClose("tied output", reference(m, f, tokens), logits(run(f, tokens)), tolerance(f));
        }
    }

    // ------------------------------------------------------------------ consistency of sessions

    @Test
    final void prefillInOneCallEqualsTokenByTokenDecode() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int[] tokens = tokens(m.config(), 20, 5);
            Logits prefill = s[0].forward(tokens, 0, true);
            float[][] decoded = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                Logits one = s[1].forward(new int[] {tokens[i]}, i, false);
                assertEquals(1, one.rows(), "rows of logits for one token with allLogits=false");
                decoded[i] = one.row(0);
                assertEquals(i + 1, s[1].position(), "position after decoding token " + i);
            }
            assertClose("token-by-token decode vs one-call prefill", rows(prefill), logits(decoded), tolerance(f));
        });
    }

    @Test
    final void chunkedPrefillEqualsOneCall() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int[] tokens = tokens(m.config(), 23, 6);
            Logits whole = s[0].forward(tokens, 0, true);
            float[][] chunked = new float[tokens.length][];
            int at = 0;
            for (int size : new int[] {5, 1, 7, 10}) {
                Logits part = s[1].forward(Arrays.copyOfRange(tokens, at, at + size), at, true);
                assertEquals(size, part.rows(), "rows of logits for a chunk of " + size + " tokens with allLogits=true");
                for (int r = 0; r < size; r++) {
                    chunked[at + r] = part.row(r);
                }
                at += size;
            }
            assertClose("chunked prefill vs one call", rows(whole), logits(chunked), tolerance(f));
            Logits last = s[0].forward(tokens, 0, false);
            assertEquals(1, last.rows(), "allLogits=false returns the last row only");
            assertClose("last-row-only", new float[][] {whole.row(tokens.length - 1)}, last, tolerance(f));
        });
    }

    @Test
    final void truncateThenRecomputeEqualsAFreshRun() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int[] tokens = tokens(m.config(), 16, 7);
            int[] other = tokens(m.config(), 6, 8);
            s[0].forward(tokens, 0, true);
            s[0].truncate(10);
            assertEquals(10, s[0].position(), "position after truncate(10) of 16 tokens");
            Logits resumed = s[0].forward(other, 10, true);
            assertEquals(16, s[0].position(), "position after 6 more tokens from position 10");
            int[] fresh = concat(Arrays.copyOf(tokens, 10), other);
            Logits expected = s[1].forward(fresh, 0, true);
            assertClose("truncate(10) then new tokens vs a fresh run", tail(expected, 6), resumed, tolerance(f));
        });
    }

    @Test
    final void startPositionBeforeTheEndTruncates() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int[] tokens = tokens(m.config(), 16, 9);
            int[] other = tokens(m.config(), 4, 10);
            s[0].forward(tokens, 0, true);
            Logits rewritten = s[0].forward(other, 6, true);
            assertEquals(10, s[0].position(), "the cache holds 6 old and 4 new tokens");
            Logits expected = s[1].forward(concat(Arrays.copyOf(tokens, 6), other), 0, true);
            assertClose("restart at position 6 vs a fresh run", tail(expected, 4), rewritten, tolerance(f));
        });
    }

    @Test
    final void sessionsAreIndependent() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 4, (m, s) -> {
            int[] a = tokens(m.config(), 12, 11);
            int[] b = tokens(m.config(), 12, 12);
            // interleave two sequences on s[0] and s[1]; run them alone on s[2] and s[3]
            float[][] ra = new float[12][];
            float[][] rb = new float[12][];
            for (int i = 0; i < 12; i += 4) {
                Logits la = s[0].forward(Arrays.copyOfRange(a, i, i + 4), i, true);
                Logits lb = s[1].forward(Arrays.copyOfRange(b, i, i + 4), i, true);
                for (int r = 0; r < 4; r++) {
                    ra[i + r] = la.row(r);
                    rb[i + r] = lb.row(r);
                }
            }
            assertClose("interleaved session A", rows(s[2].forward(a, 0, true)), logits(ra), tolerance(f));
            assertClose("interleaved session B", rows(s[3].forward(b, 0, true)), logits(rb), tolerance(f));
        });
    }

    // ------------------------------------------------------------------ several sessions in one step

    /**
     * {@link BackendModel#forwardEach}: eight sessions at different positions (0 to 12 cached
     * tokens) decode in steps of 1, 2, 3 and 8 sessions (in a shuffled order, so row i must follow
     * session i, not the creation order); each step must give every session the logits a twin
     * session decoding alone gets, advance exactly the sessions in the step, and agree with the
     * double-precision reference at each session's position.
     */
    @Test
    final void decodingSessionsTogetherEqualsDecodingEachAlone() throws IOException {
        Fixture f = primaryFixture();
        withModel(f, (m, bm) -> {
            ModelConfig c = m.config();
            int n = 8;
            int[] cached = {5, 0, 9, 1, 12, 3, 7, 2};
            int[][] steps = {{0}, {1, 0}, {2, 5, 7}, {6, 3, 0, 7, 4, 1, 2, 5}};
            int[][] sequence = new int[n][];
            BackendSession[] together = new BackendSession[n];
            BackendSession[] alone = new BackendSession[n];
            List<float[]> gotRows = new ArrayList<>();
            List<float[]> expectedRows = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    sequence[i] = tokens(c, cached[i] + steps.length, 40 + i);
                    together[i] = bm.newSession(sessionOptions(c));
                    alone[i] = bm.newSession(sessionOptions(c));
                    if (cached[i] > 0) {
                        together[i].forward(Arrays.copyOf(sequence[i], cached[i]), 0, false);
                        alone[i].forward(Arrays.copyOf(sequence[i], cached[i]), 0, false);
                    }
                }
                ReferenceForward reference = new ReferenceForward(m);
                float[][][] referenceOf = new float[n][][];
                for (int i = 0; i < n; i++) {
                    referenceOf[i] = reference.logitsAsFloat(sequence[i]);
                }
                for (int[] step : steps) {
                    List<BackendSession> batch = new ArrayList<>();
                    int[] next = new int[step.length];
                    int[] before = new int[n];
                    for (int i = 0; i < n; i++) {
                        before[i] = together[i].position();
                    }
                    for (int j = 0; j < step.length; j++) {
                        batch.add(together[step[j]]);
                        next[j] = sequence[step[j]][before[step[j]]];
                    }
                    Logits got = bm.forwardEach(batch, next);
                    String what = "a step of " + step.length + " session(s) " + Arrays.toString(step);
                    assertEquals(step.length, got.rows(), what + ": one row of logits per session");
                    float[][] each = new float[step.length][];
                    for (int j = 0; j < step.length; j++) {
                        int i = step[j];
                        each[j] = alone[i].forward(new int[] {next[j]}, before[i], false).row(0);
                        gotRows.add(got.row(j));
                        expectedRows.add(referenceOf[i][before[i]]);
                    }
                    assertClose(what + " vs each session decoding alone", each, got, tolerance(f));
                    for (int i = 0; i < n; i++) {
                        boolean in = false;
                        for (int j : step) {
                            in |= j == i;
                        }
                        assertEquals(before[i] + (in ? 1 : 0), together[i].position(),
                                what + ": position of session " + i + (in ? " (in the step)" : " (not in the step)"));
                    }
                }
                assertClose("sessions decoded together vs the reference at their positions",
                        expectedRows.toArray(float[][]::new), logits(gotRows.toArray(float[][]::new)), tolerance(f));
            } finally {
                closeAll(together);
                closeAll(alone);
            }
        });
    }

    /**
     * {@link BackendModel#forwardEach} checks everything before computing anything: an empty or
     * mismatched input, a session listed twice, a bad token id, a full session and a closed
     * session are refused with the documented exceptions, no session advances, and a correct step
     * afterwards still gives each session the logits of decoding alone.
     */
    @Test
    final void decodingTogetherRefusesBadInputAndLeavesTheSessionsAsTheyWere() throws IOException {
        Fixture f = primaryFixture();
        withModel(f, (m, bm) -> {
            ModelConfig c = m.config();
            int vocab = c.vocabSize();
            BackendSession a = bm.newSession(sessionOptions(c));
            BackendSession b = bm.newSession(sessionOptions(c));
            BackendSession twin = bm.newSession(sessionOptions(c));
            BackendSession closed = bm.newSession(sessionOptions(c));
            BackendSession full = bm.newSession(new SessionOptions(4, GgmlType.F32, 64));
            try {
                int[] ta = tokens(c, 6, 50);
                int[] tb = tokens(c, 6, 51);
                a.forward(Arrays.copyOf(ta, 3), 0, false);
                b.forward(Arrays.copyOf(tb, 5), 0, false);
                twin.forward(Arrays.copyOf(ta, 3), 0, false);
                full.forward(tokens(c, full.contextLength(), 52), 0, false);
                closed.forward(new int[] {1}, 0, false);
                closed.close();
                assertThrows(IllegalArgumentException.class, () -> bm.forwardEach(List.of(), new int[0]), "no sessions");
                assertThrows(IllegalArgumentException.class, () -> bm.forwardEach(List.of(a, b), new int[] {1}),
                        "two sessions, one token");
                assertThrows(IllegalArgumentException.class, () -> bm.forwardEach(List.of(a, b, a), new int[] {1, 2, 3}),
                        "a session listed twice");
                for (int bad : new int[] {-1, vocab, Integer.MIN_VALUE}) {
                    assertThrows(IllegalArgumentException.class, () -> bm.forwardEach(List.of(a, b), new int[] {1, bad}),
                            "token id " + bad + " for the second session");
                }
                assertThrows(IllegalArgumentException.class, () -> bm.forwardEach(List.of(a, full), new int[] {1, 2}),
                        "a session whose context is full");
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> bm.forwardEach(List.of(a, b, closed), new int[] {1, 2, 3}), "a closed session");
                assertTrue(String.valueOf(e.getMessage()).contains("closed"), "the message says a session is closed: "
                        + e.getMessage());
                assertEquals(3, a.position(), "refused steps leave the first session as it was");
                assertEquals(5, b.position(), "refused steps leave the second session as it was");
                assertEquals(full.contextLength(), full.position(), "refused steps leave the full session as it was");
                Logits step = bm.forwardEach(List.of(b, a), new int[] {tb[5], ta[3]});
                assertEquals(4, a.position(), "a step after refused ones advances the session");
                assertClose("after refused steps, vs decoding alone", new float[][] {
                        twin.forward(new int[] {ta[3]}, 3, false).row(0)}, logits(new float[][] {step.row(1)}),
                        tolerance(f));
            } finally {
                closeAll(new BackendSession[] {a, b, twin, closed, full});
            }
        });
    }

    /**
     * Routing of a step of several sessions: each session with a listener gets one trace for its
     * one token at its position (the same experts as decoding alone, up to near-ties), and a
     * session without a listener gets nothing.
     */
    @Test
    final void decodingTogetherReportsEachSessionsRouting() throws IOException {
        Assumptions.assumeTrue(backend().supportsRoutingTraces(),
                () -> backend().id() + " does not declare routing traces (Backend.supportsRoutingTraces)");
        Fixture f = primaryFixture();
        withModel(f, (m, bm) -> {
            ModelConfig c = m.config();
            int[] ta = tokens(c, 8, 60);
            int[] tb = tokens(c, 8, 61);
            BackendSession a = bm.newSession(sessionOptions(c));
            BackendSession b = bm.newSession(sessionOptions(c));
            BackendSession quiet = bm.newSession(sessionOptions(c));
            BackendSession aloneA = bm.newSession(sessionOptions(c));
            try {
                a.forward(Arrays.copyOf(ta, 4), 0, false);
                aloneA.forward(Arrays.copyOf(ta, 4), 0, false);
                b.forward(Arrays.copyOf(tb, 7), 0, false);
                quiet.forward(Arrays.copyOf(tb, 2), 0, false);
                List<RoutingTrace> ofA = new ArrayList<>();
                List<RoutingTrace> ofB = new ArrayList<>();
                List<RoutingTrace> alone = new ArrayList<>();
                a.routingListener(ofA::add);
                b.routingListener(ofB::add);
                aloneA.routingListener(alone::add);
                bm.forwardEach(List.of(quiet, b, a), new int[] {tb[2], tb[7], ta[4]});
                aloneA.forward(new int[] {ta[4]}, 4, false);
                assertEquals(1, ofA.size(), "one trace for the session with a listener");
                assertEquals(1, ofB.size(), "one trace for the other session with a listener");
                RoutingTrace ta4 = ofA.getFirst();
                assertEquals(4, ta4.startPosition(), "the trace starts at the session's position");
                assertEquals(Arrays.toString(new int[] {ta[4]}), Arrays.toString(ta4.tokens()), "the session's token");
                assertEquals(7, ofB.getFirst().startPosition(), "the other trace starts at its session's position");
                assertEquals(Arrays.toString(new int[] {tb[7]}), Arrays.toString(ofB.getFirst().tokens()),
                        "the other session's token");
                RoutingTrace expected = alone.getFirst();
                assertEquals(c.blockCount(), ta4.layerCount(), "layers in the trace");
                int matching = 0;
                for (int l = 0; l < c.blockCount(); l++) {
                    matching += Arrays.equals(expected.experts(l, 0), ta4.experts(l, 0)) ? 1 : 0;
                }
                assertTrue(2 * matching >= c.blockCount(), "the experts chosen in the step are those chosen decoding "
                        + "alone (in at least half the layers; near-ties may flip): " + matching + " of " + c.blockCount());
            } finally {
                closeAll(new BackendSession[] {a, b, quiet, aloneA});
            }
        });
    }

    // ------------------------------------------------------------------ contract

    @Test
    final void badTokenIdsAreRejectedAndLeaveTheSessionUsable() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int vocab = m.config().vocabSize();
            int[] tokens = tokens(m.config(), 6, 13);
            s[0].forward(Arrays.copyOf(tokens, 3), 0, true);
            for (int bad : new int[] {-1, vocab, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
                assertThrows(IllegalArgumentException.class, () -> s[0].forward(new int[] {1, bad}, 3, true),
                        "token id " + bad);
                assertEquals(3, s[0].position(), "a rejected call leaves the cache as it was");
            }
            assertThrows(IllegalArgumentException.class, () -> s[0].forward(new int[0], 3, true), "empty input");
            assertThrows(IllegalArgumentException.class, () -> s[0].forward(new int[] {1}, 4, true),
                    "start position after the end");
            assertThrows(IllegalArgumentException.class, () -> s[0].forward(new int[] {1}, -1, true),
                    "negative start position");
            Logits rest = s[0].forward(Arrays.copyOfRange(tokens, 3, 6), 3, true);
            assertClose("after rejected calls", tail(s[1].forward(tokens, 0, true), 3), rest, tolerance(f));
        });
    }

    @Test
    final void contextOverflowIsRejectedBeforeComputing() throws IOException {
        Fixture f = primaryFixture();
        try (ModelFile m = ModelFile.open(f.path()); BackendModel bm = backend().load(m, loadOptions())) {
            SessionOptions small = new SessionOptions(16, GgmlType.F32, 64);
            try (BackendSession s = bm.newSession(small)) {
                int ctx = s.contextLength();
                assertTrue(ctx <= 16, "context length " + ctx + " honours the requested 16");
                int[] tokens = tokens(m.config(), ctx + 1, 14);
                assertThrows(IllegalArgumentException.class, () -> s.forward(tokens, 0, true),
                        ctx + 1 + " tokens into a context of " + ctx + " must be rejected");
                assertEquals(0, s.position(), "a rejected overflow leaves the empty cache empty");
                s.forward(Arrays.copyOf(tokens, ctx - 2), 0, false);
                assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1, 2, 3}, ctx - 2, false),
                        "3 tokens at position " + (ctx - 2) + " overflow the context of " + ctx + " and must be rejected");
                assertEquals(ctx - 2, s.position(), "a rejected overflow leaves the position as it was");
                assertEquals(1, s.forward(new int[] {1, 2}, ctx - 2, false).rows(), "filling the context exactly works");
            }
        }
    }

    @Test
    final void closeIsIdempotent() throws IOException {
        Fixture f = primaryFixture();
        try (ModelFile m = ModelFile.open(f.path())) {
            BackendModel bm = backend().load(m, loadOptions());
            BackendSession s = bm.newSession(sessionOptions(m.config()));
            s.forward(new int[] {1, 2, 3}, 0, false);
            assertDoesNotThrow(s::close, "first session close");
            assertDoesNotThrow(s::close, "second session close (must be idempotent)");
            assertDoesNotThrow(bm::close, "first model close");
            assertDoesNotThrow(bm::close, "second model close (must be idempotent)");
        }
    }

    @Test
    final void aMissingTensorFailsAtLoadNamingIt() throws IOException {
        Fixture f = primaryFixture();
        String missing = "blk.1.attn_k.weight";
        var broken = Fixtures.withoutTensors(f.path(), f.name() + "-without-blk1-attn_k", missing::equals);
        try (ModelFile m = ModelFile.open(broken)) {
            Availability a = assertDoesNotThrow(() -> backend().supports(m), "supports() never throws for a bad file");
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
                try (BackendModel bm = backend().load(m, loadOptions())) {
                    fail("loaded a model without " + missing + " (supports said: " + a + ")");
                }
            }, "loading a file without " + missing + " must fail with a ModelFormatException naming it");
            assertTrue(e.getMessage().contains(missing), "names the tensor: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Iterations of {@link #closingRacesWithSessionsAndForwardsCleanly}: each loads the model,
     * starts a thread that opens sessions and computes, and closes the model under it after a
     * varying delay. Override to spend less time on a backend whose load is slow.
     */
    protected int closeRaceIterations() {
        return Integer.getInteger("mixtral4j.kit.closeRaceIterations", 2000);
    }

    @Test
    final void truncatePastThePositionIsRejectedAndTruncateToItIsANoOp() throws IOException {
        Fixture f = primaryFixture();
        withSessions(f, 2, (m, s) -> {
            int[] tokens = tokens(m.config(), 8, 15);
            s[0].forward(tokens, 0, false);
            IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> s[0].truncate(9),
                    "truncate(9) with 8 cached tokens must be rejected, not ignored");
            assertTrue(past.getMessage() != null && past.getMessage().contains("9"),
                    "the message names the length asked for: " + past.getMessage());
            assertEquals(8, s[0].position(), "a rejected truncate leaves the position at 8");
            assertThrows(IllegalArgumentException.class, () -> s[0].truncate(-1), "truncate(-1) must be rejected");
            assertDoesNotThrow(() -> s[0].truncate(8), "truncate to the position itself is a no-op");
            assertEquals(8, s[0].position(), "truncate(8) at position 8 keeps 8 tokens");
            s[0].truncate(0);
            assertEquals(0, s[0].position(), "truncate(0) empties the cache");
            assertThrows(IllegalArgumentException.class, () -> s[0].truncate(1),
                    "truncate(1) on an empty cache must be rejected");
            Logits again = s[0].forward(tokens, 0, true);
            assertClose("after truncate(0), the same tokens again vs a fresh session", rows(s[1].forward(tokens, 0, true)),
                    again, tolerance(f));
        });
    }

    @Test
    final void aClosedSessionFailsCleanly() throws IOException {
        Fixture f = primaryFixture();
        try (ModelFile m = ModelFile.open(f.path()); BackendModel bm = backend().load(m, loadOptions())) {
            BackendSession s = bm.newSession(sessionOptions(m.config()));
            s.forward(new int[] {1, 2}, 0, false);
            s.close();
            IllegalStateException forward = assertThrows(IllegalStateException.class,
                    () -> s.forward(new int[] {3}, 2, false), "forward on a closed session");
            assertTrue(String.valueOf(forward.getMessage()).contains("closed"),
                    "the message says the session is closed: " + forward.getMessage());
            assertThrows(IllegalStateException.class, () -> s.truncate(0), "truncate on a closed session");
            BackendSession other = bm.newSession(sessionOptions(m.config()));
            bm.close();
            IllegalStateException afterModel = assertThrows(IllegalStateException.class,
                    () -> other.forward(new int[] {1}, 0, false), "forward on a session of a closed model");
            assertTrue(String.valueOf(afterModel.getMessage()).contains("closed"),
                    "the message says what was closed: " + afterModel.getMessage());
            IllegalStateException open = assertThrows(IllegalStateException.class,
                    () -> bm.newSession(sessionOptions(m.config())), "newSession on a closed model");
            assertTrue(String.valueOf(open.getMessage()).contains("closed"),
                    "the message says the model is closed: " + open.getMessage());
        }
    }

    /**
     * The use-after-free race: a thread opens sessions and runs forward passes (prefill, then
     * decode) while the model (and then its file) is closed under it, after a delay that varies
     * from 0 to a few passes. Every call must either complete or fail with an
     * {@link IllegalStateException} saying what was closed; no other exception, and no crash.
     */
    @Test
    final void closingRacesWithSessionsAndForwardsCleanly() throws Exception {
        Fixture f = primaryFixture();
        int iterations = closeRaceIterations();
        Assumptions.assumeTrue(iterations > 0, "close race disabled (closeRaceIterations() = 0)");
        java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kit-close-race");
            t.setDaemon(true);
            return t;
        });
        Random random = new Random(16);
        int completed = 0;
        int failedCleanly = 0;
        try {
            for (int i = 0; i < iterations; i++) {
                ModelFile m = ModelFile.open(f.path());
                BackendModel bm = backend().load(m, loadOptions());
                int[] prompt = tokens(m.config(), 6, i);
                java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Future<Boolean> run = worker.submit(() -> {
                    started.countDown();
                    for (int round = 0; round < 3; round++) {
                        try (BackendSession s = bm.newSession(sessionOptions(m.config()))) {
                            s.forward(prompt, 0, false);
                            for (int p = prompt.length; p < prompt.length + 4; p++) {
                                s.forward(new int[] {p % m.config().vocabSize()}, p, false);
                            }
                        } catch (IllegalStateException e) {
                            String msg = String.valueOf(e.getMessage());
                            if (!msg.contains("closed") || msg.startsWith("Already closed")) {
                                throw new AssertionError("a forward racing close failed with a message that does not "
                                        + "say the session or model was closed: " + e, e);
                            }
                            return false;
                        }
                    }
                    return true;
                });
                started.await();
                int pause = random.nextInt(4);
                if (pause > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(pause * 200_000L * random.nextInt(1, 6));
                }
                bm.close();
                m.close();
                boolean ok;
                try {
                    ok = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("iteration " + i + ": the racing thread failed with "
                            + e.getCause() + " instead of completing or an IllegalStateException naming the close",
                            e.getCause());
                }
                if (ok) {
                    completed++;
                } else {
                    failedCleanly++;
                }
            }
        } finally {
            worker.shutdownNow();
        }
        assertEquals(iterations, completed + failedCleanly, "every iteration ended one way or the other");
        assertTrue(failedCleanly > 0, "in " + iterations + " iterations the close never overtook the racing thread ("
                + completed + " completed): the race was not exercised");
    }

    // ------------------------------------------------------------------ helpers

    /** Null when the backend and the reference can run the fixture, else why not. */
    private String supported(Fixture f) {
        try (ModelFile m = ModelFile.open(f.path())) {
            Availability a = backend().supports(m);
            if (!a.available()) {
                return backend().id() + " does not support " + f.name() + ": " + a.reason();
            }
            for (var t : m.gguf().tensors()) {
                if (!Dequantizer.supports(t.type())) {
                    return "the reference cannot dequantize " + t.type() + " (" + f.name() + ")";
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface SessionsBody {
        void run(ModelFile model, BackendSession[] sessions);
    }

    private void withSessions(Fixture f, int n, SessionsBody body) throws IOException {
        try (ModelFile m = ModelFile.open(f.path()); BackendModel bm = backend().load(m, loadOptions())) {
            BackendSession[] s = new BackendSession[n];
            try {
                for (int i = 0; i < n; i++) {
                    s[i] = bm.newSession(sessionOptions(m.config()));
                }
                body.run(m, s);
            } finally {
                for (BackendSession x : s) {
                    if (x != null) {
                        x.close();
                    }
                }
            }
        }
    }

    private interface ModelBody {
        void run(ModelFile model, BackendModel loaded);
    }

    private void withModel(Fixture f, ModelBody body) throws IOException {
        try (ModelFile m = ModelFile.open(f.path()); BackendModel bm = backend().load(m, loadOptions())) {
            body.run(m, bm);
        }
    }

    private static void closeAll(BackendSession[] sessions) {
        for (BackendSession s : sessions) {
            if (s != null) {
                s.close();
            }
        }
    }

    private float[][] run(Fixture f, int[] tokens) {
        try (ModelFile m = ModelFile.open(f.path()); BackendModel bm = backend().load(m, loadOptions());
             BackendSession s = bm.newSession(sessionOptions(m.config()))) {
            return rows(s.forward(tokens, 0, true));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[][] reference(ModelFile m, Fixture f, int[] tokens) {
        return new ReferenceForward(m).logitsAsFloat(tokens);
    }

    /** Deterministic token ids in [0, vocab) (300 when no config is given). */
    protected static int[] tokens(ModelConfig c, int n, long seed) {
        int vocab = c == null ? 300 : c.vocabSize();
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static float[][] rows(Logits l) {
        float[][] r = new float[l.rows()][];
        for (int i = 0; i < l.rows(); i++) {
            r[i] = l.row(i);
        }
        return r;
    }

    private static float[][] tail(Logits l, int n) {
        float[][] all = rows(l);
        return Arrays.copyOfRange(all, all.length - n, all.length);
    }

    private static Logits logits(float[][] rows) {
        int vocab = rows[0].length;
        float[] data = new float[rows.length * vocab];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * vocab, vocab);
        }
        return new Logits(rows.length, vocab, data);
    }

    /**
     * Checks a routing trace against the reference's, token by token and layer by layer: the same
     * experts in the same order, except where the reference's router probabilities of the two
     * experts involved are within the margin (a near-tie, which float arithmetic may break either
     * way); then that token's later layers, and the later layers of every later token (which see it
     * through attention), are not compared. Weights of matching cells must be within tolerance.
     * At least half of all (layer, token) cells must have been compared.
     */
    protected static void assertRoutingClose(String what, ReferenceForward.Routing expected, RoutingTrace actual,
                                             RoutingTolerance tol) {
        int layers = expected.experts().length;
        int n = expected.experts()[0].length;
        assertEquals(layers, actual.layerCount(), what + ": layers in the trace");
        assertEquals(n, actual.tokenCount(), what + ": tokens in the trace");
        int k = expected.experts()[0][0].length;
        assertEquals(k, actual.expertsUsed(), what + ": experts used");
        int firstFlip = Integer.MAX_VALUE;
        int compared = 0;
        int ties = 0;
        double worstWeight = 0;
        for (int t = 0; t < n; t++) {
            for (int l = 0; l < layers && l <= firstFlip; l++) {
                double[] p = expected.probabilities()[l][t];
                boolean flipped = false;
                for (int j = 0; j < k; j++) {
                    int want = expected.experts()[l][t][j];
                    int got = actual.expert(l, t, j);
                    if (got != want) {
                        if (Math.abs(p[got] - p[want]) > tol.probabilityMargin()) {
                            fail(String.format("%s: layer %d, token %d, rank %d: expert %d, expected %d (reference router "
                                            + "probabilities %.5f vs %.5f differ by more than the margin %.3g); got %s, "
                                            + "expected %s", what, l, t, j, got, want, p[got], p[want],
                                    tol.probabilityMargin(), Arrays.toString(actual.experts(l, t)),
                                    Arrays.toString(expected.experts()[l][t])));
                        }
                        flipped = true;
                    }
                }
                if (flipped) {
                    ties++;
                    firstFlip = Math.min(firstFlip, l);
                    continue;
                }
                for (int j = 0; j < k; j++) {
                    double d = Math.abs(actual.weight(l, t, j) - expected.weights()[l][t][j]);
                    worstWeight = Math.max(worstWeight, d);
                    if (d > tol.maxWeightDelta()) {
                        fail(String.format("%s: layer %d, token %d, expert %d: weight %.5f, expected %.5f (tolerance %.3g)",
                                what, l, t, actual.expert(l, t, j), actual.weight(l, t, j), expected.weights()[l][t][j],
                                tol.maxWeightDelta()));
                    }
                }
                compared++;
            }
        }
        assertTrue(2 * compared >= layers * n, String.format("%s: only %d of %d (layer, token) cells comparable after "
                + "%d near-tie flips", what, compared, layers * n, ties));
    }

    /**
     * Checks {@code actual} against {@code expected} position by position: a position passes when
     * no logit differs by more than the tolerance; enough positions must pass; at passing
     * positions whose expected top-1 leads the runner-up by more than twice the tolerance, the
     * top-1 token must match.
     */
    protected static void assertClose(String what, float[][] expected, Logits actual, Tolerance tol) {
        assertEquals(expected.length, actual.rows(), what + ": rows");
        int vocab = expected[0].length;
        assertEquals(vocab, actual.vocabSize(), what + ": vocabulary size");
        int passing = 0;
        double worst = 0;
        int worstAt = -1;
        StringBuilder failures = new StringBuilder();
        for (int p = 0; p < expected.length; p++) {
            float[] got = actual.row(p);
            double d = 0;
            int bestE = 0;
            int second = -1;
            for (int v = 0; v < vocab; v++) {
                if (!Float.isFinite(got[v])) {
                    fail(what + ": position " + p + " logit " + v + " is " + got[v]);
                }
                d = Math.max(d, Math.abs(got[v] - expected[p][v]));
                if (expected[p][v] > expected[p][bestE]) {
                    second = bestE;
                    bestE = v;
                } else if (v != bestE && (second < 0 || expected[p][v] > expected[p][second])) {
                    second = v;
                }
            }
            if (d > worst) {
                worst = d;
                worstAt = p;
            }
            if (d <= tol.maxAbsDelta()) {
                passing++;
                double gap = expected[p][bestE] - (second < 0 ? Double.NEGATIVE_INFINITY : expected[p][second]);
                if (gap > 2 * tol.maxAbsDelta() && actual.argmax(p) != bestE) {
                    failures.append(String.format("%n  position %d: top-1 %d, expected %d (lead %.4g)", p,
                            actual.argmax(p), bestE, gap));
                }
            } else {
                failures.append(String.format("%n  position %d: max |delta| %.4g", p, d));
            }
        }
        int needed = (int) Math.ceil(tol.passingFraction() * expected.length);
        boolean topOk = !failures.toString().contains("top-1");
        if (passing < needed || !topOk) {
            fail(String.format("%s: %d of %d positions within %.3g (need %d); worst %.4g at position %d%s", what,
                    passing, expected.length, tol.maxAbsDelta(), needed, worst, worstAt, failures));
        }
    }
}
