package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/** bfloat16 (upper half of a float32), little-endian. */
final class Bf16Decoder implements BlockDecoder {

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOff + i] = HalfFloats.bf16ToF32(LittleEndian.getShort(src, srcOff + 2 * i));
        }
    }
}
