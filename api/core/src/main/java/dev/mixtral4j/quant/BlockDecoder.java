package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * One GGML tensor type's block layout, decoded to floats. Implementations are stateless and
 * thread-safe. (The encoders, GGML's reference quantizers, live in the tools artifact.)
 */
interface BlockDecoder {

    GgmlType type();

    /** Decodes {@code blocks} consecutive blocks starting at {@code src[srcOff]}. */
    void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff);
}
