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


/** Super-blocks of 256: F16 d and dmin, 12 bytes of 6-bit scale/min pairs, 128 bytes of nibbles; value = d * scale * q - dmin * min, in sub-blocks of 32. */
public final class Q4_KKernel extends ChunkedKernel {

    public Q4_KKernel() {
        super(256, 144);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int j = e0 >> 6;
        int r = e0 & 63;
        int l0 = r & 31;
        int is = 2 * j + (r >> 5);
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 16 + 32 * j + l0, LE);
        ByteVector nib = r < 32 ? q.and((byte) 0xF) : q.lanewise(VectorOperators.LSHR, 4);
        long scales = block + 4;
        float d = half(src, block) * KScales.scale(src, scales, is);
        float m = half(src, block + 2) * KScales.min(src, scales, is);
        return toFloats(nib).fma(d, -m);
    }

    // Hand-scheduled 16-lane paths: scales decoded once per super-block; the minimum term is
    // carried as dmin*min*sum(x), so each value costs one conversion and one FMA.

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        // scalar scale work first, vector work second: C2 inlines the whole Vector API chain
        // only while a method stays small, and a call that returns a vector costs a box
        float[] sm = new float[16];
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long o = offset + 144L * b;
            float d = half(src, o);
            float dmin = -half(src, o + 2);
            KScales.decode(src, o + 4, d, dmin, sm);
            for (int j = 0; j < 4; j++) {
                long q = o + 16 + 32 * j;
                int xo = xOff + 256 * b + 64 * j;
                IntVector q0 = bytesToInts(src, q);
                IntVector q1 = bytesToInts(src, q + 16);
                FloatVector xl0 = FloatVector.fromArray(F, x, xo);
                FloatVector xl1 = FloatVector.fromArray(F, x, xo + 16);
                FloatVector xh0 = FloatVector.fromArray(F, x, xo + 32);
                FloatVector xh1 = FloatVector.fromArray(F, x, xo + 48);
                FloatVector lo = toFloats(q0.and(0xF)).fma(xl0, toFloats(q1.and(0xF)).mul(xl1));
                FloatVector hi = toFloats(q0.lanewise(VectorOperators.ASHR, 4).and(0xF))
                        .fma(xh0, toFloats(q1.lanewise(VectorOperators.ASHR, 4).and(0xF)).mul(xh1));
                acc = lo.fma(FloatVector.broadcast(F, sm[2 * j]), acc);
                acc = hi.fma(FloatVector.broadcast(F, sm[2 * j + 1]), acc);
                acc = xl0.add(xl1).fma(FloatVector.broadcast(F, sm[8 + 2 * j]), acc);
                acc = xh0.add(xh1).fma(FloatVector.broadcast(F, sm[9 + 2 * j]), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        for (int b = 0; b < n / 256; b++) {
            long o = offset + 144L * b;
            float d = half(src, o);
            float dmin = half(src, o + 2);
            for (int j = 0; j < 4; j++) {
                float d1 = d * KScales.scale(src, o + 4, 2 * j);
                float m1 = -dmin * KScales.min(src, o + 4, 2 * j);
                float d2 = d * KScales.scale(src, o + 4, 2 * j + 1);
                float m2 = -dmin * KScales.min(src, o + 4, 2 * j + 1);
                int y = dstOff + 256 * b + 64 * j;
                for (int l = 0; l < 32; l += 16) {
                    IntVector q = bytesToInts(src, o + 16 + 32 * j + l);
                    toFloats(q.and(0xF)).fma(d1, m1).intoArray(dst, y + l);
                    toFloats(q.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(d2, m2).intoArray(dst, y + 32 + l);
                }
            }
        }
    }
}
