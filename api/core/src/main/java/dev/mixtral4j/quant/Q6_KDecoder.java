package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q6_K: 256 values per 210-byte super-block of sixteen 16-value groups: {@code ql[128]} (low
 * nibbles), {@code qh[64]} (2-bit high parts), {@code scales[16]} (int8), {@code d} (f16).
 * In each 128-value half h: value 32k + l (k = 0..3, l = 0..31) takes its low nibble from
 * ql[64h + l + 32(k&1)] (low nibble for k < 2, high for k >= 2) and its high bits from
 * (qh[32h + l] >> 2k) & 3; value = (d * scales[group]) * (q - 32).
 */
final class Q6_KDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 210;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o + 208);
            int ql = o;
            int qh = o + 128;
            int sc = o + 192;
            for (int n = 0; n < QK; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = src[qh + l] & 0xFF;
                    int lo0 = src[ql + l] & 0xFF;
                    int lo1 = src[ql + l + 32] & 0xFF;
                    int q1 = ((lo0 & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((lo1 & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((lo0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((lo1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    dst[y + n + l] = d * src[sc + is] * q1;
                    dst[y + n + l + 32] = d * src[sc + is + 2] * q2;
                    dst[y + n + l + 64] = d * src[sc + is + 4] * q3;
                    dst[y + n + l + 96] = d * src[sc + is + 6] * q4;
                }
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }
}
