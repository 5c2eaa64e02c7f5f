package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_K: 256 values per 144-byte super-block of eight 32-value sub-blocks: {@code d}, {@code dmin}
 * (f16 each), 12 bytes packing eight 6-bit scales and eight 6-bit mins, then 128 bytes of nibbles.
 * Values 64k .. 64k+31 are the low nibbles of bytes 32k .. 32k+31 of the nibble area, values
 * 64k+32 .. 64k+63 their high nibbles. value = (d * scale_j) * q - dmin * min_j for sub-block j.
 */
final class Q4_KDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 144;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            float min = LittleEndian.getHalf(src, o + 2);
            int q = o + 16;
            for (int j = 0; j < QK; j += 64) {
                int sm1 = scaleMinK4(j / 32, src, o + 4);
                int sm2 = scaleMinK4(j / 32 + 1, src, o + 4);
                float d1 = d * (sm1 & 0xFF);
                float m1 = min * (sm1 >>> 8);
                float d2 = d * (sm2 & 0xFF);
                float m2 = min * (sm2 >>> 8);
                for (int l = 0; l < 32; l++) {
                    dst[y + j + l] = d1 * (src[q + l] & 0x0F) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[y + j + 32 + l] = d2 * ((src[q + l] & 0xFF) >>> 4) - m2;
                }
                q += 32;
            }
        }
    }

    /**
     * Scale (low byte) and min (next byte) of sub-block {@code j} from the 12-byte 6-bit table at
     * {@code b[o]} that Q4_K and Q5_K share.
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
}
