package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/**
 * Draws a token from the softmax of the remaining candidates with a {@link SeededRandom}: the
 * same seed and the same logits give the same tokens on every run. {@link #reset()} rewinds the
 * generator to its seed.
 */
public final class DistSampler implements Sampler {
    private final long seed;
    private SeededRandom random;

    public DistSampler(long seed) {
        this.seed = seed;
        this.random = new SeededRandom(seed);
    }

    private DistSampler(long seed, SeededRandom random) {
        this.seed = seed;
        this.random = random;
    }

    public long seed() {
        return seed;
    }

    @Override
    public String name() {
        return "dist";
    }

    @Override
    public boolean selectsToken() {
        return true;
    }

    @Override
    public void apply(Candidates candidates) {
        // No sort needed: walking the cumulative sum in the current order is as deterministic.
        candidates.normalize();
        float[] probs = candidates.probs();
        int n = candidates.size();
        double u = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += probs[i];
            if (u < cumulative) {
                candidates.select(i);
                return;
            }
        }
        // Rounding left the cumulative sum a hair below 1: the last candidate with mass wins.
        int last = n - 1;
        while (last > 0 && probs[last] == 0f) {
            last--;
        }
        candidates.select(last);
    }

    @Override
    public void reset() {
        random = new SeededRandom(seed);
    }

    @Override
    public Sampler copy() {
        return new DistSampler(seed, random.copy());
    }

    @Override
    public String toString() {
        return "dist(seed=" + seed + ")";
    }
}
