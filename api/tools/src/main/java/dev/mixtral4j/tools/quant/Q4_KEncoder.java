package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_K: 256 values per 144-byte super-block of eight 32-value sub-blocks: {@code d}, {@code dmin}
 * (f16 each), 12 bytes packing eight 6-bit scales and eight 6-bit mins, then 128 bytes of nibbles.
 * Values 64k .. 64k+31 are the low nibbles of bytes 32k .. 32k+31 of the nibble area, values
 * 64k+32 .. 64k+63 their high nibbles. value = (d * scale_j) * q - dmin * min_j for sub-block j.
 */
final class Q4_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 144;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        Scratch s = new Scratch();
        for (int b = 0; b < blocks; b++) {
            encodeBlock(src, srcOff + b * QK, dst, dstOff + b * BYTES, s, 15, -1f, 20);
            int q = dstOff + b * BYTES + 16;
            for (int j = 0; j < QK; j += 64) {
                for (int l = 0; l < 32; l++) {
                    dst[q + l] = (byte) (s.codes[j + l] | s.codes[j + l + 32] << 4);
                }
                q += 32;
            }
        }
    }

    /** Per-call working arrays of the Q4_K/Q5_K quantizers. */
    static final class Scratch {
        final byte[] codes = new byte[QK];
        final int[] aux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[8];
        final float[] mins = new float[8];
        final int[] ls = new int[8];
        final int[] lm = new int[8];
        final float[] minOut = new float[1];
    }

    /**
     * The part Q4_K and Q5_K share: per-sub-block asymmetric search, 6-bit scale/min packing into
     * {@code d, dmin, scales[12]} at {@code dst[o]}, then final codes in {@code s.codes} (0..nmax)
     * recomputed against the stored scales.
     */
    static void encodeBlock(float[] x, int xo, byte[] dst, int o, Scratch s, int nmax, float rmin, int nstep) {
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            int base = xo + 32 * j;
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[base + l] * x[base + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.weights[l] = avX + Math.abs(x[base + l]);
            }
            s.scales[j] = KQuantSearch.asymmetric(32, nmax, x, base, s.weights, s.codes, 32 * j, s.aux, rmin, 0.1f,
                    nstep, false, s.minOut);
            s.mins[j] = s.minOut[0];
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0f ? 63f / maxScale : 0f;
        float invMin = maxMin > 0f ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            // GGML stores nearest_int into a uint8_t before clamping: keep the truncation.
            s.ls[j] = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            s.lm[j] = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
        }
        KQuantSearch.packScaleMinK4(s.ls, s.lm, dst, o + 4);
        LittleEndian.putHalf(dst, o, maxScale / 63f);
        LittleEndian.putHalf(dst, o + 2, maxMin / 63f);
        float dAll = LittleEndian.getHalf(dst, o);
        float dMinAll = LittleEndian.getHalf(dst, o + 2);
        for (int j = 0; j < 8; j++) {
            int sm = KQuantSearch.scaleMinK4(j, dst, o + 4);
            float d = dAll * (sm & 0xFF);
            if (d == 0f) {
                continue;
            }
            float dm = dMinAll * (sm >>> 8);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                s.codes[32 * j + ii] = (byte) KQuantSearch.clamp(l, 0, nmax);
            }
        }
    }
}
