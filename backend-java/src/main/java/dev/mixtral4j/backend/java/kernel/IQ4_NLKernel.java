package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.B;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.I;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.LE;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.half;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Iq4Table;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Blocks of 32: an F16 scale d and 16 bytes of nibbles laid out as in Q4_0 (low nibbles are values
 * 0-15, high 16-31); each nibble indexes ggml's non-linear table; value = d * table[q].
 *
 * <p>On 16-lane vectors the table is one int vector and a nibble vector selects from it
 * ({@code vpermd}): per 16 values one mask or shift, one permute, one conversion, one FMA.
 */
public final class IQ4_NLKernel extends ChunkedKernel {
    /** ggml's kvalues_iq4nl. */
    static final int[] VALUES = Iq4Table.values();
    static final float[] FLOAT_VALUES = new float[16];
    /** The table as a vector, where a vector holds all 16 entries (AVX-512). */
    static final IntVector TABLE = WIDE ? IntVector.fromArray(I, VALUES, 0) : null;

    static {
        for (int i = 0; i < 16; i++) {
            FLOAT_VALUES[i] = VALUES[i];
        }
    }

    public IQ4_NLKernel() {
        super(32, 18);
    }

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        return lookup(src, block + 2, c * L, half(src, block));
    }

    /**
     * Values {@code e0 .. e0+L-1} of the 32-value nibble group at {@code qs}, times {@code d}: the any-width
     * path, a scalar table lookup (the hand-scheduled paths below do it with one permute).
     */
    static FloatVector lookup(MemorySegment src, long qs, int e0, float d) {
        float[] v = new float[L];
        for (int i = 0; i < L; i++) {
            int e = e0 + i;
            int q = src.get(ValueLayout.JAVA_BYTE, qs + (e & 15)) & 0xFF;
            v[i] = FLOAT_VALUES[e < 16 ? q & 0xF : q >>> 4] * d;
        }
        return FloatVector.fromArray(F, v, 0);
    }

    // One method on purpose (see Q4_0Kernel#dot).
    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        if (!WIDE) {
            return chunkedDot(src, offset, x, xOff, n);
        }
        checkBlocks(n);
        IntVector table = TABLE;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b++) {
            long o = offset + 18L * b;
            int xo = xOff + 32 * b;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, src, o + 2, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector lo = (FloatVector) q.and(0xF).selectFrom(table).convertShape(VectorOperators.I2F, F, 0);
            FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).selectFrom(table)
                    .convertShape(VectorOperators.I2F, F, 0);
            FloatVector s = lo.fma(FloatVector.fromArray(F, x, xo), hi.mul(FloatVector.fromArray(F, x, xo + 16)));
            FloatVector d = FloatVector.broadcast(F, half(src, o));
            if ((b & 1) == 0) {
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
        IntVector table = TABLE;
        for (int b = 0; b < n / 32; b++) {
            long o = offset + 18L * b;
            FloatVector d = FloatVector.broadcast(F, half(src, o));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, src, o + 2, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) q.and(0xF).selectFrom(table).convertShape(VectorOperators.I2F, F, 0)).mul(d)
                    .intoArray(dst, dstOff + 32 * b);
            ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).selectFrom(table).convertShape(VectorOperators.I2F, F, 0))
                    .mul(d).intoArray(dst, dstOff + 32 * b + 16);
        }
    }
}
