package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/**
 * Keeps the candidates whose probability is at least {@code p} times the probability of the most
 * likely one (and at least {@code minKeep}). {@code p <= 0} keeps all.
 */
public final class MinPSampler implements Sampler {
    private final float p;
    private final int minKeep;

    public MinPSampler(float p, int minKeep) {
        if (Float.isNaN(p)) {
            throw new IllegalArgumentException("min-p must be a number");
        }
        if (minKeep < 1) {
            throw new IllegalArgumentException("min-p min_keep must be at least 1: " + minKeep);
        }
        this.p = p;
        this.minKeep = minKeep;
    }

    public MinPSampler(float p) {
        this(p, 1);
    }

    public float p() {
        return p;
    }

    @Override
    public String name() {
        return "min-p";
    }

    @Override
    public void apply(Candidates c) {
        if (p <= 0f) {
            return;
        }
        c.softmax();
        float[] probs = c.probs();
        float threshold = p * probs[0];
        int keep = 1;
        while (keep < c.size() && (probs[keep] >= threshold || keep < minKeep)) {
            keep++;
        }
        c.truncate(keep);
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "min-p(p=" + p + ")";
    }
}
