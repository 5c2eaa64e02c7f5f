package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * IQ4_NL (decode only): 32 values per 18-byte block: {@code d} (f16) then 16 bytes of nibbles laid
 * out as in Q4_0; each nibble indexes GGML's non-linear table {@link #VALUES}; value = d * VALUES[q].
 */
final class Iq4NlDecoder implements BlockDecoder {

    /** GGML's kvalues_iq4nl ({@link Iq4Table}). */
    static final int[] VALUES = Iq4Table.values();

    static final int QK = 32;
    static final int BYTES = 18;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[o + 2 + j] & 0xFF;
                dst[y + j] = d * VALUES[q & 0x0F];
                dst[y + j + QK / 2] = d * VALUES[q >>> 4];
            }
        }
    }
}
