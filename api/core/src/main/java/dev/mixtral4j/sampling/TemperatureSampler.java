package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;

/**
 * Divides logits by the temperature. A temperature of zero or less keeps only the most likely
 * candidate, so the chain behaves as greedy whatever selects afterwards.
 */
public final class TemperatureSampler implements Sampler {
    private final float temperature;

    public TemperatureSampler(float temperature) {
        if (Float.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be a number");
        }
        this.temperature = temperature;
    }

    public float temperature() {
        return temperature;
    }

    @Override
    public String name() {
        return "temperature";
    }

    @Override
    public void apply(Candidates c) {
        if (temperature <= 0f) {
            int best = c.argmaxIndex();
            swapToFront(c, best);
            c.truncate(1);
            c.setSortedByLogit(true);
            c.setProbsValid(false);
            return;
        }
        if (temperature == 1f) {
            return;
        }
        float[] logits = c.logits();
        for (int i = 0; i < c.size(); i++) {
            logits[i] /= temperature;
        }
        // Order is unchanged by a positive scale; probabilities are not.
        c.setProbsValid(false);
    }

    private static void swapToFront(Candidates c, int index) {
        if (index == 0) {
            return;
        }
        int[] ids = c.ids();
        float[] logits = c.logits();
        float[] probs = c.probs();
        int id = ids[0];
        ids[0] = ids[index];
        ids[index] = id;
        float l = logits[0];
        logits[0] = logits[index];
        logits[index] = l;
        float p = probs[0];
        probs[0] = probs[index];
        probs[index] = p;
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "temperature(t=" + temperature + ")";
    }
}
