package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/** Plain little-endian float32. */
final class F32Decoder implements BlockDecoder {

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOff + i] = LittleEndian.getFloat(src, srcOff + 4 * i);
        }
    }
}
