package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * One GGML tensor type's block layout, encoded from floats with the same choices GGML's reference
 * quantizer makes. Implementations are stateless and thread-safe; scratch space lives on the stack
 * of each call. (Decoding is the api's {@link dev.mixtral4j.quant.Dequantizer}.)
 */
interface BlockEncoder {

    GgmlType type();

    /** Encodes {@code blocks * blockSize} floats into consecutive blocks starting at {@code dst[dstOff]}. */
    void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff);
}
