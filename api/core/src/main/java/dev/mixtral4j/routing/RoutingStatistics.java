package dev.mixtral4j.routing;

/**
 * The routing analysis of the Mixtral paper for one trace (one input text), per layer:
 * <ul>
 *   <li>expert usage: how many tokens chose each expert as first choice, and among their chosen
 *       experts at all ("either choice" for 2 of 8);</li>
 *   <li>the paper's Table 5: the share of consecutive token pairs with the same first-choice
 *       expert, and with at least one chosen expert in common, beside {@link RandomRouting}'s
 *       values for independent random routing.</li>
 * </ul>
 * Every position of the trace counts (BOS included, as the tokens were run). Immutable.
 */
public final class RoutingStatistics {
    private final int layers;
    private final int expertCount;
    private final int expertsUsed;
    private final int tokens;
    private final long[][] firstChoice;
    private final long[][] anyChoice;
    private final long[] sameFirst;
    private final long[] shared;

    private RoutingStatistics(RoutingTrace t) {
        layers = t.layerCount();
        expertCount = t.expertCount();
        expertsUsed = t.expertsUsed();
        tokens = t.tokenCount();
        firstChoice = new long[layers][expertCount];
        anyChoice = new long[layers][expertCount];
        sameFirst = new long[layers];
        shared = new long[layers];
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < tokens; i++) {
                firstChoice[l][t.expert(l, i, 0)]++;
                for (int r = 0; r < expertsUsed; r++) {
                    anyChoice[l][t.expert(l, i, r)]++;
                }
                if (i > 0) {
                    if (t.expert(l, i, 0) == t.expert(l, i - 1, 0)) {
                        sameFirst[l]++;
                    }
                    if (intersect(t, l, i - 1, i)) {
                        shared[l]++;
                    }
                }
            }
        }
    }

    /** The statistics of {@code trace}. */
    public static RoutingStatistics of(RoutingTrace trace) {
        return new RoutingStatistics(trace);
    }

    private boolean intersect(RoutingTrace t, int l, int a, int b) {
        for (int r = 0; r < expertsUsed; r++) {
            int e = t.expert(l, a, r);
            for (int s = 0; s < expertsUsed; s++) {
                if (t.expert(l, b, s) == e) {
                    return true;
                }
            }
        }
        return false;
    }

    public int layerCount() {
        return layers;
    }

    public int expertCount() {
        return expertCount;
    }

    public int expertsUsed() {
        return expertsUsed;
    }

    public int tokenCount() {
        return tokens;
    }

    /** Tokens whose first choice in {@code layer} was {@code expert}. */
    public long firstChoiceCount(int layer, int expert) {
        return firstChoice[layer][expert];
    }

    /** Tokens that had {@code expert} among their chosen experts in {@code layer}. */
    public long anyChoiceCount(int layer, int expert) {
        return anyChoice[layer][expert];
    }

    /** {@link #firstChoiceCount} over the token count (the shares of a layer sum to 1). */
    public double firstChoiceShare(int layer, int expert) {
        return (double) firstChoice[layer][expert] / tokens;
    }

    /** {@link #anyChoiceCount} over the token count (the shares of a layer sum to {@code expertsUsed}). */
    public double anyChoiceShare(int layer, int expert) {
        return (double) anyChoice[layer][expert] / tokens;
    }

    /** Consecutive token pairs: {@code tokenCount() - 1} (0 for a single token). */
    public int pairCount() {
        return Math.max(0, tokens - 1);
    }

    /** Share of consecutive pairs with the same first-choice expert in {@code layer} (NaN without pairs). */
    public double sameFirstChoiceRate(int layer) {
        return pairCount() == 0 ? Double.NaN : (double) sameFirst[layer] / pairCount();
    }

    /** Share of consecutive pairs whose chosen experts in {@code layer} have one in common (NaN without pairs). */
    public double sharedExpertRate(int layer) {
        return pairCount() == 0 ? Double.NaN : (double) shared[layer] / pairCount();
    }

    /** {@link RandomRouting#sameFirstChoice} for this model's expert count. */
    public double randomSameFirstChoice() {
        return RandomRouting.sameFirstChoice(expertCount);
    }

    /** {@link RandomRouting#sharedExpert} for this model's expert counts. */
    public double randomSharedExpert() {
        return RandomRouting.sharedExpert(expertCount, expertsUsed);
    }
}
