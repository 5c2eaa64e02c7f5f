package dev.mixtral4j.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RoutingTraceTest {

    /** A trace of {@code n} tokens from {@code start} whose experts encode (layer, position) so joins can be checked. */
    static RoutingTrace trace(int start, int n, int layers, int experts, int used, boolean probs) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 100 + start + i;
        }
        RoutingTrace.Builder b = RoutingTrace.builder(start, tokens, layers, experts, used, probs);
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < n; i++) {
                int p = start + i;
                for (int r = 0; r < used; r++) {
                    b.choose(l, i, r, (p + l + r) % experts, (float) (used - r) / (used * (used + 1) / 2f));
                }
                float[] pr = new float[experts];
                Arrays.fill(pr, p * 0.001f + l);
                b.probabilities(l, i, pr, 0);
            }
        }
        return b.build();
    }

    @Test
    void accessorsReturnWhatWasRecordedAndCopies() {
        RoutingTrace t = trace(3, 4, 2, 8, 2, true);
        assertEquals(3, t.startPosition());
        assertEquals(4, t.tokenCount());
        assertArrayEquals(new int[] {103, 104, 105, 106}, t.tokens());
        assertEquals((5 + 1 + 0) % 8, t.expert(1, 2, 0));
        assertArrayEquals(new int[] {6, 7}, t.experts(1, 2));
        assertEquals(2f / 3, t.weight(0, 0, 0), 1e-6);
        t.tokens()[0] = -5;
        t.experts(0, 0)[0] = -5;
        assertEquals(103, t.token(0), "arrays handed out are copies");
        assertEquals(3, t.expert(0, 0, 0));
        assertEquals(1.005f, t.routerProbabilities(1, 2)[7], 1e-6);
        assertThrows(IndexOutOfBoundsException.class, () -> t.expert(2, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.expert(0, 4, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.expert(0, 0, 2));
        assertThrows(IllegalStateException.class, () -> trace(0, 1, 1, 4, 2, false).routerProbabilities(0, 0));
    }

    @Test
    void buildRefusesMissingOrRepeatedExperts() {
        RoutingTrace.Builder b = RoutingTrace.builder(0, new int[] {1, 2}, 1, 4, 2, false);
        b.choose(0, 0, 0, 1, 0.6f).choose(0, 0, 1, 2, 0.4f).choose(0, 1, 0, 3, 0.5f);
        IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
        assertTrue(e.getMessage().contains("layer 0, token 1, rank 1"), e.getMessage());
        RoutingTrace.Builder twice = RoutingTrace.builder(0, new int[] {1}, 1, 4, 2, false);
        twice.choose(0, 0, 0, 1, 0.5f).choose(0, 0, 1, 1, 0.5f);
        assertTrue(assertThrows(IllegalStateException.class, twice::build).getMessage().contains("chosen twice"));
        assertThrows(IllegalArgumentException.class, () -> b.choose(0, 1, 1, 4, 0f), "expert out of range");
        assertThrows(IllegalArgumentException.class, () -> RoutingTrace.builder(0, new int[0], 1, 4, 2, false));
        assertThrows(IllegalArgumentException.class, () -> RoutingTrace.builder(0, new int[] {1}, 1, 2, 3, false));
    }

    @Test
    void sliceAndConcatAreInverse() {
        RoutingTrace whole = trace(2, 9, 3, 8, 2, true);
        RoutingTrace joined = RoutingTrace.concat(java.util.List.of(whole.slice(0, 4), whole.slice(4, 5), whole.slice(5, 9)));
        assertSame(whole, joined);
        assertEquals(6, whole.slice(4, 7).startPosition());
        assertThrows(IllegalArgumentException.class, () -> RoutingTrace.concat(java.util.List.of(whole.slice(0, 4),
                whole.slice(5, 9))), "a gap");
        assertThrows(IllegalArgumentException.class, () -> whole.followedBy(trace(2, 3, 2, 8, 2, false)), "other shape");
    }

    @Test
    void followedByReplacesTheOverlap() {
        RoutingTrace a = trace(0, 6, 2, 4, 2, false);
        RoutingTrace b = trace(4, 3, 2, 4, 2, false);
        RoutingTrace j = a.followedBy(b);
        assertEquals(7, j.tokenCount());
        assertSame(trace(0, 7, 2, 4, 2, false), j);
        assertFalse(a.followedBy(trace(6, 1, 2, 4, 2, true)).hasRouterProbabilities(), "probabilities only when all have them");
    }

    @Test
    void recorderFollowsTheCacheAcrossRestartsAndGaps() {
        RoutingRecorder r = new RoutingRecorder();
        assertTrue(r.trace().isEmpty());
        Random rnd = new Random(1);
        int end = 0;
        for (int call = 0; call < 30; call++) {
            int start = call == 0 ? 0 : rnd.nextInt(end + 1);
            int n = 1 + rnd.nextInt(5);
            r.onRouting(trace(start, n, 2, 8, 2, false));
            end = start + n;
            if (call % 7 == 3) {
                assertSame(trace(0, end, 2, 8, 2, false), r.trace().orElseThrow());
            }
        }
        assertSame(trace(0, end, 2, 8, 2, false), r.trace().orElseThrow());
        r.onRouting(trace(end + 3, 2, 2, 8, 2, false));
        assertEquals(end + 3, r.trace().orElseThrow().startPosition(), "after a gap only the new stretch is kept");
        r.clear();
        assertTrue(r.trace().isEmpty());
    }

    static void assertSame(RoutingTrace expected, RoutingTrace actual) {
        assertEquals(expected.startPosition(), actual.startPosition());
        assertArrayEquals(expected.tokens(), actual.tokens());
        assertEquals(expected.hasRouterProbabilities(), actual.hasRouterProbabilities());
        for (int l = 0; l < expected.layerCount(); l++) {
            for (int i = 0; i < expected.tokenCount(); i++) {
                assertArrayEquals(expected.experts(l, i), actual.experts(l, i), "layer " + l + ", token " + i);
                assertArrayEquals(expected.weights(l, i), actual.weights(l, i));
                if (expected.hasRouterProbabilities()) {
                    assertArrayEquals(expected.routerProbabilities(l, i), actual.routerProbabilities(l, i));
                }
            }
        }
    }
}
