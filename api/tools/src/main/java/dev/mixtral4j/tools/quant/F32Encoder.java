package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import dev.mixtral4j.gguf.GgmlType;

/** Plain little-endian float32. */
final class F32Encoder implements BlockEncoder {

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        for (int i = 0; i < blocks; i++) {
            LittleEndian.putFloat(dst, dstOff + 4 * i, src[srcOff + i]);
        }
    }
}
