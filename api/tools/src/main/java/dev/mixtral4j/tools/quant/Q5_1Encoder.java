package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_1: 32 values per 24-byte block: {@code d}, {@code m} (f16 each), {@code qh} (32 bits, bit j =
 * fifth bit of value j), 16 bytes of low nibbles laid out as in Q4_0; value = q * d + m.
 * Quantization: m = min, d = (max - min) / 31, q = trunc((x - min) / d + 0.5) (no clamp, as GGML).
 */
final class Q5_1Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 24;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
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
            float d = (max - min) / 31f;
            float id = d != 0f ? 1f / d : 0f;
            LittleEndian.putHalf(dst, o, d);
            LittleEndian.putHalf(dst, o + 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = ((int) ((src[x + j] - min) * id + 0.5f)) & 0xFF;
                int q1 = ((int) ((src[x + QK / 2 + j] - min) * id + 0.5f)) & 0xFF;
                dst[o + 8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
            }
            LittleEndian.putInt(dst, o + 4, qh);
        }
    }
}
