package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_0: 32 values per 34-byte block: {@code d} (f16) then 32 signed bytes; value = q * d.
 * Quantization: d = amax / 127, q = roundf(x / d) (ties away from zero), as GGML's reference.
 */
final class Q8_0Decoder implements BlockDecoder {

    static final int QK = 32;
    static final int BYTES = 34;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            for (int j = 0; j < QK; j++) {
                dst[y + j] = src[o + 2 + j] * d;
            }
        }
    }
}
