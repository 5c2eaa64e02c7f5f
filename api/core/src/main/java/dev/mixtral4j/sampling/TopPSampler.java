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
        c.normalize();
        float[] probs = c.probs();
        // The nucleus is usually a small part of the vocabulary: look for it among the best
        // 256, then 1024, ... candidates before paying for a full sort.
        for (int k = Math.min(256, c.size()); ; k = Math.min(k * 4, c.size())) {
            int[] best = c.topIndices(k);
            double cumulative = 0;
            for (int i = 0; i < best.length; i++) {
                cumulative += probs[best[i]];
                if (cumulative >= p && i + 1 >= minKeep) {
                    c.keepSorted(best, i + 1);
                    return;
                }
            }
            if (k == c.size()) {
                c.keepSorted(best, best.length); // rounding kept the sum below p: keep all
                return;
            }
        }
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
