package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_1: 32 values per 20-byte block: {@code d}, {@code m} (f16 each), 16 bytes of nibbles laid out
 * as in Q4_0; value = q * d + m. Quantization: m = min, d = (max - min) / 15,
 * q = min(15, trunc((x - min) / d + 0.5)).
 */
final class Q4_1Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 20;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            float m = LittleEndian.getHalf(src, o + 2);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[o + 4 + j] & 0xFF;
                dst[y + j] = (q & 0x0F) * d + m;
                dst[y + j + QK / 2] = (q >>> 4) * d + m;
            }
        }
    }
}
