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

    // Hand-scheduled 16-lane path, Q4_KKernel#dot's scheme (vector scale table, one flat loop
    // over runs of 64 values, values expanded as q * (d*scale) + (-dmin*min), four independent
    // accumulators, conversions written out) plus the fifth bits: bit 2j and 2j+1 of the 32
    // high-bit bytes belong to sub-blocks 2j and 2j+1, merged on zero-extended int lanes.
    // Q4_K_M files store attn_output as Q5_K.
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
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            int j = g & 3;
            long o = offset + 176L * (g >> 2);
            if (j == 0) {
                KScales.decodeWide(src, o + 4, half(src, o), -half(src, o + 2), sm, 0);
            }
            long q = o + 48 + 32 * j;
            int xj = xOff + 64 * g;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHR, 2 * j);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 32, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHR, 2 * j);
            FloatVector dl = FloatVector.broadcast(F, sm[2 * j]);
            FloatVector ml = FloatVector.broadcast(F, sm[8 + 2 * j]);
            FloatVector dh = FloatVector.broadcast(F, sm[2 * j + 1]);
            FloatVector mh = FloatVector.broadcast(F, sm[9 + 2 * j]);
            IntVector l0 = q0.and(0xF).or(h0.lanewise(VectorOperators.LSHL, 4).and(0x10));
            IntVector l1 = q1.and(0xF).or(h1.lanewise(VectorOperators.LSHL, 4).and(0x10));
            IntVector u0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHL, 3).and(0x10));
            IntVector u1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHL, 3).and(0x10));
            acc0 = ((FloatVector) l0.convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, xj), acc0);
            acc1 = ((FloatVector) l1.convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, xj + 16), acc1);
            acc2 = ((FloatVector) u0.convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).fma(FloatVector.fromArray(F, x, xj + 32), acc2);
            acc3 = ((FloatVector) u1.convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).fma(FloatVector.fromArray(F, x, xj + 48), acc3);
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
        float[] sm = new float[16];
        int groups = n / 64;
        for (int g = 0; g < groups; g++) {
            int j = g & 3;
            long o = offset + 176L * (g >> 2);
            if (j == 0) {
                KScales.decodeWide(src, o + 4, half(src, o), -half(src, o + 2), sm, 0);
            }
            long q = o + 48 + 32 * j;
            int y = dstOff + 64 * g;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, src, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, src, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0);
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHR, 2 * j);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(B, src, o + 32, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, VectorSupport.I, 0)).lanewise(VectorOperators.LSHR, 2 * j);
            FloatVector dl = FloatVector.broadcast(F, sm[2 * j]);
            FloatVector ml = FloatVector.broadcast(F, sm[8 + 2 * j]);
            FloatVector dh = FloatVector.broadcast(F, sm[2 * j + 1]);
            FloatVector mh = FloatVector.broadcast(F, sm[9 + 2 * j]);
            IntVector l0 = q0.and(0xF).or(h0.lanewise(VectorOperators.LSHL, 4).and(0x10));
            IntVector l1 = q1.and(0xF).or(h1.lanewise(VectorOperators.LSHL, 4).and(0x10));
            IntVector u0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHL, 3).and(0x10));
            IntVector u1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHL, 3).and(0x10));
            ((FloatVector) l0.convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).intoArray(dst, y);
            ((FloatVector) l1.convertShape(VectorOperators.I2F, F, 0)).fma(dl, ml).intoArray(dst, y + 16);
            ((FloatVector) u0.convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).intoArray(dst, y + 32);
            ((FloatVector) u1.convertShape(VectorOperators.I2F, F, 0)).fma(dh, mh).intoArray(dst, y + 48);
        }
    }
}
