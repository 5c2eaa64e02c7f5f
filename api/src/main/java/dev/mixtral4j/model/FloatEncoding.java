package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Quantizes rows of random floats for {@link SyntheticModel}. Until the reference quantizers are
 * available every quantized tensor takes the random-block path instead.
 */
final class FloatEncoding {
    private FloatEncoding() {
    }

    static boolean canQuantize() {
        return false;
    }

    static void quantize(GgmlType type, float[] row, byte[] dst, int at) {
        throw new UnsupportedOperationException("no quantizer for " + type);
    }
}
