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
     * Sorts the current candidates by logit, largest first; equal logits keep their current
     * relative order (initially ascending token id), so every run sorts the same way. Does nothing
     * when already sorted.
     */
    public void sortByLogitDescending() {
        if (sortedByLogit) {
            return;
        }
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
            keys[i] = sortKey(i);
        }
        java.util.Arrays.sort(keys);
        reorder(keys, size);
        sortedByLogit = true;
    }

    /**
     * Keeps the {@code k} largest logits, sorted largest first (ties in current order). Cheaper than
     * a full sort when {@code k} is small: a bounded heap over all candidates.
     */
    public void keepTopK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be positive: " + k);
        }
        if (k >= size) {
            sortByLogitDescending();
            return;
        }
        if (sortedByLogit) {
            truncate(k);
            return;
        }
        long[] keys = topKeys(k);
        reorder(keys, k);
        probsValid = false;
        size = k;
        sortedByLogit = true;
    }

    /**
     * Indices (into the arrays) of the {@code k} largest logits, largest first (ties in current
     * order), found without sorting everything and without changing anything.
     */
    public int[] topIndices(int k) {
        int n = Math.min(k, size);
        if (n < 1) {
            throw new IllegalArgumentException("k must be positive: " + k);
        }
        int[] out = new int[n];
        if (sortedByLogit) {
            for (int i = 0; i < n; i++) {
                out[i] = i;
            }
            return out;
        }
        long[] keys = topKeys(n);
        for (int i = 0; i < n; i++) {
            out[i] = (int) keys[i];
        }
        return out;
    }

    /**
     * Keeps the first {@code n} of {@code indices} (as {@link #topIndices} returns them, largest
     * logit first), in that order. Probabilities move with their entries but no longer sum to one.
     */
    public void keepSorted(int[] indices, int n) {
        if (n < 1 || n > indices.length || n > size) {
            throw new IllegalArgumentException("cannot keep " + n + " of " + indices.length + " indices");
        }
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            if (indices[i] < 0 || indices[i] >= size) {
                throw new IllegalArgumentException("index " + indices[i] + " outside 0.." + (size - 1));
            }
            keys[i] = indices[i];
        }
        reorder(keys, n);
        if (n < size) {
            probsValid = false;
        }
        size = n;
        sortedByLogit = true;
    }

    /** The k smallest sort keys (= best candidates), ascending. */
    private long[] topKeys(int k) {
        // Max-heap of the k smallest keys; its root is the worst kept.
        long[] heap = new long[k];
        for (int i = 0; i < k; i++) {
            heap[i] = sortKey(i);
            siftUp(heap, i);
        }
        for (int i = k; i < size; i++) {
            long key = sortKey(i);
            if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        java.util.Arrays.sort(heap);
        return heap;
    }

    /**
     * Ascending keys mean descending logits, then ascending index: the float's bits made
     * order-preserving as a signed int, inverted, in the high half; the index in the low half.
     */
    private long sortKey(int index) {
        int bits = Float.floatToIntBits(logits[index]);
        int ordered = bits < 0 ? bits ^ 0x7FFFFFFF : bits;
        return ((long) ~ordered << 32) | index;
    }

    /** Rearranges the first {@code n} entries in the order of the indices in the keys' low halves. */
    private void reorder(long[] keys, int n) {
        int[] newIds = new int[n];
        float[] newLogits = new float[n];
        float[] newProbs = new float[n];
        for (int i = 0; i < n; i++) {
            int from = (int) keys[i];
            newIds[i] = ids[from];
            newLogits[i] = logits[from];
            newProbs[i] = probs[from];
        }
        System.arraycopy(newIds, 0, ids, 0, n);
        System.arraycopy(newLogits, 0, logits, 0, n);
        System.arraycopy(newProbs, 0, probs, 0, n);
        selected = -1;
    }

    private static void siftUp(long[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= heap[i]) {
                return;
            }
            long t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
    }

    private static void siftDown(long[] heap, int n) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) {
                return;
            }
            int r = l + 1;
            int big = r < n && heap[r] > heap[l] ? r : l;
            if (heap[i] >= heap[big]) {
                return;
            }
            long t = heap[i];
            heap[i] = heap[big];
            heap[big] = t;
            i = big;
        }
    }

    /**
     * Sorts by logit and fills {@link #probs()} with the softmax of the current logits (see
     * {@link #normalize()}).
     */
    public void softmax() {
        sortByLogitDescending();
        normalize();
    }

    /**
     * Fills {@link #probs()} with the softmax of the current logits, in the current order (no
     * sort). Computed with {@link StrictMath#exp} in a fixed order, so the same logits in the same
     * order give bit-identical probabilities on every JVM. Candidates at negative infinity get 0.
     */
    public void normalize() {
        if (probsValid) {
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, logits[i]);
        }
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
