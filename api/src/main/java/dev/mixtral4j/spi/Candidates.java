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

    /** Keeps the first {@code n} entries. */
    public void truncate(int n) {
        if (n < 1 || n > size) {
            throw new IllegalArgumentException("cannot keep " + n + " of " + size + " candidates");
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

    /** The chosen token id. */
    public int selectedToken() {
        if (selected < 0) {
            throw new IllegalStateException("no sampler selected a token");
        }
        return ids[selected];
    }
}
