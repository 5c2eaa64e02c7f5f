package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import java.util.HashMap;
import java.util.Map;

/**
 * Repetition, frequency and presence penalties over the last {@code lastN} accepted tokens, with
 * llama.cpp's semantics: for a token seen {@code c > 0} times in the window, a positive logit is
 * divided by the repetition penalty and a negative one multiplied by it, then
 * {@code c * frequency + presence} is subtracted. A penalty of 1 (repetition) or 0 (frequency,
 * presence) does nothing.
 */
public final class PenaltySampler implements Sampler {
    private final int lastN;
    private final float repetition;
    private final float frequency;
    private final float presence;
    private final int[] window;
    private int windowStart;
    private int windowSize;
    private final Map<Integer, Integer> counts;

    /**
     * @param lastN      window of accepted tokens looked at (0: none, so no penalty)
     * @param repetition repetition penalty, 1 for none
     * @param frequency  subtracted once per occurrence, 0 for none
     * @param presence   subtracted once if present, 0 for none
     */
    public PenaltySampler(int lastN, float repetition, float frequency, float presence) {
        if (lastN < 0) {
            throw new IllegalArgumentException("penalty last_n must not be negative: " + lastN);
        }
        if (!(repetition > 0f) || !Float.isFinite(repetition)) {
            throw new IllegalArgumentException("repetition penalty must be positive and finite: " + repetition);
        }
        if (!Float.isFinite(frequency) || !Float.isFinite(presence)) {
            throw new IllegalArgumentException("frequency and presence penalties must be finite");
        }
        this.lastN = lastN;
        this.repetition = repetition;
        this.frequency = frequency;
        this.presence = presence;
        this.window = new int[lastN];
        this.counts = new HashMap<>();
    }

    private PenaltySampler(PenaltySampler other) {
        this(other.lastN, other.repetition, other.frequency, other.presence);
        System.arraycopy(other.window, 0, window, 0, lastN);
        this.windowStart = other.windowStart;
        this.windowSize = other.windowSize;
        this.counts.putAll(other.counts);
    }

    /** Repetition penalty only. */
    public static PenaltySampler repetition(int lastN, float penalty) {
        return new PenaltySampler(lastN, penalty, 0f, 0f);
    }

    public static PenaltySampler frequency(int lastN, float penalty) {
        return new PenaltySampler(lastN, 1f, penalty, 0f);
    }

    public static PenaltySampler presence(int lastN, float penalty) {
        return new PenaltySampler(lastN, 1f, 0f, penalty);
    }

    @Override
    public String name() {
        return "penalties";
    }

    @Override
    public void apply(Candidates c) {
        if (counts.isEmpty() || (repetition == 1f && frequency == 0f && presence == 0f)) {
            return;
        }
        int[] ids = c.ids();
        float[] logits = c.logits();
        boolean changed = false;
        // A bit set of the window's tokens spares a boxed map lookup for every candidate.
        java.util.BitSet seen = new java.util.BitSet();
        for (int t : counts.keySet()) {
            seen.set(t);
        }
        for (int i = 0; i < c.size(); i++) {
            if (!seen.get(ids[i])) {
                continue;
            }
            int count = counts.get(ids[i]);
            float l = logits[i];
            l = l > 0f ? l / repetition : l * repetition;
            l -= count * frequency + presence;
            logits[i] = l;
            changed = true;
        }
        if (changed) {
            c.setSortedByLogit(false);
            c.setProbsValid(false);
        }
    }

    @Override
    public void accept(int token) {
        if (lastN == 0) {
            return;
        }
        if (windowSize == lastN) {
            int dropped = window[windowStart];
            counts.computeIfPresent(dropped, (k, v) -> v == 1 ? null : v - 1);
            window[windowStart] = token;
            windowStart = (windowStart + 1) % lastN;
        } else {
            window[(windowStart + windowSize) % lastN] = token;
            windowSize++;
        }
        counts.merge(token, 1, Integer::sum);
    }

    @Override
    public void reset() {
        windowStart = 0;
        windowSize = 0;
        counts.clear();
    }

    @Override
    public Sampler copy() {
        return new PenaltySampler(this);
    }

    @Override
    public String toString() {
        return "penalties(last_n=" + lastN + ", repeat=" + repetition + ", frequency=" + frequency
                + ", presence=" + presence + ")";
    }
}
