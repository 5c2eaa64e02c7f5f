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

/** Super-blocks of 256: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit values, F16 d and dmin; value = d * scale * q - dmin * min, in sub-blocks of 16. */
public final class Q2_KKernel extends ChunkedKernel {

    public Q2_KKernel() {
        super(256, 84);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int j = (e0 & 127) >> 5;
        int l0 = e0 & 31;
        int sc = src.get(ValueLayout.JAVA_BYTE, block + 8 * n + 2 * j + (l0 >> 4)) & 0xFF;
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 16 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * j).and((byte) 3);
        float d = half(src, block + 80) * (sc & 0xF);
        float m = half(src, block + 82) * (sc >> 4);
        return toFloats(q).fma(d, -m);
    }

    // Hand-scheduled 16-lane path: the 16 scale/min pairs of a super-block become two float
    // tables (d*scale, -dmin*min) by a few vector operations; one flat loop over runs of 64
    // values (two 2-bit planes of 32 bytes), values expanded as q * (d*scale) + (-dmin*min) on
    // zero-extended int lanes, four independent accumulators, conversions written out (C2
    // stops inlining the Vector API chain past a node budget, see Q4_KKernel#dot).
    /**
     * The super-block at {@code o} as two float tables: {@code sm[i] = d * scale(i)} and
     * {@code sm[16 + i] = -dmin * min(i)} for its 16 sub-blocks. A separate method on purpose:
     * it takes and returns no vector, so it costs one call per super-block even when C2 keeps it
     * out of line, and it keeps the callers' vector chains under the inlining budget.
     */
    private static void scaleTable(MemorySegment src, long o, float[] sm) {
        IntVector sc = (IntVector) ByteVector.fromMemorySegment(B, src, o, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
        ((FloatVector) sc.and(0xF).convertShape(VectorOperators.I2F, F, 0))
                .mul(Float.float16ToFloat(src.get(VectorSupport.HALF, o + 80))).intoArray(sm, 0);
        ((FloatVector) sc.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0))
                .mul(-Float.float16ToFloat(src.get(VectorSupport.HALF, o + 82))).intoArray(sm, 16);
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
            long o = offset + 84L * (g >> 2);
            if ((g & 3) == 0) {
                scaleTable(src, o, sm);
            }
            int h = (g >> 1) & 1;
            int j = 2 * (g & 1);
            long q = o + 16 + 32 * h;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            int is = 8 * h + 2 * j;
            int xj = xOff + 256 * (g >> 2) + 128 * h + 32 * j;
            acc0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is], sm[16 + is]).fma(FloatVector.fromArray(F, x, xj), acc0);
            acc1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 1], sm[17 + is]).fma(FloatVector.fromArray(F, x, xj + 16), acc1);
            acc2 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 2], sm[18 + is]).fma(FloatVector.fromArray(F, x, xj + 32), acc2);
            acc3 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 3], sm[19 + is]).fma(FloatVector.fromArray(F, x, xj + 48), acc3);
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

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
            long o = offset + 84L * (g >> 2);
            if ((g & 3) == 0) {
                scaleTable(src, o, sm);
            }
            int h = (g >> 1) & 1;
            int j = 2 * (g & 1);
            long q = o + 16 + 32 * h;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            int is = 8 * h + 2 * j;
            int y = dstOff + 256 * (g >> 2) + 128 * h + 32 * j;
            ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is], sm[16 + is]).intoArray(dst, y);
            ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 1], sm[17 + is]).intoArray(dst, y + 16);
            ((FloatVector) q0.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 2], sm[18 + is]).intoArray(dst, y + 32);
            ((FloatVector) q1.lanewise(VectorOperators.LSHR, 2 * j + 2).and(3).convertShape(VectorOperators.I2F, F, 0))
                    .fma(sm[is + 3], sm[19 + is]).intoArray(dst, y + 48);
        }
    }
}
