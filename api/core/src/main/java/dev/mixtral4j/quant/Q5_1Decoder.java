package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_1: 32 values per 24-byte block: {@code d}, {@code m} (f16 each), {@code qh} (32 bits, bit j =
 * fifth bit of value j), 16 bytes of low nibbles laid out as in Q4_0; value = q * d + m.
 * Quantization: m = min, d = (max - min) / 31, q = trunc((x - min) / d + 0.5) (no clamp, as GGML).
 */
final class Q5_1Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 24;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            float m = LittleEndian.getHalf(src, o + 2);
            int qh = LittleEndian.getInt(src, o + 4);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[o + 8 + j] & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[y + j] = ((q & 0x0F) | h0) * d + m;
                dst[y + j + QK / 2] = ((q >>> 4) | h1) * d + m;
            }
        }
    }
}
