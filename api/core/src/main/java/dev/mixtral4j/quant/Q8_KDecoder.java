package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q8_K, the activation format of GGML's K-quant dot products: 256 values per 292-byte block:
 * {@code d} (float32), {@code qs[256]} (int8), {@code bsums[16]} (int16 sums of each 16 codes);
 * value = d * q. Quantization: d = -m / 127 for the value m of largest magnitude,
 * q = min(127, nearest_int(x / d)) (ties to even).
 */
final class Q8_KDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 292;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_K;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getFloat(src, o);
            for (int j = 0; j < QK; j++) {
                dst[y + j] = d * src[o + 4 + j];
            }
        }
    }
}
