package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.LittleEndian;

/**
 * IQ4_XS: 256 values per 136-byte super-block of eight 32-value groups: {@code d} (f16),
 * {@code scales_h} (u16, bits 2g..2g+1 = high bits of group g's 6-bit scale), {@code scales_l[4]}
 * (nibble g%2 of byte g/2 = its low bits), then 16 nibble bytes per group as IQ4_NL; value =
 * (d * (ls_g - 32)) * K[q].
 *
 * <p>Quantization: each group's own best scale s_g ({@link Iq4Grid}); then the super-scale d is
 * chosen among the f16 values {@code s_max / l} (s_max the group scale of largest magnitude, l
 * every non-zero 6-bit level, so a block already on the grid is found exactly) by the error the
 * rounding of the group scales to {@code d * l_g} adds (for fixed codes, (s_g - d*l_g)^2 times
 * sum(K*K)); finally each group tries the levels around s_g/d with its values re-assigned and
 * keeps the one of least squared error. Not byte-identical to GGML's quantizer. NaN and
 * infinities are refused; huge finite values saturate.
 */
final class Iq4XsEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 136;
    private static final int GROUPS = QK / Iq4Grid.GROUP;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        Iq4Grid.requireFinite(GgmlType.IQ4_XS, src, srcOff, blocks * QK);
        float[] s = new float[GROUPS];
        double[] energy = new double[GROUPS];
        byte[] trial = new byte[Iq4Grid.GROUP / 2];
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float sMax = 0f;
            for (int g = 0; g < GROUPS; g++) {
                s[g] = Iq4Grid.bestScale(src, x + g * Iq4Grid.GROUP);
                energy[g] = s[g] == 0f ? 0 : Iq4Grid.energy(src, x + g * Iq4Grid.GROUP, s[g]);
                if (Math.abs(s[g]) > Math.abs(sMax)) {
                    sMax = s[g];
                }
            }
            float d = superScale(s, energy, sMax);
            LittleEndian.putHalf(dst, o, d);
            int scalesH = 0;
            for (int g = 0; g < GROUPS; g++) {
                int xg = x + g * Iq4Grid.GROUP;
                int qs = o + 8 + g * (Iq4Grid.GROUP / 2);
                int level = 0;
                if (d != 0f) {
                    int l0 = level(s[g], d);
                    double bestErr = Double.MAX_VALUE;
                    for (int l = Math.max(-32, l0 - 1); l <= Math.min(31, l0 + 1); l++) {
                        double err = Iq4Grid.writeCodes(src, xg, d * l, trial, 0);
                        if (err < bestErr) {
                            bestErr = err;
                            level = l;
                        }
                    }
                }
                Iq4Grid.writeCodes(src, xg, d * level, dst, qs);
                int ls = level + 32;
                scalesH |= (ls >>> 4) << (2 * g);
                int low = o + 4 + g / 2;
                dst[low] = (byte) ((g % 2 == 0 ? 0 : dst[low] & 0x0F) | (ls & 0x0F) << (4 * (g % 2)));
            }
            LittleEndian.putShort(dst, o + 2, (short) scalesH);
        }
    }

    /** The f16 super-scale of least added error among {@code sMax / l}; 0 when every group is zero. */
    private static float superScale(float[] s, double[] energy, float sMax) {
        if (sMax == 0f) {
            return 0f;
        }
        float best = 0f;
        double bestErr = Double.MAX_VALUE;
        for (int l = -32; l <= 31; l++) {
            if (l == 0) {
                continue;
            }
            float d = Iq4Grid.half(sMax / l);
            if (d == 0f) {
                continue;
            }
            double err = 0;
            for (int g = 0; g < s.length; g++) {
                double e = s[g] - (double) (d * level(s[g], d));
                err += e * e * energy[g];
            }
            if (err < bestErr) {
                bestErr = err;
                best = d;
            }
        }
        return best;
    }

    /** The 6-bit level (-32..31) nearest {@code s / d}. */
    private static int level(float s, float d) {
        return (int) Math.max(-32, Math.min(31, Math.rint(s / d)));
    }
}
