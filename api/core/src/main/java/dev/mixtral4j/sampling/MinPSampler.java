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
        // prob_i >= p * prob_max  <=>  logit_i >= logit_max + ln p: no softmax, no full sort.
        float[] logits = c.logits();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < c.size(); i++) {
            max = Math.max(max, logits[i]);
        }
        double threshold = max + StrictMath.log(p);
        int kept = 0;
        for (int i = 0; i < c.size(); i++) {
            if (logits[i] >= threshold) {
                kept++;
            }
        }
        int keep = Math.max(kept, Math.min(minKeep, c.size()));
        if (keep < c.size()) {
            // The survivors are exactly the `keep` largest logits.
            c.keepTopK(keep);
        } else {
            c.sortByLogitDescending();
        }
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
