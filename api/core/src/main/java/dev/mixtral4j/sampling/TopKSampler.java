package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/** Keeps the {@code k} candidates with the largest logits; {@code k <= 0} keeps all. */
public final class TopKSampler implements Sampler {
    private final int k;

    public TopKSampler(int k) {
        this.k = k;
    }

    public int k() {
        return k;
    }

    @Override
    public String name() {
        return "top-k";
    }

    @Override
    public void apply(Candidates c) {
        if (k <= 0 || k >= c.size()) {
            return;
        }
        c.keepTopK(k);
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "top-k(k=" + k + ")";
    }
}
