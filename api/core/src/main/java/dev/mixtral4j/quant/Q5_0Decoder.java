package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_0: 32 values per 22-byte block: {@code d} (f16), {@code qh} (32 bits, little-endian: bit j is
 * the fifth bit of value j), 16 bytes of low nibbles laid out as in Q4_0; value = (q - 16) * d.
 * Quantization: d = m / -16 (m = value of largest magnitude), q = min(31, trunc(x / d + 16.5)).
 */
final class Q5_0Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 22;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            int qh = LittleEndian.getInt(src, o + 2);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[o + 6 + j] & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[y + j] = (((q & 0x0F) | h0) - 16) * d;
                dst[y + j + QK / 2] = (((q >>> 4) | h1) - 16) * d;
            }
        }
    }
}
