package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_K: 256 values per 176-byte super-block: {@code d}, {@code dmin} (f16), the 12-byte 6-bit
 * scale/min table of Q4_K, {@code qh[32]} (bit k of qh[l] is the fifth bit of value 32k + l), then
 * 128 bytes of low nibbles laid out as in Q4_K. value = (d * scale_j) * q - dmin * min_j.
 */
final class Q5_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 176;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        Q4_KEncoder.Scratch s = new Q4_KEncoder.Scratch();
        for (int b = 0; b < blocks; b++) {
            int o = dstOff + b * BYTES;
            Q4_KEncoder.encodeBlock(src, srcOff + b * QK, dst, o, s, 31, -0.5f, 15);
            int qh = o + 16;
            int ql = o + 48;
            for (int l = 0; l < 32; l++) {
                dst[qh + l] = 0;
            }
            int m1 = 1;
            int m2 = 2;
            for (int n = 0; n < QK; n += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = s.codes[n + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        dst[qh + j] |= (byte) m1;
                    }
                    int l2 = s.codes[n + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        dst[qh + j] |= (byte) m2;
                    }
                    dst[ql + j] = (byte) (l1 | l2 << 4);
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        }
    }
}
