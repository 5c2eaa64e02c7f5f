package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q3_K: 256 values per 110-byte super-block of sixteen 16-value groups: {@code hmask[32]} (bit k of
 * hmask[l] is the high bit of value 32k + l), {@code qs[64]} (low 2 bits, packed as in Q2_K),
 * {@code scales[12]} (sixteen 6-bit signed scales: low nibbles in bytes 0..7, group g < 8 in the low
 * and g >= 8 in the high nibble of byte g % 8; high 2 bits of group g in bits 2(g/4) of byte 8 + g%4;
 * stored with +32 bias), {@code d} (f16). value = (d * (scale_g - 32)) * (q2 - (high bit ? 0 : 4)).
 */
final class Q3_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 110;

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    /** The biased 6-bit scale (0..63) of group g from the 12-byte table at {@code b[o]}. */
    static int scale(int g, byte[] b, int o) {
        int low = g < 8 ? b[o + g] & 0x0F : (b[o + g - 8] & 0xFF) >>> 4;
        int high = ((b[o + 8 + g % 4] & 0xFF) >>> (2 * (g / 4))) & 3;
        return low | high << 4;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        byte[] codes = new byte[QK];
        float[] scales = new float[16];
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float maxScale = 0f;
            float amax = 0f;
            for (int j = 0; j < 16; j++) {
                scales[j] = KQuantSearch.symmetricRefined(16, 4, src, x + 16 * j, codes, 16 * j);
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }
            int sc = o + 96;
            java.util.Arrays.fill(dst, sc, sc + 12, (byte) 0);
            if (maxScale != 0f) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    // GGML narrows nearest_int to int8_t before clamping.
                    int l = KQuantSearch.clamp((byte) nearestInt(iscale * scales[j]), -32, 31) + 32;
                    if (j < 8) {
                        dst[sc + j] = (byte) (l & 0x0F);
                    } else {
                        dst[sc + j - 8] |= (byte) ((l & 0x0F) << 4);
                    }
                    l >>= 4;
                    dst[sc + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
                }
                LittleEndian.putHalf(dst, o + 108, 1f / iscale);
            } else {
                LittleEndian.putHalf(dst, o + 108, 0f);
            }
            float dAll = LittleEndian.getHalf(dst, o + 108);
            for (int j = 0; j < 16; j++) {
                float d = dAll * (scale(j, dst, sc) - 32);
                if (d == 0f) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = KQuantSearch.clamp(nearestInt(src[x + 16 * j + ii] / d), -4, 3);
                    codes[16 * j + ii] = (byte) (l + 4);
                }
            }
            java.util.Arrays.fill(dst, o, o + 32, (byte) 0);
            int m = 0;
            int hm = 1;
            for (int j = 0; j < QK; j++) {
                if (codes[j] > 3) {
                    dst[o + m] |= (byte) hm;
                    codes[j] -= 4;
                }
                if (++m == 32) {
                    m = 0;
                    hm <<= 1;
                }
            }
            Q2_KEncoder.packTwoBitCodes(codes, dst, o + 32);
        }
    }
}
