package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.B;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.I;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.LE;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.half;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Super-blocks of 256 in eight groups of 32: F16 d, u16 {@code scales_h} (bits 2g, 2g+1: high bits of
 * group g's 6-bit scale), 4 bytes {@code scales_l} (nibble g%2 of byte g/2: low bits), then 16 bytes of
 * IQ4_NL nibbles per group; value = d * (scale_g - 32) * table[q].
 */
public final class IQ4_XSKernel extends ChunkedKernel {

    public IQ4_XSKernel() {
        super(256, 136);
    }

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    /** d * (scale of group g - 32). */
    static float groupScale(MemorySegment src, long block, int g) {
        int low = ((src.get(ValueLayout.JAVA_BYTE, block + 4 + (g >> 1)) & 0xFF) >>> (4 * (g & 1))) & 0xF;
        int high = ((src.get(VectorSupport.HALF, block + 2) & 0xFFFF) >>> (2 * g)) & 3;
        return half(src, block) * ((low | (high << 4)) - 32);
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int g = e0 >> 5;
        return IQ4_NLKernel.lookup(src, block + 8 + 16L * g, e0 & 31, groupScale(src, block, g));
    }

    // One flat loop over the 32-value groups (eight per super-block), as in Q4_KKernel: a nested loop
    // costs C2's loop bookkeeping per super-block; the scale is a few scalar operations per group.
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        IntVector table = IQ4_NLKernel.TABLE;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int groups = n / 32;
        for (int gi = 0; gi < groups; gi++) {
            int g = gi & 7;
            long o = offset + 136L * (gi >> 3);
            int xo = xOff + 32 * gi;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, src, o + 8 + 16 * g, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector lo = (FloatVector) q.and(0xF).selectFrom(table).convertShape(VectorOperators.I2F, F, 0);
            FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).selectFrom(table)
                    .convertShape(VectorOperators.I2F, F, 0);
            FloatVector s = lo.fma(FloatVector.fromArray(F, x, xo), hi.mul(FloatVector.fromArray(F, x, xo + 16)));
            FloatVector d = FloatVector.broadcast(F, groupScale(src, o, g));
            if ((gi & 1) == 0) {
                acc0 = s.fma(d, acc0);
            } else {
                acc1 = s.fma(d, acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        IntVector table = IQ4_NLKernel.TABLE;
        int groups = n / 32;
        for (int gi = 0; gi < groups; gi++) {
            int g = gi & 7;
            long o = offset + 136L * (gi >> 3);
            FloatVector d = FloatVector.broadcast(F, groupScale(src, o, g));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, src, o + 8 + 16 * g, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) q.and(0xF).selectFrom(table).convertShape(VectorOperators.I2F, F, 0)).mul(d)
                    .intoArray(dst, dstOff + 32 * gi);
            ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).convertShape(VectorOperators.I2F, F, 0))
                    .mul(d).intoArray(dst, dstOff + 32 * gi + 16);
        }
    }
}
