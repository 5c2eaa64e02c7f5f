package dev.mixtral4j.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RoutingStatisticsTest {

    private static RoutingTrace of(int experts, int[][][] chosen) {
        int layers = chosen.length;
        int n = chosen[0].length;
        int k = chosen[0][0].length;
        RoutingTrace.Builder b = RoutingTrace.builder(0, new int[n], layers, experts, k, false);
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < k; r++) {
                    b.choose(l, i, r, chosen[l][i][r], 1f / k);
                }
            }
        }
        return b.build();
    }

    @Test
    void countsAndConsecutiveRatesOfAHandMadeTrace() {
        // layer 0: first choices 1,1,2,1 -> same-first pairs: (0,1) only; shared: (0,1) {1,2}{1,3}, (1,2) {1,3}{2,3},
        // (2,3) {2,3}{1,0}: no -> 2 of 3
        int[][][] chosen = {
                {{1, 2}, {1, 3}, {2, 3}, {1, 0}},
                {{0, 1}, {0, 1}, {0, 1}, {0, 1}}};
        RoutingStatistics s = RoutingStatistics.of(of(4, chosen));
        assertEquals(4, s.tokenCount());
        assertEquals(3, s.pairCount());
        assertEquals(3, s.firstChoiceCount(0, 1));
        assertEquals(1, s.firstChoiceCount(0, 2));
        assertEquals(0, s.firstChoiceCount(0, 3));
        assertEquals(3, s.anyChoiceCount(0, 1));
        assertEquals(2, s.anyChoiceCount(0, 3));
        assertEquals(0.75, s.firstChoiceShare(0, 1), 1e-12);
        assertEquals(1.0 / 3, s.sameFirstChoiceRate(0), 1e-12);
        assertEquals(2.0 / 3, s.sharedExpertRate(0), 1e-12);
        assertEquals(1.0, s.sameFirstChoiceRate(1), 1e-12);
        assertEquals(1.0, s.sharedExpertRate(1), 1e-12);
        assertEquals(0.25, s.randomSameFirstChoice(), 1e-12);
        assertEquals(1 - 1.0 / 6, s.randomSharedExpert(), 1e-12);
        double anyTotal = 0;
        for (int e = 0; e < 4; e++) {
            anyTotal += s.anyChoiceShare(0, e);
        }
        assertEquals(2.0, anyTotal, 1e-12, "either-choice shares sum to the experts used");
        assertTrue(Double.isNaN(RoutingStatistics.of(of(4, new int[][][] {{{1, 2}}})).sameFirstChoiceRate(0)));
    }

    @Test
    void randomBaselinesAreTheExactChanceOfTwoRandomChoices() {
        assertEquals(0.125, RandomRouting.sameFirstChoice(8), 0);
        assertEquals(13.0 / 28, RandomRouting.sharedExpert(8, 2), 1e-15, "the paper's 46% for 2 of 8");
        for (int e = 1; e <= 9; e++) {
            for (int k = 1; k <= e; k++) {
                assertEquals(bruteForceShared(e, k), RandomRouting.sharedExpert(e, k), 1e-12, k + " of " + e);
            }
            assertEquals(RandomRouting.sameFirstChoice(e), RandomRouting.sharedExpert(e, 1), 1e-15);
        }
        assertThrows(IllegalArgumentException.class, () -> RandomRouting.sharedExpert(2, 3));
        assertThrows(IllegalArgumentException.class, () -> RandomRouting.sameFirstChoice(0));
    }

    /** Enumerates every pair of k-subsets of e experts (bit masks) and counts those that intersect. */
    private static double bruteForceShared(int e, int k) {
        long pairs = 0;
        long shared = 0;
        for (int a = 0; a < 1 << e; a++) {
            if (Integer.bitCount(a) != k) {
                continue;
            }
            for (int b = 0; b < 1 << e; b++) {
                if (Integer.bitCount(b) == k) {
                    pairs++;
                    shared += (a & b) != 0 ? 1 : 0;
                }
            }
        }
        return (double) shared / pairs;
    }

    @Test
    void independentRandomRoutingConvergesToTheBaselines() {
        Random rnd = new Random(7);
        int n = 40_000;
        int[][][] chosen = new int[1][n][2];
        for (int i = 0; i < n; i++) {
            int a = rnd.nextInt(8);
            int b = rnd.nextInt(7);
            chosen[0][i] = new int[] {a, b >= a ? b + 1 : b};
        }
        RoutingStatistics s = RoutingStatistics.of(of(8, chosen));
        assertEquals(s.randomSameFirstChoice(), s.sameFirstChoiceRate(0), 0.01);
        assertEquals(s.randomSharedExpert(), s.sharedExpertRate(0), 0.015);
    }
}
