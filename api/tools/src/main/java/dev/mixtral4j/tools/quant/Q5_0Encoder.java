package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/**
 * Q5_0: 32 values per 22-byte block: {@code d} (f16), {@code qh} (32 bits, little-endian: bit j is
 * the fifth bit of value j), 16 bytes of low nibbles laid out as in Q4_0; value = (q - 16) * d.
 * Quantization: d = m / -16 (m = value of largest magnitude), q = min(31, trunc(x / d + 16.5)).
 */
final class Q5_0Encoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 22;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
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
            float d = max / -16f;
            float id = d != 0f ? 1f / d : 0f;
            LittleEndian.putHalf(dst, o, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(31, (byte) (int) (src[x + j] * id + 16.5f)) & 0xFF;
                int q1 = Math.min(31, (byte) (int) (src[x + QK / 2 + j] * id + 16.5f)) & 0xFF;
                dst[o + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
            }
            LittleEndian.putInt(dst, o + 2, qh);
        }
    }
}
