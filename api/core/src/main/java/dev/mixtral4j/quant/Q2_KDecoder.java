package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q2_K: 256 values per 84-byte super-block of sixteen 16-value groups: {@code scales[16]} (low
 * nibble = 4-bit scale, high nibble = 4-bit min of group g), {@code qs[64]}, {@code d}, {@code dmin}
 * (f16). In each 128-value half h, value 32k + l (k = 0..3, l = 0..31) is bits 2k..2k+1 of
 * qs[32h + l]; value = (d * scale_g) * q - dmin * min_g, g = index / 16.
 */
final class Q2_KDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 84;

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o + 80);
            float min = LittleEndian.getHalf(src, o + 82);
            int q = o + 16;
            int is = 0;
            for (int n = 0; n < QK; n += 128) {
                for (int k = 0; k < 4; k++) {
                    int shift = 2 * k;
                    for (int half = 0; half < 2; half++) {
                        int sc = src[o + is++] & 0xFF;
                        float dl = d * (sc & 0x0F);
                        float ml = min * (sc >>> 4);
                        int base = y + n + 32 * k + 16 * half;
                        for (int l = 0; l < 16; l++) {
                            dst[base + l] = dl * ((src[q + 16 * half + l] >> shift) & 3) - ml;
                        }
                    }
                }
                q += 32;
            }
        }
    }
}
