package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_0: 32 values per 34-byte block: {@code d} (f16) then 32 signed bytes; value = q * d.
 * Quantization: d = amax / 127, q = roundf(x / d) (ties away from zero), as GGML's reference.
 */
final class Q8_0Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 34;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float a = Math.abs(src[x + j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            LittleEndian.putHalf(dst, o, d);
            for (int j = 0; j < QK; j++) {
                dst[o + 2 + j] = (byte) (int) GgmlRounding.roundf(src[x + j] * id);
            }
        }
    }
}
