package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_0: 32 values per 18-byte block: {@code d} (f16) then 16 bytes of nibbles; byte j holds value
 * j in its low nibble and value j + 16 in its high nibble; value = (q - 8) * d.
 * Quantization: d = m / -8 where m is the value of largest magnitude (sign kept), q = min(15,
 * trunc(x / d + 8.5)).
 */
final class Q4_0Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 18;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[o + 2 + j] & 0xFF;
                dst[y + j] = ((q & 0x0F) - 8) * d;
                dst[y + j + QK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }
}
