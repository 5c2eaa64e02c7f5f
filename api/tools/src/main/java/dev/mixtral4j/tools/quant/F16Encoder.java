package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.HalfFloats;

/** IEEE binary16, little-endian. */
final class F16Encoder implements BlockEncoder {

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int i = 0; i < blocks; i++) {
            LittleEndian.putShort(dst, dstOff + 2 * i, HalfFloats.f32ToF16(src[srcOff + i]));
        }
    }
}
