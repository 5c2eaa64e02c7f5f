package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_K: 256 values per 176-byte super-block: {@code d}, {@code dmin} (f16), the 12-byte 6-bit
 * scale/min table of Q4_K, {@code qh[32]} (bit k of qh[l] is the fifth bit of value 32k + l), then
 * 128 bytes of low nibbles laid out as in Q4_K. value = (d * scale_j) * q - dmin * min_j.
 */
final class Q5_KDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 176;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            float min = LittleEndian.getHalf(src, o + 2);
            int qh = o + 16;
            int ql = o + 48;
            int u1 = 1;
            int u2 = 2;
            for (int j = 0; j < QK; j += 64) {
                int sm1 = Q4_KDecoder.scaleMinK4(j / 32, src, o + 4);
                int sm2 = Q4_KDecoder.scaleMinK4(j / 32 + 1, src, o + 4);
                float d1 = d * (sm1 & 0xFF);
                float m1 = min * (sm1 >>> 8);
                float d2 = d * (sm2 & 0xFF);
                float m2 = min * (sm2 >>> 8);
                for (int l = 0; l < 32; l++) {
                    dst[y + j + l] = d1 * ((src[ql + l] & 0x0F) + ((src[qh + l] & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[y + j + 32 + l] = d2 * (((src[ql + l] & 0xFF) >>> 4) + ((src[qh + l] & u2) != 0 ? 16 : 0)) - m2;
                }
                ql += 32;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }
}
