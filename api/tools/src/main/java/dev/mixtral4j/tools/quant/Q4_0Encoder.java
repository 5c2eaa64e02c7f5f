package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_0: 32 values per 18-byte block: {@code d} (f16) then 16 bytes of nibbles; byte j holds value
 * j in its low nibble and value j + 16 in its high nibble; value = (q - 8) * d.
 * Quantization: d = m / -8 where m is the value of largest magnitude (sign kept), q = min(15,
 * trunc(x / d + 8.5)).
 */
final class Q4_0Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 18;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            LittleEndian.putHalf(dst, o, d);
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(15, (byte) (int) (src[x + j] * id + 8.5f));
                int q1 = Math.min(15, (byte) (int) (src[x + QK / 2 + j] * id + 8.5f));
                dst[o + 2 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
        }
    }
}
