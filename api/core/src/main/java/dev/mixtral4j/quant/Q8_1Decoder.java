package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_1: 32 values per 36-byte block: {@code d} (f16), {@code s} = d * sum(q) (f16), 32 signed
 * bytes; value = q * d. GGML uses it only as the activation side of dot products and has no
 * dequantizer for it; decoding here simply applies the layout.
 */
final class Q8_1Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 36;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_1;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            for (int j = 0; j < QK; j++) {
                dst[y + j] = src[o + 4 + j] * d;
            }
        }
    }
}
