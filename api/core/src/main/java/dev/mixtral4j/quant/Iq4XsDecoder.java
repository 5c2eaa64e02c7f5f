package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/**
 * IQ4_XS (decode only): 256 values per 136-byte super-block of eight 32-value groups: {@code d}
 * (f16), {@code scales_h} (u16: bits 2g..2g+1 are the high bits of group g's scale),
 * {@code scales_l[4]} (nibble g%2 of byte g/2 holds the low bits), then 16 bytes of IQ4_NL-style
 * nibbles per group; value = (d * (scale_g - 32)) * kvalues_iq4nl[q].
 */
final class Iq4XsDecoder implements BlockDecoder {

    static final int QK = 256;
    static final int BYTES = 136;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    @Override
    public void decode(byte[] src, int srcOff, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++) {
            int o = srcOff + b * BYTES;
            int y = dstOff + b * QK;
            float d = LittleEndian.getHalf(src, o);
            int scalesH = LittleEndian.getShort(src, o + 2) & 0xFFFF;
            int qs = o + 8;
            for (int ib = 0; ib < 8; ib++) {
                int ls = (((src[o + 4 + ib / 2] & 0xFF) >>> (4 * (ib % 2))) & 0x0F) | (((scalesH >>> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; j++) {
                    int q = src[qs + j] & 0xFF;
                    dst[y + 32 * ib + j] = dl * Iq4NlDecoder.VALUES[q & 0x0F];
                    dst[y + 32 * ib + j + 16] = dl * Iq4NlDecoder.VALUES[q >>> 4];
                }
                qs += 16;
            }
        }
    }
}
