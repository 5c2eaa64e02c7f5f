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

/** Super-blocks of 256: F16 d and dmin, 12 bytes of 6-bit scale/min pairs, 32 bytes of high bits, 128 bytes of low nibbles; value = d * scale * q - dmin * min, in sub-blocks of 32. */
public final class Q5_KKernel extends ChunkedKernel {

    public Q5_KKernel() {
        super(256, 176);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int j = e0 >> 6;
        int r = e0 & 63;
        int l0 = r & 31;
        int is = 2 * j + (r >> 5);
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 48 + 32 * j + l0, LE);
        ByteVector nib = r < 32 ? q.and((byte) 0xF) : q.lanewise(VectorOperators.LSHR, 4);
        ByteVector hb = ByteVector.fromMemorySegment(B, src, block + 16 + l0, LE)
                .lanewise(VectorOperators.LSHR, is).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
        long scales = block + 4;
        float d = half(src, block) * KScales.scale(src, scales, is);
        float m = half(src, block + 2) * KScales.min(src, scales, is);
        return toFloats(nib.or(hb)).fma(d, -m);
    }

    // One method on purpose (see Q4_0Kernel#dot); Q4_K_M files store attn_output as Q5_K.
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        float[] sm = new float[16];
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long o = offset + 176L * b;
            float d = half(src, o);
            float dmin = -half(src, o + 2);
            for (int i = 0; i < 8; i++) {
                sm[i] = d * KScales.scale(src, o + 4, i);
                sm[8 + i] = dmin * KScales.min(src, o + 4, i);
            }
            IntVector qh0 = bytesToInts(src, o + 16);
            IntVector qh1 = bytesToInts(src, o + 32);
            for (int j = 0; j < 4; j++) {
                long q = o + 48 + 32 * j;
                int xo = xOff + 256 * b + 64 * j;
                IntVector q0 = bytesToInts(src, q);
                IntVector q1 = bytesToInts(src, q + 16);
                IntVector h0 = qh0.lanewise(VectorOperators.ASHR, 2 * j);
                IntVector h1 = qh1.lanewise(VectorOperators.ASHR, 2 * j);
                FloatVector xl0 = FloatVector.fromArray(F, x, xo);
                FloatVector xl1 = FloatVector.fromArray(F, x, xo + 16);
                FloatVector xh0 = FloatVector.fromArray(F, x, xo + 32);
                FloatVector xh1 = FloatVector.fromArray(F, x, xo + 48);
                FloatVector lo = toFloats(q0.and(0xF).or(h0.and(1).lanewise(VectorOperators.LSHL, 4)))
                        .fma(xl0, toFloats(q1.and(0xF).or(h1.and(1).lanewise(VectorOperators.LSHL, 4))).mul(xl1));
                FloatVector hi = toFloats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h0.and(2).lanewise(VectorOperators.LSHL, 3)))
                        .fma(xh0, toFloats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(h1.and(2).lanewise(VectorOperators.LSHL, 3))).mul(xh1));
                acc = lo.fma(FloatVector.broadcast(F, sm[2 * j]), acc);
                acc = hi.fma(FloatVector.broadcast(F, sm[2 * j + 1]), acc);
                acc = xl0.add(xl1).fma(FloatVector.broadcast(F, sm[8 + 2 * j]), acc);
                acc = xh0.add(xh1).fma(FloatVector.broadcast(F, sm[9 + 2 * j]), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
