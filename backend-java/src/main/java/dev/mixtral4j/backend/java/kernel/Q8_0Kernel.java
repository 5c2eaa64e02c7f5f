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


/** Blocks of 32: an F16 scale d and 32 signed bytes; value = d * q. */
public final class Q8_0Kernel extends ChunkedKernel {

    public Q8_0Kernel() {
        super(32, 34);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        return VectorSupport.bytesToFloats(src, block + 2 + c * L).mul(half(src, block));
    }

    // Hand-scheduled 16-lane paths: one scale read per block, two accumulators.

    // One method on purpose (see Q4_0Kernel#dot).
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b++) {
            long o = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector q0 = VectorSupport.bytesToFloats(src, o + 2);
            FloatVector q1 = VectorSupport.bytesToFloats(src, o + 18);
            FloatVector s = q0.fma(FloatVector.fromArray(F, x, xo), q1.mul(FloatVector.fromArray(F, x, xo + 16)));
            FloatVector d = FloatVector.broadcast(F, half(src, o));
            if ((b & 1) == 0) {
                acc0 = s.fma(d, acc0);
            } else {
                acc1 = s.fma(d, acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** {@link #dot} for two inputs, each block widened once; per input the same operations as {@link #dot}. */
    @Override
    public void dot2(MemorySegment src, long offset, float[] x, int xOff0, int xOff1, int n, float[] out, int out0,
                     int out1) {
        if (!WIDE) {
            super.dot2(src, offset, x, xOff0, xOff1, n, out, out0, out1);
            return;
        }
        checkBlocks(n);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b++) {
            long o = offset + 34L * b;
            FloatVector q0 = VectorSupport.bytesToFloats(src, o + 2);
            FloatVector q1 = VectorSupport.bytesToFloats(src, o + 18);
            int xa = xOff0 + 32 * b;
            int xb = xOff1 + 32 * b;
            FloatVector sa = q0.fma(FloatVector.fromArray(F, x, xa), q1.mul(FloatVector.fromArray(F, x, xa + 16)));
            FloatVector sb = q0.fma(FloatVector.fromArray(F, x, xb), q1.mul(FloatVector.fromArray(F, x, xb + 16)));
            FloatVector d = FloatVector.broadcast(F, half(src, o));
            if ((b & 1) == 0) {
                a0 = sa.fma(d, a0);
                b0 = sb.fma(d, b0);
            } else {
                a1 = sa.fma(d, a1);
                b1 = sb.fma(d, b1);
            }
        }
        out[out0] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        out[out1] = b0.add(b1).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        for (int b = 0; b < n / 32; b++) {
            long o = offset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, half(src, o));
            VectorSupport.bytesToFloats(src, o + 2).mul(d).intoArray(dst, dstOff + 32 * b);
            VectorSupport.bytesToFloats(src, o + 18).mul(d).intoArray(dst, dstOff + 32 * b + 16);
        }
    }
}
