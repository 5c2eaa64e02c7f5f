package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.B;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
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
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Super-blocks of 256: 32 bytes of high bits, 64 bytes of 2-bit values, 12 bytes of 6-bit signed scales, F16 d; value = d * (scale - 32) * (q - 4 if the high bit is clear), in sub-blocks of 16. */
public final class Q3_KKernel extends ChunkedKernel {

    public Q3_KKernel() {
        super(256, 110);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int j = (e0 & 127) >> 5;
        int l0 = e0 & 31;
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 32 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * j).and((byte) 3);
        ByteVector hm = ByteVector.fromMemorySegment(B, src, block + l0, LE)
                .lanewise(VectorOperators.LSHR, 4 * n + j).and((byte) 1).lanewise(VectorOperators.LSHL, 2);
        ByteVector v = q.add(hm).sub((byte) 4);
        float d = half(src, block + 108) * scale(src, block + 96, 8 * n + 2 * j + (l0 >> 4));
        return toFloats(v).mul(d);
    }

    /** The is-th 6-bit scale minus 32: low 4 bits from bytes 0-7, high 2 bits from bytes 8-11. */
    static int scale(MemorySegment src, long scales, int is) {
        int low = src.get(ValueLayout.JAVA_BYTE, scales + (is & 7)) & 0xFF;
        low = is < 8 ? low & 0xF : low >> 4;
        int high = (src.get(ValueLayout.JAVA_BYTE, scales + 8 + (is & 3)) & 0xFF) >> (2 * (is >> 2)) & 3;
        return (low | high << 4) - 32;
    }

    // Hand-scheduled 16-lane path, Q2_KKernel#dot's scheme: the 16 signed 6-bit scales of a
    // super-block are decoded by a dozen vector operations into a table of d*(scale-32) and
    // -4*d*(scale-32); a value is (q | hbit << 2) * D + M, so "subtract 4 unless the high bit
    // is set" costs nothing per value.
    /**
     * The super-block at {@code o} as two float tables: {@code sm[i] = d * (scale(i) - 32)} and
     * {@code sm[16 + i] = -4 * sm[i]} (the offset of the 3-bit values) for its 16 sub-blocks. A
     * separate method on purpose: it takes and returns no vector, so it costs one call per
     * super-block even when C2 keeps it out of line, and it keeps the callers' vector chains
     * under the inlining budget.
     */
    private static void scaleTable(MemorySegment src, long o, float[] sm) {
        // bytes 94..109: the 12 scale bytes (96..107) sit in lanes 2..13, all inside the block
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B, src, o + 94, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
        IntVector sc = b.rearrange(SCALE_LOW).lanewise(VectorOperators.LSHR, SCALE_LOW_SHIFT).and(0xF)
                .or(b.rearrange(SCALE_HIGH).lanewise(VectorOperators.LSHR, SCALE_HIGH_SHIFT).and(3)
                        .lanewise(VectorOperators.LSHL, 4))
                .sub(32);
        FloatVector d = ((FloatVector) sc.convertShape(VectorOperators.I2F, F, 0))
                .mul(Float.float16ToFloat(src.get(VectorSupport.HALF, o + 108)));
        d.intoArray(sm, 0);
        d.mul(-4f).intoArray(sm, 16);
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        float[] sm = new float[32];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            long o = offset + 110L * (g >> 2);
            if ((g & 3) == 0) {
                scaleTable(src, o, sm);
            }
            int h = (g >> 1) & 1;
            int j = 2 * (g & 1);
            long q = o + 32 + 32 * h;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            // high-mask bit 4h+j of byte l, moved to bit 2 of the lane
            int hs = 4 * h + j;
            IntVector m0 = ((IntVector) ByteVector.fromMemorySegment(B, src, o, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHL, 2);
            IntVector m1 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHL, 2);
            int is = 8 * h + 2 * j;
            int xj = xOff + 256 * (g >> 2) + 128 * h + 32 * j;
            acc0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j).and(3)
                    .or(m0.lanewise(VectorOperators.LSHR, hs).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is], sm[16 + is]).fma(FloatVector.fromArray(F, x, xj), acc0);
            acc1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j).and(3)
                    .or(m1.lanewise(VectorOperators.LSHR, hs).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 1], sm[17 + is]).fma(FloatVector.fromArray(F, x, xj + 16), acc1);
            acc2 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3)
                    .or(m0.lanewise(VectorOperators.LSHR, hs + 1).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 2], sm[18 + is]).fma(FloatVector.fromArray(F, x, xj + 32), acc2);
            acc3 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3)
                    .or(m1.lanewise(VectorOperators.LSHR, hs + 1).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 3], sm[19 + is]).fma(FloatVector.fromArray(F, x, xj + 48), acc3);
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    // Scale is: low 4 bits from byte is&7 (low nibble for is<8, high for is>=8), high 2 bits
    // from byte 8+(is&3) at bit 2*(is>>2); lanes of the vector loaded from 2 bytes before the table.
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorShuffle<Integer> SCALE_LOW =
            VectorShuffle.fromValues(I16, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9);
    private static final IntVector SCALE_LOW_SHIFT =
            IntVector.fromArray(I16, new int[] {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4}, 0);
    private static final VectorShuffle<Integer> SCALE_HIGH =
            VectorShuffle.fromValues(I16, 10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12, 13);
    private static final IntVector SCALE_HIGH_SHIFT =
            IntVector.fromArray(I16, new int[] {0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6}, 0);

    // The decode path's scheme, storing each expanded run instead of multiplying it in.
    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        float[] sm = new float[32];
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            long o = offset + 110L * (g >> 2);
            if ((g & 3) == 0) {
                scaleTable(src, o, sm);
            }
            int h = (g >> 1) & 1;
            int j = 2 * (g & 1);
            long q = o + 32 + 32 * h;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            // high-mask bit 4h+j of byte l, moved to bit 2 of the lane
            int hs = 4 * h + j;
            IntVector m0 = ((IntVector) ByteVector.fromMemorySegment(B, src, o, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHL, 2);
            IntVector m1 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHL, 2);
            int is = 8 * h + 2 * j;
            int y = dstOff + 256 * (g >> 2) + 128 * h + 32 * j;
            ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j).and(3)
                    .or(m0.lanewise(VectorOperators.LSHR, hs).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is], sm[16 + is]).intoArray(dst, y);
            ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j).and(3)
                    .or(m1.lanewise(VectorOperators.LSHR, hs).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 1], sm[17 + is]).intoArray(dst, y + 16);
            ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3)
                    .or(m0.lanewise(VectorOperators.LSHR, hs + 1).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 2], sm[18 + is]).intoArray(dst, y + 32);
            ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3)
                    .or(m1.lanewise(VectorOperators.LSHR, hs + 1).and(4)).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 3], sm[19 + is]).intoArray(dst, y + 48);
        }
    }
}
