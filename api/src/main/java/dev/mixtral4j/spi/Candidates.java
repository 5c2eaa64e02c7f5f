package dev.mixtral4j.spi;

/**
 * The working set a sampler chain transforms: token ids with their logits and, once a sampler
 * has normalised them, probabilities. Samplers may reorder, shrink ({@link #size()}), change
 * logits or probabilities, and the final one sets {@link #selected()}.
 */
public final class Candidates {
    private final int[] ids;
    private final float[] logits;
    private final float[] probs;
    private int size;
    private boolean sortedByLogit;
    private boolean probsValid;
    private int selected = -1;

    public Candidates(float[] vocabLogits) {
        int n = vocabLogits.length;
        this.ids = new int[n];
        this.logits = vocabLogits.clone();
        this.probs = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        this.size = n;
    }

    /** Live arrays; entries at index &gt;= size() are not candidates. */
    public int[] ids() {
        return ids;
    }

    public float[] logits() {
        return logits;
    }

    public float[] probs() {
        return probs;
    }

    public int size() {
        return size;
    }

    /**
     * Keeps the first {@code n} entries. The probabilities of the survivors no longer sum to one,
     * so {@link #probsValid()} becomes false (a later {@link #softmax()} renormalises).
     */
    public void truncate(int n) {
        if (n < 1 || n > size) {
            throw new IllegalArgumentException("cannot keep " + n + " of " + size + " candidates");
        }
        if (n < size) {
            probsValid = false;
            if (selected >= n) {
                selected = -1;
            }
        }
        size = n;
    }

    public boolean sortedByLogit() {
        return sortedByLogit;
    }

    public void setSortedByLogit(boolean sorted) {
        this.sortedByLogit = sorted;
    }

    /** True when {@link #probs()} holds the softmax of the current logits. */
    public boolean probsValid() {
        return probsValid;
    }

    public void setProbsValid(boolean valid) {
        this.probsValid = valid;
    }

    /** Index into the arrays of the chosen entry, or -1. */
    public int selected() {
        return selected;
    }

    public void select(int index) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("selected index " + index + " outside 0.." + (size - 1));
        }
        this.selected = index;
    }

    /** Number of entries of the vocabulary this set was made from (the full array length). */
    public int capacity() {
        return ids.length;
    }

    /**
     * Sorts the current candidates by logit, largest first; equal logits keep ascending token id
     * order so every run sorts the same way. Does nothing when already sorted.
     */
    public void sortByLogitDescending() {
        if (sortedByLogit) {
            return;
        }
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            int c = Float.compare(logits[b], logits[a]);
            return c != 0 ? c : Integer.compare(ids[a], ids[b]);
        });
        int[] newIds = new int[size];
        float[] newLogits = new float[size];
        float[] newProbs = new float[size];
        for (int i = 0; i < size; i++) {
            newIds[i] = ids[order[i]];
            newLogits[i] = logits[order[i]];
            newProbs[i] = probs[order[i]];
        }
        System.arraycopy(newIds, 0, ids, 0, size);
        System.arraycopy(newLogits, 0, logits, 0, size);
        System.arraycopy(newProbs, 0, probs, 0, size);
        sortedByLogit = true;
        selected = -1;
    }

    /**
     * Sorts by logit and fills {@link #probs()} with the softmax of the current logits (computed
     * with {@link StrictMath#exp} in a fixed order, so the same logits give bit-identical
     * probabilities on every JVM). Candidates at negative infinity get probability 0.
     */
    public void softmax() {
        sortByLogitDescending();
        if (probsValid) {
            return;
        }
        float max = logits[0];
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every candidate has logit -infinity");
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            double e = StrictMath.exp((double) logits[i] - max);
            probs[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < size; i++) {
            probs[i] = (float) (probs[i] / sum);
        }
        probsValid = true;
    }

    /** Index (into the arrays) of the largest logit; the lowest token id wins ties. */
    public int argmaxIndex() {
        int best = 0;
        for (int i = 1; i < size; i++) {
            if (logits[i] > logits[best] || (logits[i] == logits[best] && ids[i] < ids[best])) {
                best = i;
            }
        }
        return best;
    }

    /** The chosen token id. */
    public int selectedToken() {
        if (selected < 0) {
            throw new IllegalStateException("no sampler selected a token");
        }
        return ids[selected];
    }
}
