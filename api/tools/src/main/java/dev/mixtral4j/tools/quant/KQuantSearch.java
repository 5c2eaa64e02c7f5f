package dev.mixtral4j.tools.quant;

import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.quant.HalfFloats;

/**
 * The scale searches behind GGML's K-quant reference quantizers ({@code make_qx_quants},
 * {@code make_q3_quants}, {@code make_qkx2_quants} in ggml-quants.c), re-derived in Java.
 *
 * <p>Being bit-exact depends on evaluating every float expression in GGML's order and precision
 * (float32, left to right, no fused multiply-add): e.g. {@code w * x * l} is {@code (w * x) * l},
 * and an {@code int} code is converted to float where C converts it. Keep it that way.
 */
final class KQuantSearch {

    /** GGML's GROUP_MAX_EPS: groups whose largest magnitude is below it count as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantSearch() {
    }

    /**
     * Symmetric codes {@code L[i] in [0, 2*nmax)} for {@code n} values with the scale that minimises
     * the x²-weighted squared error over 19 candidate scales (GGML's make_qx_quants, rmse_type 1).
     *
     * @return the scale (value = (L - nmax) * scale)
     */
    static float symmetricWeighted(int n, int nmax, float[] x, int xo, byte[] codes, int lo) {
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                codes[lo + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f;
        float suml2 = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            codes[lo + i] = (byte) (l + nmax);
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0f;
            suml2 = 0f;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0f && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    codes[lo + i] = (byte) (nmax + clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Q3_K's symmetric search (make_q3_quants with do_rmse): start from the extreme-value scale,
     * then up to five passes that move single codes when that improves the x²-weighted fit.
     * Codes end in {@code [0, 2*nmax)}; an all-zero group gets codes 0 (not nmax), as in GGML.
     */
    static float symmetricRefined(int n, int nmax, float[] x, int xo, byte[] codes, int lo) {
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                codes[lo + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f;
        float suml2 = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            codes[lo + i] = (byte) l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int li = codes[lo + i];
                float w = v * v;
                float slx = sumlx - w * v * li;
                if (slx > 0f) {
                    float sl2 = suml2 - w * li * li;
                    int newL = clamp(nearestInt(v * sl2 / slx), -nmax, nmax - 1);
                    if (newL != li) {
                        slx += w * v * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            codes[lo + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            codes[lo + i] += (byte) nmax;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * Asymmetric codes {@code L[i] in [0, nmax]} with value = scale * L - min, searching
     * {@code nstep + 1} scales (iscale = (rmin + rdelta*k + nmax) / (max - min)) and fitting scale
     * and min by weighted least squares for each (GGML's make_qkx2_quants).
     *
     * @param minOut receives the (non-negative) min in {@code minOut[0]}
     * @return the scale
     */
    static float asymmetric(int n, int nmax, float[] x, int xo, float[] weights, byte[] codes, int lo, int[] aux,
            float rmin, float rdelta, int nstep, boolean useMad, float[] minOut) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0f) {
            min = 0f;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                codes[lo + i] = 0;
            }
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1f / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = clamp(nearestInt(iscale * (v - min)), 0, nmax);
            codes[lo + i] = (byte) l;
            float diff = scale * l + min - v;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            minOut[0] = -min;
            return scale;
        }
        // x - min, recomputed only when an accepted candidate moves the min: GGML's later
        // candidates are measured from the latest accepted min, not the first one.
        float[] shifted = new float[n];
        for (int i = 0; i < n; i++) {
            shifted[i] = x[xo + i] - min;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * shifted[i]), 0, nmax);
                aux[i] = l;
                float wl = weights[i] * l;
                sumL += wl;
                sumL2 += wl * l;
                sumXL += wl * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0f) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0f) {
                    thisMin = 0f;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    for (int i = 0; i < n; i++) {
                        codes[lo + i] = (byte) aux[i];
                    }
                    bestError = curError;
                    scale = thisScale;
                    if (thisMin != min) {
                        min = thisMin;
                        for (int i = 0; i < n; i++) {
                            shifted[i] = x[xo + i] - min;
                        }
                    }
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** f16 round trip: the value a decoder will see for a scale stored as f16. */
    static float asStoredHalf(float v) {
        return HalfFloats.f16ToF32(HalfFloats.f32ToF16(v));
    }

    /**
     * The 6-bit scale and min of sub-block {@code j} (0..7) from the 12-byte packed table of
     * Q4_K/Q5_K (GGML's get_scale_min_k4), returned as {@code scale | min << 8}.
     */
    static int scaleMinK4(int j, byte[] b, int o) {
        int sc;
        int m;
        if (j < 4) {
            sc = b[o + j] & 63;
            m = b[o + j + 4] & 63;
        } else {
            sc = (b[o + j + 4] & 0x0F) | (((b[o + j - 4] & 0xFF) >>> 6) << 4);
            m = ((b[o + j + 4] & 0xFF) >>> 4) | (((b[o + j] & 0xFF) >>> 6) << 4);
        }
        return sc | m << 8;
    }

    /** Packs eight 6-bit scales and mins into Q4_K/Q5_K's 12-byte table at {@code b[o]}. */
    static void packScaleMinK4(int[] ls, int[] lm, byte[] b, int o) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                b[o + j] = (byte) ls[j];
                b[o + j + 4] = (byte) lm[j];
            } else {
                b[o + j + 4] = (byte) ((ls[j] & 0x0F) | ((lm[j] & 0x0F) << 4));
                b[o + j - 4] |= (byte) ((ls[j] >>> 4) << 6);
                b[o + j] |= (byte) ((lm[j] >>> 4) << 6);
            }
        }
    }
}
