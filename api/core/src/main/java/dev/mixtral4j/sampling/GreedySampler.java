package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/** Chooses the candidate with the largest logit (the lowest token id on ties). */
public final class GreedySampler implements Sampler {

    @Override
    public String name() {
        return "greedy";
    }

    @Override
    public boolean selectsToken() {
        return true;
    }

    @Override
    public void apply(Candidates candidates) {
        candidates.select(candidates.argmaxIndex());
    }

    @Override
    public Sampler copy() {
        return new GreedySampler();
    }

    @Override
    public String toString() {
        return "greedy";
    }
}
