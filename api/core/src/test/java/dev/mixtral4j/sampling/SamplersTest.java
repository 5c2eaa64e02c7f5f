package dev.mixtral4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplersTest {

    /** Logits whose softmax is exactly proportional to {@code probs}. */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static int[] keptIds(Candidates c) {
        return Arrays.copyOf(c.ids(), c.size());
    }

    @Test
    void greedyTakesLargestLogitAndLowestIdOnTies() {
        Candidates c = new Candidates(new float[] {0.5f, 3f, -1f, 3f});
        new GreedySampler().apply(c);
        assertEquals(1, c.selectedToken());
        assertEquals(2, Samplers.greedy().sample(new float[] {0f, 1f, 7f, 2f}));
    }

    @Test
    void softmaxSortsAndNormalises() {
        Candidates c = new Candidates(logitsOf(0.1, 0.6, 0.3));
        c.softmax();
        assertArrayEquals(new int[] {1, 2, 0}, keptIds(c));
        assertEquals(0.6, c.probs()[0], 1e-6);
        assertEquals(0.3, c.probs()[1], 1e-6);
        assertEquals(0.1, c.probs()[2], 1e-6);
        assertTrue(c.probsValid());
    }

    @Test
    void topKKeepsTheKLargest() {
        Candidates c = new Candidates(new float[] {1f, 3f, 2f, 0f, 2.5f});
        new TopKSampler(3).apply(c);
        assertArrayEquals(new int[] {1, 4, 2}, keptIds(c));
        Candidates all = new Candidates(new float[] {1f, 3f});
        new TopKSampler(0).apply(all);
        assertEquals(2, all.size());
    }

    @Test
    void partialTopKEqualsAFullSortOnRandomLogitsWithTies() {
        Random r = new Random(99);
        for (int trial = 0; trial < 100; trial++) {
            float[] logits = new float[300];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = r.nextInt(40) - 20 + (r.nextBoolean() ? 0.5f : 0f); // many ties
            }
            int k = 1 + r.nextInt(60);
            Candidates partial = new Candidates(logits);
            partial.keepTopK(k);
            Candidates full = new Candidates(logits);
            full.sortByLogitDescending();
            full.truncate(k);
            assertArrayEquals(keptIds(full), keptIds(partial));
            // The full sort agrees with an independent ordering: logit descending, then id ascending.
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
            for (int i = 0; i < k; i++) {
                assertEquals(order[i].intValue(), partial.ids()[i]);
            }
        }
    }

    @Test
    void topPKeepsTheMinimalPrefixReachingP() {
        double[] probs = {0.05, 0.5, 0.15, 0.3};
        assertArrayEquals(new int[] {1}, topP(probs, 0.4));
        assertArrayEquals(new int[] {1, 3}, topP(probs, 0.75));
        assertArrayEquals(new int[] {1, 3, 2}, topP(probs, 0.81));
        assertArrayEquals(new int[] {1, 3, 2, 0}, topP(probs, 0.96));
        assertArrayEquals(new int[] {0, 1, 2, 3}, topP(probs, 1.0), "p = 1 leaves the candidates alone");
    }

    private static int[] topP(double[] probs, double p) {
        Candidates c = new Candidates(logitsOf(probs));
        new TopPSampler((float) p).apply(c);
        return keptIds(c);
    }

    @Test
    void topPMatchesAnIndependentComputationOnRandomLogits() {
        Random r = new Random(1234);
        for (int trial = 0; trial < 200; trial++) {
            // Sizes and spreads that put the nucleus inside the first 256, the first 1024, or beyond.
            float[] logits = new float[trial % 2 == 0 ? 50 : 3000];
            double spread = new double[] {0.3, 1, 3, 6}[trial % 4];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (r.nextGaussian() * spread);
            }
            float p = 0.05f + 0.9f * r.nextFloat();
            Candidates c = new Candidates(logits);
            new TopPSampler(p).apply(c);
            // Independent: probabilities in double, sorted, smallest prefix with sum >= p.
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double[] e = new double[logits.length];
            double sum = 0;
            for (int i = 0; i < logits.length; i++) {
                e[i] = Math.exp(logits[i] - max);
                sum += e[i];
            }
            double[] sorted = new double[logits.length];
            for (int i = 0; i < e.length; i++) {
                sorted[i] = e[i] / sum;
            }
            Arrays.sort(sorted);
            double cumulative = 0;
            int expected = 0;
            for (int i = sorted.length - 1; i >= 0; i--) {
                cumulative += sorted[i];
                expected++;
                if (cumulative >= p) {
                    break;
                }
            }
            double cumBefore = cumulative - sorted[sorted.length - expected];
            // Skip the rare case where float rounding puts the boundary within 1e-6 of p.
            if (Math.abs(cumulative - p) > 1e-5 && Math.abs(cumBefore - p) > 1e-5) {
                assertEquals(expected, c.size(), "trial " + trial + " p=" + p);
            }
        }
    }

    @Test
    void minPMatchesAnIndependentComputationOnRandomLogits() {
        Random r = new Random(77);
        for (int trial = 0; trial < 100; trial++) {
            float[] logits = new float[1000];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (r.nextGaussian() * 2);
            }
            float p = 0.01f + 0.5f * r.nextFloat();
            Candidates c = new Candidates(logits);
            new MinPSampler(p).apply(c);
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            int expected = 0;
            int near = 0;
            for (float l : logits) {
                double ratio = Math.exp(l - max);
                if (ratio >= p) {
                    expected++;
                }
                if (Math.abs(ratio - p) < 1e-6) {
                    near++;
                }
            }
            if (near == 0) {
                assertEquals(expected, c.size(), "trial " + trial);
            }
            for (int i = 1; i < c.size(); i++) {
                assertTrue(c.logits()[i - 1] >= c.logits()[i], "sorted");
            }
        }
        Candidates few = new Candidates(logitsOf(0.05, 0.5, 0.15, 0.3));
        new MinPSampler(0.9f, 3).apply(few);
        assertArrayEquals(new int[] {1, 3, 2}, keptIds(few), "min_keep");
    }

    @Test
    void minPKeepsThoseAtLeastPTimesTheBest() {
        double[] probs = {0.05, 0.5, 0.15, 0.3};
        assertArrayEquals(new int[] {1, 3}, minP(probs, 0.35));   // threshold 0.175
        assertArrayEquals(new int[] {1, 3, 2}, minP(probs, 0.25)); // threshold 0.125
        assertArrayEquals(new int[] {1, 3, 2, 0}, minP(probs, 0.05));
        assertArrayEquals(new int[] {1}, minP(probs, 0.9));
    }

    private static int[] minP(double[] probs, double p) {
        Candidates c = new Candidates(logitsOf(probs));
        new MinPSampler((float) p).apply(c);
        return keptIds(c);
    }

    @Test
    void temperatureDividesLogits() {
        Candidates c = new Candidates(new float[] {2f, -4f, 1f});
        new TemperatureSampler(0.5f).apply(c);
        assertEquals(4f, c.logits()[0]);
        assertEquals(-8f, c.logits()[1]);
        assertEquals(2f, c.logits()[2]);
        // A higher temperature flattens the distribution.
        Candidates hot = new Candidates(logitsOf(0.7, 0.2, 0.1));
        new TemperatureSampler(2f).apply(hot);
        hot.softmax();
        assertTrue(hot.probs()[0] < 0.7 && hot.probs()[2] > 0.1);
    }

    @Test
    void temperatureZeroIsGreedyWhateverSelects() {
        float[] logits = {0.1f, 0.2f, 0.15f, 0.19f};
        for (long seed = 0; seed < 50; seed++) {
            SamplerChain chain = Samplers.chain().temperature(0).dist(seed).build();
            assertEquals(1, chain.sample(logits));
        }
    }

    @Test
    void penaltiesFollowLlamaCppSemantics() {
        PenaltySampler s = new PenaltySampler(3, 2f, 0.5f, 0.25f);
        s.accept(0);
        s.accept(1);
        s.accept(1);
        Candidates c = new Candidates(new float[] {2f, -2f, 1f, 0.5f});
        s.apply(c);
        // token 0 seen once: 2/2 - 0.5 - 0.25; token 1 twice: -2*2 - 1.0 - 0.25; others untouched.
        assertEquals(0.25f, c.logits()[0], 1e-6);
        assertEquals(-5.25f, c.logits()[1], 1e-6);
        assertEquals(1f, c.logits()[2]);
        assertEquals(0.5f, c.logits()[3]);
    }

    @Test
    void penaltiesLookOnlyAtTheLastNTokensAndReset() {
        PenaltySampler s = PenaltySampler.repetition(2, 2f);
        s.accept(0);
        s.accept(1);
        s.accept(1); // window now [1, 1]: token 0 has left it
        Candidates c = new Candidates(new float[] {2f, 2f});
        s.apply(c);
        assertEquals(2f, c.logits()[0]);
        assertEquals(1f, c.logits()[1]);
        Sampler copy = s.copy();
        s.reset();
        Candidates after = new Candidates(new float[] {2f, 2f});
        s.apply(after);
        assertEquals(2f, after.logits()[1]);
        Candidates viaCopy = new Candidates(new float[] {2f, 2f});
        copy.apply(viaCopy);
        assertEquals(1f, viaCopy.logits()[1], "copy keeps the history");
    }

    @Test
    void repetitionPenaltyChangesTheGreedyChoice() {
        SamplerChain chain = Samplers.chain().repetitionPenalty(8, 4.0).greedy().build();
        float[] logits = {3f, 2f, 0f};
        assertEquals(0, chain.sample(logits));
        chain.accept(0);
        assertEquals(1, chain.sample(logits), "3/4 < 2");
    }

    @Test
    void logitBiasAddsAndBans() {
        Candidates c = new Candidates(new float[] {5f, 1f, 0f});
        new LogitBiasSampler(Map.of(0, Float.NEGATIVE_INFINITY, 2, 1.5f)).apply(c);
        assertEquals(Float.NEGATIVE_INFINITY, c.logits()[0]);
        assertEquals(1.5f, c.logits()[2]);
        SamplerChain chain = Samplers.chain().logitBias(Map.of(0, Float.NEGATIVE_INFINITY)).seed(3).build();
        for (int i = 0; i < 200; i++) {
            assertNotEquals(0, chain.sample(new float[] {5f, 1f, 0f}));
        }
    }

    @Test
    void distIsDeterministicForASeedAndDiffersAcrossSeeds() {
        float[] logits = logitsOf(0.25, 0.25, 0.25, 0.25);
        int[] a = draws(new DistSampler(42), logits, 64);
        int[] b = draws(new DistSampler(42), logits, 64);
        int[] c = draws(new DistSampler(43), logits, 64);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        DistSampler d = new DistSampler(42);
        draws(d, logits, 10);
        Sampler copy = d.copy();
        assertArrayEquals(draws(d, logits, 20), draws(copy, logits, 20), "a copy continues identically");
        d.reset();
        assertArrayEquals(Arrays.copyOf(a, 20), draws(d, logits, 20), "reset rewinds to the seed");
    }

    private static int[] draws(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            Candidates c = new Candidates(logits);
            s.apply(c);
            out[i] = c.selectedToken();
        }
        return out;
    }

    @Test
    void distFrequenciesMatchTheDistribution() {
        double[] probs = {0.05, 0.5, 0.15, 0.3};
        float[] logits = logitsOf(probs);
        DistSampler d = new DistSampler(7);
        int n = 100_000;
        int[] counts = new int[probs.length];
        for (int t : draws(d, logits, n)) {
            counts[t]++;
        }
        for (int i = 0; i < probs.length; i++) {
            // Standard deviation is at most sqrt(0.25/n) = 0.0016; 0.01 is over six of them.
            assertEquals(probs[i], counts[i] / (double) n, 0.01, "token " + i);
        }
    }

    @Test
    void distAfterTopKNeverDrawsTheRemoved() {
        SamplerChain chain = Samplers.chain().topK(2).seed(11).build();
        Map<Integer, Integer> seen = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            seen.merge(chain.sample(logitsOf(0.3, 0.1, 0.35, 0.25)), 1, Integer::sum);
        }
        assertEquals(java.util.Set.of(0, 2), seen.keySet());
    }

    @Test
    void seededRandomMatchesPublishedVectors() {
        // xoshiro256** from state {1, 2, 3, 4} (Blackman & Vigna's reference) and SplitMix64(0).
        SeededRandom r = SeededRandom.fromState(1, 2, 3, 4);
        assertEquals(11520L, r.nextLong());
        assertEquals(0L, r.nextLong());
        assertEquals(1509978240L, r.nextLong());
        assertEquals(0xE220A8397B1DCDAFL, SeededRandom.splitMix(0x9E3779B97F4A7C15L));
        double u = new SeededRandom(5).nextDouble();
        assertTrue(u >= 0 && u < 1);
    }

    @Test
    void chainPropagatesAcceptResetAndCopy() {
        SamplerChain chain = Samplers.chain().repetitionPenalty(4, 100).greedy().build();
        float[] logits = {2f, 1.9f, 1.8f};
        chain.accept(0);
        SamplerChain copy = chain.copy();
        chain.accept(1);
        assertEquals(2, chain.sample(logits));
        assertEquals(1, copy.sample(logits), "the copy did not see token 1");
        chain.reset();
        assertEquals(0, chain.sample(logits));
    }

    @Test
    void builderEndsWithASelector() {
        assertTrue(Samplers.chain().build().steps().getLast() instanceof GreedySampler);
        SamplerChain c = Samplers.chain().topK(40).topP(0.95).temperature(0.7).seed(7).build();
        assertEquals(4, c.steps().size());
        assertEquals(7L, ((DistSampler) c.steps().getLast()).seed());
        assertThrows(IllegalStateException.class, () -> Samplers.chain().greedy().topK(3));
        assertThrows(IllegalArgumentException.class, () -> new SamplerChain(java.util.List.of(new TopKSampler(3))));
    }
}
