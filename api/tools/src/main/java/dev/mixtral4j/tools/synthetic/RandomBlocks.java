package dev.mixtral4j.tools.synthetic;

import dev.mixtral4j.gguf.GgmlType;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes random but valid quantized blocks directly, without generating and quantizing floats:
 * the quant bits are random and the scale fields are set so the decoded values have roughly the
 * requested standard deviation and mean zero. This is the fast path for multi-gigabyte synthetic
 * models (quantizing billions of floats would take far longer than writing them).
 *
 * <p>Block layouts follow GGML's {@code ggml-common.h}; the scale of each type is chosen from the
 * spread of its random quants (e.g. uniform 4-bit {@code q - 8} has a standard deviation of about
 * 4.6, so Q4_0 gets {@code d = std / 4.6}).
 */
final class RandomBlocks {
    /** Types this class can produce. */
    static final Set<GgmlType> TYPES = EnumSet.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL,
            GgmlType.IQ4_XS);

    private RandomBlocks() {
    }

    /**
     * Fills {@code blocks} blocks of {@code type} into {@code dst} from {@code offset}, with
     * decoded values of standard deviation about {@code std}.
     */
    static void fill(GgmlType type, SplittableRandom rnd, double std, byte[] dst, int offset, int blocks) {
        int bb = type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            int at = offset + b * bb;
            randomBytes(rnd, dst, at, bb);
            switch (type) {
                case Q8_0 -> {
                    half(dst, at, std / 73.9);
                    // -128 has no positive twin: drop it so the quants average zero
                    for (int i = at + 2; i < at + 34; i++) {
                        if (dst[i] == (byte) 0x80) {
                            dst[i] = 0;
                        }
                    }
                }
                case Q4_0 -> {
                    half(dst, at, std / 4.61);
                    // q - 8 spans -8..7; a nibble 0 (value -8) becomes 8 (value 0) so the mean is zero.
                    // A constant bias would add the same vector to every output, which grows through
                    // the layers until one direction dominates every hidden state and every top-1.
                    for (int i = at + 2; i < at + 18; i++) {
                        int v = dst[i] & 0xFF;
                        if ((v & 0x0F) == 0) {
                            v |= 0x08;
                        }
                        if ((v & 0xF0) == 0) {
                            v |= 0x80;
                        }
                        dst[i] = (byte) v;
                    }
                }
                case Q4_1 -> {
                    double d = std / 4.61;
                    half(dst, at, d);
                    half(dst, at + 2, -7.5 * d);
                }
                case Q5_0 -> {
                    // d, qh[4], qs[16]: q - 16 spans -16..15; value 0 (q = 0) becomes q = 16 (bit 4 set)
                    half(dst, at, std / 9.23);
                    int qh = (dst[at + 2] & 0xFF) | (dst[at + 3] & 0xFF) << 8 | (dst[at + 4] & 0xFF) << 16
                            | (dst[at + 5] & 0xFF) << 24;
                    for (int j = 0; j < 16; j++) {
                        int v = dst[at + 6 + j] & 0xFF;
                        if ((v & 0x0F) == 0) {
                            qh |= 1 << j;
                        }
                        if ((v & 0xF0) == 0) {
                            qh |= 1 << (j + 16);
                        }
                    }
                    for (int k = 0; k < 4; k++) {
                        dst[at + 2 + k] = (byte) (qh >>> (8 * k));
                    }
                }
                case Q5_1 -> {
                    double d = std / 9.23;
                    half(dst, at, d);
                    half(dst, at + 2, -15.5 * d);
                }
                case Q2_K -> {
                    // scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
                    // q in 0..3 has mean 1.5: with dmin = 1.5 d and min = scale the mean is zero.
                    for (int i = 0; i < 16; i++) {
                        int sc = 1 + rnd.nextInt(15);
                        dst[at + i] = (byte) (sc | (sc << 4));
                    }
                    double d = std / (1.118 * 9.0);
                    half(dst, at + 80, d);
                    half(dst, at + 82, 1.5 * d);
                }
                case Q3_K -> {
                    // hmask[32], qs[64], scales[12] (random 6-bit, used as scale - 32), d.
                    half(dst, at + 108, std / (18.5 * 2.29));
                }
                case Q4_K -> kQuant(rnd, dst, at, at + 4, std / (36.6 * 4.61), 8.0, 7.5);
                case Q5_K -> kQuant(rnd, dst, at, at + 4, std / (36.6 * 9.23), 16.0, 15.5);
                case Q6_K -> {
                    // ql[128], qh[64], scales[16] (int8), d: value = d * scale * (q - 32).
                    for (int i = 0; i < 16; i++) {
                        int sc = 32 + rnd.nextInt(96);
                        dst[at + 192 + i] = (byte) (rnd.nextBoolean() ? sc : -sc);
                    }
                    half(dst, at + 208, std / (85.0 * 18.5));
                }
                case IQ4_NL -> {
                    // d, qs[16]: value d * K[q]; ggml's table has rms 67.4 but mean -5.9, so half the
                    // blocks get a negative d to keep the bias out (see Q4_0)
                    half(dst, at, (rnd.nextBoolean() ? 1 : -1) * std / 67.4);
                }
                case IQ4_XS -> {
                    // d, scales_h, scales_l[4], qs[128]: value d * (ls - 32) * K[q]; levels of magnitude
                    // 8..31 (rms 20.7) with random signs, which also cancel the table's mean
                    int scalesH = 0;
                    for (int g = 0; g < 8; g++) {
                        int level = 8 + rnd.nextInt(24);
                        int ls = 32 + (rnd.nextBoolean() ? level : -level);
                        scalesH |= (ls >>> 4) << (2 * g);
                        int low = at + 4 + g / 2;
                        dst[low] = (byte) ((g % 2 == 0 ? 0 : dst[low] & 0x0F) | (ls & 0x0F) << (4 * (g % 2)));
                    }
                    half(dst, at, std / (67.4 * 20.7));
                    dst[at + 2] = (byte) scalesH;
                    dst[at + 3] = (byte) (scalesH >>> 8);
                }
                default -> throw new IllegalArgumentException("no random block generator for " + type);
            }
        }
    }

    /**
     * Q4_K / Q5_K: d and dmin at {@code at}, the 12 packed 6-bit scale/min bytes at
     * {@code scalesAt}. Mins are set to {@code scale * mean / dminFactor} so each sub-block is
     * centred on zero.
     */
    private static void kQuant(SplittableRandom rnd, byte[] dst, int at, int scalesAt, double d, double dminFactor,
            double meanQ) {
        half(dst, at, d);
        half(dst, at + 2, dminFactor * d);
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = 1 + rnd.nextInt(63);
            mn[j] = Math.min(63, (int) Math.round(sc[j] * meanQ / dminFactor));
        }
        // The 6-bit packing GGML's get_scale_min_k4 reads back.
        for (int j = 0; j < 4; j++) {
            dst[scalesAt + j] = (byte) ((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
            dst[scalesAt + j + 4] = (byte) ((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
            dst[scalesAt + j + 8] = (byte) ((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
        }
    }

    private static void randomBytes(SplittableRandom rnd, byte[] dst, int at, int n) {
        int i = 0;
        while (i + 8 <= n) {
            long r = rnd.nextLong();
            for (int k = 0; k < 8; k++) {
                dst[at + i + k] = (byte) (r >>> (8 * k));
            }
            i += 8;
        }
        if (i < n) {
            long r = rnd.nextLong();
            for (; i < n; i++) {
                dst[at + i] = (byte) r;
                r >>>= 8;
            }
        }
    }

    private static void half(byte[] dst, int at, double v) {
        short h = Float.floatToFloat16((float) v);
        dst[at] = (byte) h;
        dst[at + 1] = (byte) (h >> 8);
    }
}
