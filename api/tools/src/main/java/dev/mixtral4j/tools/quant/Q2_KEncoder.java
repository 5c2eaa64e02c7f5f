package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q2_K: 256 values per 84-byte super-block of sixteen 16-value groups: {@code scales[16]} (low
 * nibble = 4-bit scale, high nibble = 4-bit min of group g), {@code qs[64]}, {@code d}, {@code dmin}
 * (f16). In each 128-value half h, value 32k + l (k = 0..3, l = 0..31) is bits 2k..2k+1 of
 * qs[32h + l]; value = (d * scale_g) * q - dmin * min_g, g = index / 16.
 */
final class Q2_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 84;

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        byte[] codes = new byte[QK];
        int[] aux = new int[16];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        float[] minOut = new float[1];
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float maxScale = 0f;
            float maxMin = 0f;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(src[x + 16 * j + l]);
                }
                scales[j] = KQuantSearch.asymmetric(16, 3, src, x + 16 * j, weights, codes, 16 * j, aux, -0.5f, 0.1f,
                        15, true, minOut);
                mins[j] = minOut[0];
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            if (maxScale > 0f) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) {
                    dst[o + j] = (byte) nearestInt(iscale * scales[j]);
                }
                LittleEndian.putHalf(dst, o + 80, maxScale / 15f);
            } else {
                for (int j = 0; j < 16; j++) {
                    dst[o + j] = 0;
                }
                LittleEndian.putHalf(dst, o + 80, 0f);
            }
            if (maxMin > 0f) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) {
                    dst[o + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                }
                LittleEndian.putHalf(dst, o + 82, maxMin / 15f);
            } else {
                LittleEndian.putHalf(dst, o + 82, 0f);
            }
            float dAll = LittleEndian.getHalf(dst, o + 80);
            float dMinAll = LittleEndian.getHalf(dst, o + 82);
            for (int j = 0; j < 16; j++) {
                int sc = dst[o + j] & 0xFF;
                float d = dAll * (sc & 0x0F);
                if (d == 0f) {
                    continue;
                }
                float dm = dMinAll * (sc >>> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt((src[x + 16 * j + ii] + dm) / d);
                    codes[16 * j + ii] = (byte) KQuantSearch.clamp(l, 0, 3);
                }
            }
            packTwoBitCodes(codes, dst, o + 16);
        }
    }

    /** Q2_K/Q3_K packing: in each half of 128, code 32k + l goes to bits 2k of byte l. */
    static void packTwoBitCodes(byte[] codes, byte[] dst, int qs) {
        for (int j = 0; j < QK; j += 128) {
            for (int l = 0; l < 32; l++) {
                dst[qs + j / 4 + l] = (byte) (codes[j + l] | codes[j + l + 32] << 2 | codes[j + l + 64] << 4
                        | codes[j + l + 96] << 6);
            }
        }
    }
}
