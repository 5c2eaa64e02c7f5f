package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/** IEEE binary16, little-endian. */
final class F16Decoder implements BlockDecoder {

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOff + i] = HalfFloats.f16ToF32(LittleEndian.getShort(src, srcOff + 2 * i));
        }
    }
}
