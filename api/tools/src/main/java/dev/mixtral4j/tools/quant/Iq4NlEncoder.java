package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.LittleEndian;

/**
 * IQ4_NL: 32 values per 18-byte block: {@code d} (f16) then 16 bytes of nibbles laid out as in
 * Q4_0; value = d * K[q] with K GGML's non-linear table. Quantization: the scale search of
 * {@link Iq4Grid}, then every value takes the entry nearest to it at the f16-rounded scale.
 * Not byte-identical to GGML's quantizer (a different, unweighted search); the decoded values
 * are as close or closer in squared error on typical weights. NaN and infinities are refused;
 * huge finite values saturate at the largest f16 scale.
 */
final class Iq4NlEncoder implements BlockEncoder {

    static final int QK = 32;
    static final int BYTES = 18;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        Iq4Grid.requireFinite(GgmlType.IQ4_NL, src, srcOff, blocks * QK);
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float d = Iq4Grid.half(Iq4Grid.bestScale(src, x));
            LittleEndian.putHalf(dst, o, d);
            Iq4Grid.writeCodes(src, x, d, dst, o + 2);
        }
    }
}
