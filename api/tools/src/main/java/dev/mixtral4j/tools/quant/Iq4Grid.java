package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Iq4Table;

/**
 * What IQ4_NL and IQ4_XS share: GGML's 16-entry non-linear table ({@code kvalues_iq4nl}), the
 * nearest-entry lookup, and the search for the scale of one group of 32 values.
 *
 * <p>The search is ours, not GGML's (its {@code quantize_row_iq4_nl_impl} weights the error by
 * x^2 and tries a different candidate set): it minimises the plain squared error of the group.
 * A candidate scale puts the value of largest magnitude on a chosen point of the table; every
 * value then takes its nearest entry, and the least-squares scale for those entries
 * ({@code sum(x*K)/sum(K*K)}) is kept when it explains more of the group than the best so far
 * ({@code sum(x*K)^2/sum(K*K)} larger, which is the squared error smaller). Candidates: every
 * table entry (so a group already on the grid is found exactly) and every whole point within 8
 * of either end of the table, where the optimum of a dense group lies; two rounds of
 * re-assignment at the best scale follow.
 */
final class Iq4Grid {

    /** GGML's kvalues_iq4nl. */
    static final int[] VALUES = Iq4Table.values();

    /** Code of the entry nearest zero: a zero scale with this code decodes to +0. */
    static final int ZERO_CODE = 8;

    static final int GROUP = 32;

    /** The largest finite f16: bigger scales are clamped so huge inputs saturate instead of decoding to infinity. */
    static final float MAX_HALF = 65504f;

    /** Midpoints between neighbouring entries; entry i is nearest for t in (MID[i-1], MID[i]]. */
    private static final float[] MID = new float[VALUES.length - 1];

    /** Where the candidates put the largest value: table entries, then points near both ends. */
    private static final float[] TARGETS;

    static {
        for (int i = 0; i < MID.length; i++) {
            MID[i] = (VALUES[i] + VALUES[i + 1]) * 0.5f;
        }
        float[] t = new float[VALUES.length + 2 * 17];
        int n = 0;
        for (int v : VALUES) {
            t[n++] = v;
        }
        for (int i = -8; i <= 8; i++) {
            t[n++] = VALUES[0] + i;
            t[n++] = VALUES[VALUES.length - 1] + i;
        }
        TARGETS = t;
    }

    private Iq4Grid() {
    }

    /** Index of the table entry nearest {@code t} (the lower one on a tie). */
    static int nearest(float t) {
        int lo = 0;
        int hi = MID.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (t > MID[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Refuses NaN and infinities: no scale represents them, and a silent choice would hide the fault. */
    static void requireFinite(GgmlType type, float[] src, int from, int count) {
        for (int i = from; i < from + count; i++) {
            if (!Float.isFinite(src[i])) {
                throw new IllegalArgumentException(type + " cannot encode " + src[i] + " (src[" + i + "]): "
                        + "only finite values have a scale");
            }
        }
    }

    /** {@code s} rounded to f16 as stored, its magnitude clamped to the largest finite f16. */
    static float half(float s) {
        float c = Math.max(-MAX_HALF, Math.min(MAX_HALF, s));
        return Float.float16ToFloat(Float.floatToFloat16(c));
    }

    /**
     * The least-squares scale (before f16 rounding) of {@code x[off .. off+32)} found by the
     * search in the class comment; 0 for a group of zeros.
     */
    static float bestScale(float[] x, int off) {
        float max = 0f;
        float amax = 0f;
        for (int j = 0; j < GROUP; j++) {
            float a = Math.abs(x[off + j]);
            if (a > amax) {
                amax = a;
                max = x[off + j];
            }
        }
        if (amax == 0f) {
            return 0f;
        }
        double bestGain = -1;
        double best = 0;
        for (float target : TARGETS) {
            double[] fit = fit(x, off, max / target);
            if (fit[1] > 0 && fit[0] * fit[0] / fit[1] > bestGain) {
                bestGain = fit[0] * fit[0] / fit[1];
                best = fit[0] / fit[1];
            }
        }
        for (int round = 0; round < 2 && best != 0; round++) {
            double[] fit = fit(x, off, (float) best);
            if (!(fit[1] > 0 && fit[0] * fit[0] / fit[1] > bestGain)) {
                break;
            }
            bestGain = fit[0] * fit[0] / fit[1];
            best = fit[0] / fit[1];
        }
        return (float) best;
    }

    /** {sum(x*K), sum(K*K)} with every value on the entry nearest {@code x/d}. */
    private static double[] fit(float[] x, int off, float d) {
        double sx = 0;
        double sq = 0;
        if (d != 0f && Float.isFinite(d)) {
            for (int j = 0; j < GROUP; j++) {
                int k = VALUES[nearest(x[off + j] / d)];
                sx += (double) x[off + j] * k;
                sq += (double) k * k;
            }
        }
        return new double[] {sx, sq};
    }

    /** sum(K*K) of the entries the group takes at scale {@code d}. */
    static double energy(float[] x, int off, float d) {
        return fit(x, off, d)[1];
    }

    /**
     * Writes the 32 codes of {@code x[off ..]} at the stored scale {@code dl} as 16 nibble bytes at
     * {@code dst[at]} (value j in the low nibble of byte j, value j+16 in the high one) and returns
     * the squared error the decoder will see ({@code dl * K} in float, as it computes).
     */
    static double writeCodes(float[] x, int off, float dl, byte[] dst, int at) {
        double err = 0;
        int[] q = new int[GROUP];
        for (int j = 0; j < GROUP; j++) {
            q[j] = dl == 0f ? ZERO_CODE : nearest(x[off + j] / dl);
            double e = x[off + j] - dl * VALUES[q[j]];
            err += e * e;
        }
        for (int j = 0; j < GROUP / 2; j++) {
            dst[at + j] = (byte) (q[j] | q[j + GROUP / 2] << 4);
        }
        return err;
    }
}
