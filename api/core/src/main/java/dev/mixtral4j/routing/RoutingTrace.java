package dev.mixtral4j.routing;

import java.util.Arrays;

/**
 * Where the router sent each token of one stretch of a sequence: for every layer and every token,
 * the experts chosen (best first, i.e. in order of decreasing router probability) and their
 * renormalised weights {@code w_j = p_j / Σ p_chosen}, and optionally the full router
 * probabilities (the softmax over all experts).
 *
 * <p>A backend produces one trace per forward call, covering the call's tokens at positions
 * {@link #startPosition()} and on; a {@link RoutingRecorder} joins them into one trace for a
 * whole sequence. Immutable and thread-safe: every accessor that returns an array returns a copy.
 */
public final class RoutingTrace {
    private final int startPosition;
    private final int[] tokens;
    private final int layers;
    private final int expertCount;
    private final int expertsUsed;
    /** [layer][token][rank] flattened. */
    private final int[] experts;
    private final float[] weights;
    /** [layer][token][expert] flattened, or null. */
    private final float[] probabilities;

    private RoutingTrace(int startPosition, int[] tokens, int layers, int expertCount, int expertsUsed, int[] experts,
                         float[] weights, float[] probabilities) {
        this.startPosition = startPosition;
        this.tokens = tokens;
        this.layers = layers;
        this.expertCount = expertCount;
        this.expertsUsed = expertsUsed;
        this.experts = experts;
        this.weights = weights;
        this.probabilities = probabilities;
    }

    /**
     * A builder for a trace of {@code tokens} at positions {@code startPosition...}, for backends.
     *
     * @param withProbabilities whether the full router probabilities will be set as well
     */
    public static Builder builder(int startPosition, int[] tokens, int layers, int expertCount, int expertsUsed,
                                  boolean withProbabilities) {
        return new Builder(startPosition, tokens, layers, expertCount, expertsUsed, withProbabilities);
    }

    /** Position in the sequence of the first token of this trace. */
    public int startPosition() {
        return startPosition;
    }

    public int tokenCount() {
        return tokens.length;
    }

    /** The token ids as run, in order. */
    public int[] tokens() {
        return tokens.clone();
    }

    /** Token id at index {@code i} (position {@code startPosition() + i}). */
    public int token(int i) {
        return tokens[i];
    }

    public int layerCount() {
        return layers;
    }

    /** Experts per layer (8 for Mixtral). */
    public int expertCount() {
        return expertCount;
    }

    /** Experts chosen per token and layer (2 for Mixtral). */
    public int expertsUsed() {
        return expertsUsed;
    }

    /** The expert chosen at {@code rank} (0 = first choice) for token {@code i} in {@code layer}. */
    public int expert(int layer, int i, int rank) {
        return experts[index(layer, i, rank)];
    }

    /** The renormalised weight of that expert. */
    public float weight(int layer, int i, int rank) {
        return weights[index(layer, i, rank)];
    }

    /** The chosen experts of token {@code i} in {@code layer}, best first. */
    public int[] experts(int layer, int i) {
        int at = index(layer, i, 0);
        return Arrays.copyOfRange(experts, at, at + expertsUsed);
    }

    /** Their renormalised weights (they sum to 1). */
    public float[] weights(int layer, int i) {
        int at = index(layer, i, 0);
        return Arrays.copyOfRange(weights, at, at + expertsUsed);
    }

    /** Whether the full router probabilities were recorded (when a listener asked for them). */
    public boolean hasRouterProbabilities() {
        return probabilities != null;
    }

    /**
     * The router's softmax over all experts for token {@code i} in {@code layer}, indexed by expert.
     *
     * @throws IllegalStateException when they were not recorded
     */
    public float[] routerProbabilities(int layer, int i) {
        if (probabilities == null) {
            throw new IllegalStateException("this trace holds no router probabilities (ask for them with "
                    + "RoutingListener.wantsRouterProbabilities)");
        }
        check(layer, i);
        int at = (layer * tokens.length + i) * expertCount;
        return Arrays.copyOfRange(probabilities, at, at + expertCount);
    }

    /** The part of this trace for tokens {@code [from, to)} (indices, not positions). */
    public RoutingTrace slice(int from, int to) {
        if (from < 0 || to > tokens.length || from > to) {
            throw new IndexOutOfBoundsException("[" + from + ", " + to + ") of " + tokens.length + " tokens");
        }
        int n = to - from;
        Builder b = builder(startPosition + from, Arrays.copyOfRange(tokens, from, to), layers, expertCount,
                expertsUsed, probabilities != null);
        for (int l = 0; l < layers; l++) {
            System.arraycopy(experts, index(l, from, 0), b.experts, (l * n) * expertsUsed, n * expertsUsed);
            System.arraycopy(weights, index(l, from, 0), b.weights, (l * n) * expertsUsed, n * expertsUsed);
            if (probabilities != null) {
                System.arraycopy(probabilities, (l * tokens.length + from) * expertCount, b.probabilities,
                        l * n * expertCount, n * expertCount);
            }
        }
        return b.build();
    }

    /**
     * This trace followed by {@code next}, which must start where this one ends (or earlier: then
     * the overlapping tail of this trace is replaced, as a backend's cache is when a forward call
     * restarts mid-sequence).
     */
    public RoutingTrace followedBy(RoutingTrace next) {
        int keep = next.startPosition - startPosition;
        if (keep < 0 || keep > tokens.length) {
            throw new IllegalArgumentException("a trace starting at position " + next.startPosition
                    + " cannot follow one covering positions " + startPosition + ".." + (startPosition + tokens.length));
        }
        return concat(java.util.List.of(keep == tokens.length ? this : slice(0, keep), next));
    }

    /**
     * Contiguous traces joined into one: each must start where the previous one ends. The result
     * has router probabilities when all parts have them.
     */
    public static RoutingTrace concat(java.util.List<RoutingTrace> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no traces to join");
        }
        RoutingTrace first = parts.getFirst();
        if (parts.size() == 1) {
            return first;
        }
        boolean probs = true;
        int n = 0;
        for (RoutingTrace p : parts) {
            if (p.layers != first.layers || p.expertCount != first.expertCount || p.expertsUsed != first.expertsUsed) {
                throw new IllegalArgumentException("traces of different shapes: " + first.shape() + " and " + p.shape());
            }
            if (p.startPosition != first.startPosition + n) {
                throw new IllegalArgumentException("a trace starting at position " + p.startPosition
                        + " cannot follow one ending before position " + (first.startPosition + n));
            }
            n += p.tokens.length;
            probs &= p.probabilities != null;
        }
        int[] joined = new int[n];
        int at = 0;
        for (RoutingTrace p : parts) {
            System.arraycopy(p.tokens, 0, joined, at, p.tokens.length);
            at += p.tokens.length;
        }
        int k = first.expertsUsed;
        int e = first.expertCount;
        Builder b = builder(first.startPosition, joined, first.layers, e, k, probs);
        for (int l = 0; l < first.layers; l++) {
            at = 0;
            for (RoutingTrace p : parts) {
                int m = p.tokens.length;
                System.arraycopy(p.experts, l * m * k, b.experts, (l * n + at) * k, m * k);
                System.arraycopy(p.weights, l * m * k, b.weights, (l * n + at) * k, m * k);
                if (probs) {
                    System.arraycopy(p.probabilities, l * m * e, b.probabilities, (l * n + at) * e, m * e);
                }
                at += m;
            }
        }
        return b.build();
    }

    private String shape() {
        return layers + " layers, " + expertsUsed + " of " + expertCount + " experts";
    }

    private int index(int layer, int i, int rank) {
        check(layer, i);
        if (rank < 0 || rank >= expertsUsed) {
            throw new IndexOutOfBoundsException("rank " + rank + " outside [0, " + expertsUsed + ")");
        }
        return (layer * tokens.length + i) * expertsUsed + rank;
    }

    private void check(int layer, int i) {
        if (layer < 0 || layer >= layers) {
            throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + layers + ")");
        }
        if (i < 0 || i >= tokens.length) {
            throw new IndexOutOfBoundsException("token index " + i + " outside [0, " + tokens.length + ")");
        }
    }

    @Override
    public String toString() {
        return "RoutingTrace[positions " + startPosition + ".." + (startPosition + tokens.length - 1) + ", " + shape()
                + (probabilities != null ? ", with router probabilities" : "") + "]";
    }

    /**
     * Filled by a backend during a forward call, then {@link #build() built} once. Not thread-safe
     * beyond this: distinct (layer, token) cells may be set from different threads as long as the
     * build happens after all of them (e.g. after the worker pool's join).
     */
    public static final class Builder {
        private final int startPosition;
        private final int[] tokens;
        private final int layers;
        private final int expertCount;
        private final int expertsUsed;
        private final int[] experts;
        private final float[] weights;
        private final float[] probabilities;
        private boolean built;

        private Builder(int startPosition, int[] tokens, int layers, int expertCount, int expertsUsed,
                        boolean withProbabilities) {
            if (startPosition < 0) {
                throw new IllegalArgumentException("negative start position " + startPosition);
            }
            if (tokens.length == 0 || layers <= 0 || expertCount <= 0 || expertsUsed <= 0 || expertsUsed > expertCount) {
                throw new IllegalArgumentException("bad trace shape: " + tokens.length + " tokens, " + layers
                        + " layers, " + expertsUsed + " of " + expertCount + " experts");
            }
            long cells = (long) layers * tokens.length * Math.max(expertsUsed, withProbabilities ? expertCount : 0);
            if (cells > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("trace too large: " + cells + " cells");
            }
            this.startPosition = startPosition;
            this.tokens = tokens.clone();
            this.layers = layers;
            this.expertCount = expertCount;
            this.expertsUsed = expertsUsed;
            this.experts = new int[layers * tokens.length * expertsUsed];
            Arrays.fill(experts, -1);
            this.weights = new float[experts.length];
            this.probabilities = withProbabilities ? new float[layers * tokens.length * expertCount] : null;
        }

        public int tokenCount() {
            return tokens.length;
        }

        /** Position of the trace's first token: a token's index is its position minus this. */
        public int startPosition() {
            return startPosition;
        }

        public boolean wantsProbabilities() {
            return probabilities != null;
        }

        /** Records the expert at {@code rank} for token index {@code i} in {@code layer}. */
        public Builder choose(int layer, int i, int rank, int expert, float weight) {
            if (layer < 0 || layer >= layers || i < 0 || i >= tokens.length || rank < 0 || rank >= expertsUsed) {
                throw new IndexOutOfBoundsException("layer " + layer + ", token " + i + ", rank " + rank + " outside "
                        + layers + " x " + tokens.length + " x " + expertsUsed);
            }
            if (expert < 0 || expert >= expertCount) {
                throw new IllegalArgumentException("expert " + expert + " outside [0, " + expertCount + ") at layer "
                        + layer + ", token " + i);
            }
            int at = (layer * tokens.length + i) * expertsUsed + rank;
            experts[at] = expert;
            weights[at] = weight;
            return this;
        }

        /** Sets (or replaces) the weight of the expert already recorded at {@code rank}. */
        public Builder weight(int layer, int i, int rank, float weight) {
            if (layer < 0 || layer >= layers || i < 0 || i >= tokens.length || rank < 0 || rank >= expertsUsed) {
                throw new IndexOutOfBoundsException("layer " + layer + ", token " + i + ", rank " + rank + " outside "
                        + layers + " x " + tokens.length + " x " + expertsUsed);
            }
            weights[(layer * tokens.length + i) * expertsUsed + rank] = weight;
            return this;
        }

        /** Records the router probabilities of token {@code i} in {@code layer}: {@code expertCount} values from {@code src[off]}. */
        public Builder probabilities(int layer, int i, float[] src, int off) {
            if (probabilities == null) {
                return this;
            }
            if (layer < 0 || layer >= layers || i < 0 || i >= tokens.length) {
                throw new IndexOutOfBoundsException("layer " + layer + ", token " + i);
            }
            System.arraycopy(src, off, probabilities, (layer * tokens.length + i) * expertCount, expertCount);
            return this;
        }

        /**
         * The finished trace.
         *
         * @throws IllegalStateException naming the first (layer, token) with no expert recorded, or an
         *         expert chosen twice for one token
         */
        public RoutingTrace build() {
            if (built) {
                throw new IllegalStateException("already built");
            }
            for (int cell = 0; cell < experts.length / expertsUsed; cell++) {
                int at = cell * expertsUsed;
                for (int r = 0; r < expertsUsed; r++) {
                    if (experts[at + r] < 0) {
                        throw new IllegalStateException("no expert recorded at layer " + cell / tokens.length
                                + ", token " + cell % tokens.length + ", rank " + r);
                    }
                    if (Float.isNaN(weights[at + r])) {
                        throw new IllegalStateException("no weight recorded (or NaN) at layer " + cell / tokens.length
                                + ", token " + cell % tokens.length + ", rank " + r);
                    }
                    for (int s = 0; s < r; s++) {
                        if (experts[at + s] == experts[at + r]) {
                            throw new IllegalStateException("expert " + experts[at + r] + " chosen twice at layer "
                                    + cell / tokens.length + ", token " + cell % tokens.length);
                        }
                    }
                }
            }
            built = true;
            return new RoutingTrace(startPosition, tokens, layers, expertCount, expertsUsed, experts, weights,
                    probabilities);
        }
    }
}
