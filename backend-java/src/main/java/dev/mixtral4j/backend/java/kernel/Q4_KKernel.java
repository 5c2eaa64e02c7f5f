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

    // Hand-scheduled 16-lane path. The scales of a super-block are decoded by a dozen vector
    // operations into a small table (broadcasts then read it from memory); each 16-value run is
    // expanded as q * (d*scale) + (-dmin*min) and multiplied into one of four independent
    // accumulators, so no FMA waits on the previous one. Bytes are zero-extended, so the high
    // nibble is a single shift. The conversions are written out instead of calling
    // VectorSupport.toFloats: C2 stops inlining past a node budget, and a vector-returning call
    // left out-of-line costs a box per call (measured: 2.3 instead of ~9 GMAC/s).

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        float[] sm = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        // one flat loop over runs of 64 values (a super-block holds four): a nested 4-step loop
        // costs C2's loop bookkeeping once per super-block
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            int j = g & 3;
            long o = offset + 144L * (g >> 2);
            if (j == 0) {
                KScales.decodeWide(src, o + 4, half(src, o), -half(src, o + 2), sm, 0);
            }
            long q = o + 16 + 32 * j;
            int xj = xOff + 64 * g;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            FloatVector dl = FloatVector.broadcast(F, sm[2 * j]);
            FloatVector ml = FloatVector.broadcast(F, sm[8 + 2 * j]);
            FloatVector dh = FloatVector.broadcast(F, sm[2 * j + 1]);
            FloatVector mh = FloatVector.broadcast(F, sm[9 + 2 * j]);
            acc0 = ((FloatVector) q0.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, xj), acc0);
            acc1 = ((FloatVector) q1.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, xj + 16), acc1);
            acc2 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).fma(FloatVector.fromArray(F, x, xj + 32), acc2);
            acc3 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).fma(FloatVector.fromArray(F, x, xj + 48), acc3);
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (!WIDE) {
            chunkedDequantize(src, offset, dst, dstOff, n);
            return;
        }
        checkBlocks(n);
        float[] sm = new float[16];
        // one flat loop over runs of 64 values (a super-block holds four): a nested 4-step loop
        // costs C2's loop bookkeeping once per super-block
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            int j = g & 3;
            long o = offset + 144L * (g >> 2);
            if (j == 0) {
                KScales.decodeWide(src, o + 4, half(src, o), -half(src, o + 2), sm, 0);
            }
            long q = o + 16 + 32 * j;
            int y = dstOff + 64 * g;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            FloatVector dl = FloatVector.broadcast(F, sm[2 * j]);
            FloatVector ml = FloatVector.broadcast(F, sm[8 + 2 * j]);
            FloatVector dh = FloatVector.broadcast(F, sm[2 * j + 1]);
            FloatVector mh = FloatVector.broadcast(F, sm[9 + 2 * j]);
            ((FloatVector) q0.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).intoArray(dst, y);
            ((FloatVector) q1.and(0xF).convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).intoArray(dst, y + 16);
            ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).intoArray(dst, y + 32);
            ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).intoArray(dst, y + 48);
        }
    }
}
