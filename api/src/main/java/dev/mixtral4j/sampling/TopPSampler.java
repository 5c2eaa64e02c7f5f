package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/**
 * Nucleus sampling: keeps the smallest prefix of the candidates, most likely first, whose
 * cumulative probability reaches {@code p} (and at least {@code minKeep}). {@code p >= 1} keeps all.
 */
public final class TopPSampler implements Sampler {
    private final float p;
    private final int minKeep;

    public TopPSampler(float p, int minKeep) {
        if (Float.isNaN(p)) {
            throw new IllegalArgumentException("top-p must be a number");
        }
        if (minKeep < 1) {
            throw new IllegalArgumentException("top-p min_keep must be at least 1: " + minKeep);
        }
        this.p = p;
        this.minKeep = minKeep;
    }

    public TopPSampler(float p) {
        this(p, 1);
    }

    public float p() {
        return p;
    }

    @Override
    public String name() {
        return "top-p";
    }

    @Override
    public void apply(Candidates c) {
        if (p >= 1f) {
            return;
        }
        c.softmax();
        float[] probs = c.probs();
        double cumulative = 0;
        int keep = c.size();
        for (int i = 0; i < c.size(); i++) {
            cumulative += probs[i];
            if (cumulative >= p && i + 1 >= minKeep) {
                keep = i + 1;
                break;
            }
        }
        c.truncate(keep);
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "top-p(p=" + p + ")";
    }
}
