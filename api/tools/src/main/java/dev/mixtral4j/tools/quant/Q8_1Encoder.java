package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_1: 32 values per 36-byte block: {@code d} (f16), {@code s} = d * sum(q) (f16), 32 signed
 * bytes; value = q * d. GGML uses it only as the activation side of dot products and has no
 * dequantizer for it; decoding here simply applies the layout.
 */
final class Q8_1Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 36;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_1;
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
            int sum = 0;
            for (int j = 0; j < QK; j++) {
                byte q = (byte) (int) GgmlRounding.roundf(src[x + j] * id);
                dst[o + 4 + j] = q;
                sum += q;
            }
            LittleEndian.putHalf(dst, o + 2, sum * d);
        }
    }
}
