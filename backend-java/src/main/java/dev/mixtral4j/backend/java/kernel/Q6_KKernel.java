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

    // Hand-scheduled 16-lane paths: each 16-lane run has one scale; the low and high parts of
    // four runs come from two nibble loads and one high-bits load, split on int lanes.

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        // scalar scale work first, vector work second (see Q4_KKernel#dot)
        float[] sc = new float[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long o = offset + 210L * b;
            float d = half(src, o + 208);
            for (int i = 0; i < 16; i++) {
                sc[i] = d * src.get(ValueLayout.JAVA_BYTE, o + 192 + i);
            }
            for (int r = 0; r < 4; r++) {
                int h = r >> 1;
                int l = (r & 1) << 4;
                IntVector ql0 = bytesToInts(src, o + 64 * h + l);
                IntVector ql1 = bytesToInts(src, o + 64 * h + 32 + l);
                IntVector qh = bytesToInts(src, o + 128 + 32 * h + l);
                int s0 = 8 * h + (l >> 4);
                int xo = xOff + 256 * b + 128 * h + l;
                FloatVector v1 = toFloats(ql0.and(0xF).or(qh.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32));
                FloatVector v2 = toFloats(ql1.and(0xF).or(qh.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32));
                FloatVector v3 = toFloats(ql0.lanewise(VectorOperators.ASHR, 4).and(0xF).or(qh.and(48)).sub(32));
                FloatVector v4 = toFloats(ql1.lanewise(VectorOperators.ASHR, 4).and(0xF)
                        .or(qh.lanewise(VectorOperators.ASHR, 2).and(48)).sub(32));
                acc0 = v1.mul(FloatVector.fromArray(F, x, xo)).fma(FloatVector.broadcast(F, sc[s0]), acc0);
                acc1 = v2.mul(FloatVector.fromArray(F, x, xo + 32)).fma(FloatVector.broadcast(F, sc[s0 + 2]), acc1);
                acc0 = v3.mul(FloatVector.fromArray(F, x, xo + 64)).fma(FloatVector.broadcast(F, sc[s0 + 4]), acc0);
                acc1 = v4.mul(FloatVector.fromArray(F, x, xo + 96)).fma(FloatVector.broadcast(F, sc[s0 + 6]), acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
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
