package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q4_1: 32 values per 20-byte block: {@code d}, {@code m} (f16 each), 16 bytes of nibbles laid out
 * as in Q4_0; value = q * d + m. Quantization: m = min, d = (max - min) / 15,
 * q = min(15, trunc((x - min) / d + 0.5)).
 */
final class Q4_1Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 20;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / 15f;
            float id = d != 0f ? 1f / d : 0f;
            LittleEndian.putHalf(dst, o, d);
            LittleEndian.putHalf(dst, o + 2, min);
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(15, (byte) (int) ((src[x + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (byte) (int) ((src[x + QK / 2 + j] - min) * id + 0.5f));
                dst[o + 4 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
        }
    }
}
