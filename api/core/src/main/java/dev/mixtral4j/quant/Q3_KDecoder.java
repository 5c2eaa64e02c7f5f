package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q3_K: 256 values per 110-byte super-block of sixteen 16-value groups: {@code hmask[32]} (bit k of
 * hmask[l] is the high bit of value 32k + l), {@code qs[64]} (low 2 bits, packed as in Q2_K),
 * {@code scales[12]} (sixteen 6-bit signed scales: low nibbles in bytes 0..7, group g < 8 in the low
 * and g >= 8 in the high nibble of byte g % 8; high 2 bits of group g in bits 2(g/4) of byte 8 + g%4;
 * stored with +32 bias), {@code d} (f16). value = (d * (scale_g - 32)) * (q2 - (high bit ? 0 : 4)).
 */
final class Q3_KDecoder implements BlockDecoder {

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
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float dAll = LittleEndian.getHalf(src, o + 108);
            int q = o + 32;
            int m = 1;
            int is = 0;
            for (int n = 0; n < QK; n += 128) {
                for (int k = 0; k < 4; k++) {
                    int shift = 2 * k;
                    for (int half = 0; half < 2; half++) {
                        float dl = dAll * (scale(is++, src, o + 96) - 32);
                        int base = y + n + 32 * k + 16 * half;
                        for (int l = 0; l < 16; l++) {
                            int i = 16 * half + l;
                            int low = (src[q + i] >> shift) & 3;
                            dst[base + l] = dl * (low - ((src[o + i] & m) != 0 ? 0 : 4));
                        }
                    }
                    m <<= 1;
                }
                q += 32;
            }
        }
    }
}
