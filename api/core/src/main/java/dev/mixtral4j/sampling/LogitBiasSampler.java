package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adds a fixed bias to the logits of chosen tokens; a bias of negative infinity bans a token.
 * Token ids outside the vocabulary are ignored.
 */
public final class LogitBiasSampler implements Sampler {
    private final Map<Integer, Float> biases;

    public LogitBiasSampler(Map<Integer, Float> biases) {
        for (Map.Entry<Integer, Float> e : biases.entrySet()) {
            if (e.getKey() < 0) {
                throw new IllegalArgumentException("logit bias for a negative token id: " + e.getKey());
            }
            if (e.getValue().isNaN()) {
                throw new IllegalArgumentException("logit bias for token " + e.getKey() + " is not a number");
            }
        }
        this.biases = Map.copyOf(biases);
    }

    public Map<Integer, Float> biases() {
        return biases;
    }

    @Override
    public String name() {
        return "logit-bias";
    }

    @Override
    public void apply(Candidates c) {
        if (biases.isEmpty()) {
            return;
        }
        int[] ids = c.ids();
        float[] logits = c.logits();
        for (int i = 0; i < c.size(); i++) {
            Float b = biases.get(ids[i]);
            if (b != null) {
                logits[i] += b;
            }
        }
        c.setSortedByLogit(false);
        c.setProbsValid(false);
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "logit-bias" + new TreeMap<>(biases);
    }
}
