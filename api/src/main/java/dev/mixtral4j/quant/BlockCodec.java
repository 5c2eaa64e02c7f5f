package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * One GGML tensor type's block layout: decodes whole blocks to floats and, where GGML has a
 * reference quantizer, encodes floats to blocks with the same choices GGML makes. Implementations
 * are stateless and thread-safe; scratch space lives on the stack of each call.
 */
interface BlockCodec {

    GgmlType type();

    /** Decodes {@code blocks} consecutive blocks starting at {@code src[srcOff]}. */
    void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff);

    /** False for decode-only types (GGML's reference quantizer is not reproduced here). */
    default boolean canEncode() {
        return true;
    }

    /** Encodes {@code blocks * blockSize} floats into consecutive blocks starting at {@code dst[dstOff]}. */
    void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff);
}
