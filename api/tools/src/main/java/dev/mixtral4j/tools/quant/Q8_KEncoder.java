package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_K, the activation format of GGML's K-quant dot products: 256 values per 292-byte block:
 * {@code d} (float32), {@code qs[256]} (int8), {@code bsums[16]} (int16 sums of each 16 codes);
 * value = d * q. Quantization: d = -m / 127 for the value m of largest magnitude,
 * q = min(127, nearest_int(x / d)) (ties to even).
 */
final class Q8_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 292;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_K;
    }

    /**
     * For an all-zero block GGML writes d = 0 and zero codes but leaves {@code bsums} untouched
     * (whatever the buffer held); here they are written as 0, the only consistent value.
     */
    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float max = 0f;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float ax = Math.abs(src[x + j]);
                if (ax > amax) {
                    amax = ax;
                    max = src[x + j];
                }
            }
            if (amax == 0f) {
                java.util.Arrays.fill(dst, o, o + BYTES, (byte) 0);
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < QK; j++) {
                dst[o + 4 + j] = (byte) Math.min(127, nearestInt(iscale * src[x + j]));
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    sum += dst[o + 4 + 16 * j + ii];
                }
                LittleEndian.putShort(dst, o + 260 + 2 * j, (short) sum);
            }
            LittleEndian.putFloat(dst, o, 1f / iscale);
        }
    }
}
