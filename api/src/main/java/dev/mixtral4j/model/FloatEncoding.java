package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Quantizer;

/**
 * Quantizes rows of random floats for {@link SyntheticModel} with the reference quantizers of
 * {@code dev.mixtral4j.quant}; types they do not cover take the random-block path instead.
 */
final class FloatEncoding {
    private FloatEncoding() {
    }

    static boolean canQuantize(GgmlType type) {
        return Quantizer.supports(type);
    }

    static void quantize(GgmlType type, float[] row, byte[] dst, int at) {
        byte[] q = Quantizer.quantize(type, row);
        System.arraycopy(q, 0, dst, at, q.length);
    }
}
