package dev.mixtral4j.routing;

/**
 * What a router that picked its experts uniformly at random and independently for every token
 * would give for the consecutive-token statistics of {@link RoutingStatistics}: the baselines of
 * the Mixtral paper's Table 5 (12.5% and 46% for 2 of 8 experts). Exact values, not simulations.
 */
public final class RandomRouting {
    private RandomRouting() {
    }

    /** Chance that two consecutive tokens have the same first-choice expert: {@code 1/E}. */
    public static double sameFirstChoice(int expertCount) {
        check(expertCount, 1);
        return 1.0 / expertCount;
    }

    /**
     * Chance that two independent uniformly random {@code k}-subsets of {@code E} experts share at
     * least one expert: {@code 1 - C(E-k, k) / C(E, k)} (13/28 for 2 of 8).
     */
    public static double sharedExpert(int expertCount, int expertsUsed) {
        check(expertCount, expertsUsed);
        // C(E-k, k) / C(E, k) = prod_{i<k} (E-k-i) / (E-i); zero once E-k-i reaches 0
        double disjoint = 1;
        for (int i = 0; i < expertsUsed; i++) {
            int num = expertCount - expertsUsed - i;
            if (num <= 0) {
                return 1;
            }
            disjoint *= (double) num / (expertCount - i);
        }
        return 1 - disjoint;
    }

    private static void check(int expertCount, int expertsUsed) {
        if (expertCount <= 0 || expertsUsed <= 0 || expertsUsed > expertCount) {
            throw new IllegalArgumentException(expertsUsed + " of " + expertCount + " experts");
        }
    }
}
