package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.B;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.bytesToInts;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.LE;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.half;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.toFloats;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;


/** Super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 signed 8-bit scales, F16 d; value = d * scale * (q - 32), in sub-blocks of 16. */
public final class Q6_KKernel extends ChunkedKernel {

    public Q6_KKernel() {
        super(256, 210);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int r = e0 & 127;
        int k = r >> 5;
        int l0 = r & 31;
        ByteVector ql = ByteVector.fromMemorySegment(B, src, block + 64 * n + 32 * (k & 1) + l0, LE);
        ByteVector nib = k < 2 ? ql.and((byte) 0xF) : ql.lanewise(VectorOperators.LSHR, 4);
        ByteVector qh = ByteVector.fromMemorySegment(B, src, block + 128 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        int sc = src.get(ValueLayout.JAVA_BYTE, block + 192 + 8 * n + (l0 >> 4) + 2 * k);
        return toFloats(nib.or(qh).sub((byte) 32)).mul(half(src, block + 208) * sc);
    }

    // Hand-scheduled 16-lane path. The bit work that assembles 6-bit values runs on 16-byte
    // vectors (128-bit operations cost half of 512-bit ones), byte shifts done as 16-bit shifts
    // whose spill-over into the neighbouring byte is masked off; only the finished signed
    // bytes are widened to floats. The 16 scales of a super-block (times d) are converted by
    // three vector operations into a table the broadcasts read. One flat loop over the 128-value
    // halves of the super-blocks (C2 unrolls the inner two-step loop; a nested loop over four
    // runs measured slower), four independent accumulators, conversions written out (see
    // Q4_KKernel#dot).

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        float[] sc = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        // one flat loop over the two 128-value halves of every super-block
        int halves = n / 128;
        for (int g = 0; g < halves; g++) {
            long o = offset + 210L * (g >> 1);
            int h = g & 1;
            if (h == 0) {
                ((FloatVector) ByteVector.fromMemorySegment(B16, src, o + 192, LE)
                        .convertShape(VectorOperators.B2F, F, 0))
                        .mul(Float.float16ToFloat(src.get(VectorSupport.HALF, o + 208))).intoArray(sc, 0);
            }
            long ql = o + 64 * h;
            long qh = o + 128 + 32 * h;
            int xo = xOff + 128 * g;
            for (int l = 0; l < 32; l += 16) {
                ByteVector ql0 = ByteVector.fromMemorySegment(B16, src, ql + l, LE);
                ByteVector ql1 = ByteVector.fromMemorySegment(B16, src, ql + 32 + l, LE);
                ByteVector hb = ByteVector.fromMemorySegment(B16, src, qh + l, LE);
                ByteVector v1 = ql0.and((byte) 0xF).or(shiftLeft(hb, 4).and((byte) 0x30)).sub((byte) 32);
                ByteVector v2 = ql1.and((byte) 0xF).or(shiftLeft(hb, 2).and((byte) 0x30)).sub((byte) 32);
                ByteVector v3 = shiftRight(ql0, 4).and((byte) 0xF).or(hb.and((byte) 0x30)).sub((byte) 32);
                ByteVector v4 = shiftRight(ql1, 4).and((byte) 0xF).or(shiftRight(hb, 2).and((byte) 0x30)).sub((byte) 32);
                int s0 = 8 * h + (l >> 4);
                acc0 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, 0)).mul(sc[s0])
                        .fma(FloatVector.fromArray(F, x, xo + l), acc0);
                acc1 = ((FloatVector) v2.convertShape(VectorOperators.B2F, F, 0)).mul(sc[s0 + 2])
                        .fma(FloatVector.fromArray(F, x, xo + l + 32), acc1);
                acc2 = ((FloatVector) v3.convertShape(VectorOperators.B2F, F, 0)).mul(sc[s0 + 4])
                        .fma(FloatVector.fromArray(F, x, xo + l + 64), acc2);
                acc3 = ((FloatVector) v4.convertShape(VectorOperators.B2F, F, 0)).mul(sc[s0 + 6])
                        .fma(FloatVector.fromArray(F, x, xo + l + 96), acc3);
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /** Each byte shifted left: a 16-bit shift, the bits it carries into the next byte left for the caller's mask. */
    private static ByteVector shiftLeft(ByteVector v, int bits) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHL, bits).reinterpretAsBytes();
    }

    private static ByteVector shiftRight(ByteVector v, int bits) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bits).reinterpretAsBytes();
    }

    // One method on purpose (see Q4_0Kernel#dot): ffn_down and the output of a Q4_K_M file are Q6_K.
    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        for (int b = 0; b < n / 256; b++) {
            long o = offset + 210L * b;
            float d = half(src, o + 208);
            for (int r = 0; r < 4; r++) {
                int h = r >> 1;
                int l = (r & 1) << 4;
                IntVector ql0 = bytesToInts(src, o + 64 * h + l);
                IntVector ql1 = bytesToInts(src, o + 64 * h + 32 + l);
                IntVector qh = bytesToInts(src, o + 128 + 32 * h + l);
                long sc = o + 192 + 8 * h + (l >> 4);
                int y = dstOff + 256 * b + 128 * h + l;
                toFloats(ql0.and(0xF).or(qh.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32))
                        .mul(d * src.get(ValueLayout.JAVA_BYTE, sc)).intoArray(dst, y);
                toFloats(ql1.and(0xF).or(qh.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32))
                        .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 2)).intoArray(dst, y + 32);
                toFloats(ql0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(qh.and(48)).sub(32))
                        .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 4)).intoArray(dst, y + 64);
                toFloats(ql1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(qh.lanewise(VectorOperators.ASHR, 2).and(48)).sub(32))
                        .mul(d * src.get(ValueLayout.JAVA_BYTE, sc + 6)).intoArray(dst, y + 96);
            }
        }
    }
}
