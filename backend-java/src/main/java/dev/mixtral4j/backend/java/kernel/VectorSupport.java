package dev.mixtral4j.backend.java.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel shares: {@link #F} is the widest float species this CPU runs
 * natively (16 lanes with AVX-512, 8 with AVX2), and the byte/short/int species hold exactly as
 * many lanes, so a lane-preserving cast turns quantized bytes into floats in one step.
 */
public final class VectorSupport {
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    public static final int L = F.length();
    public static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    public static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** 2^112: rescales a half's exponent bias (15) to a float's (127), subnormals included. */
    private static final float HALF_EXP_ADJUST = 0x1p112f;

    private VectorSupport() {
    }

    /** The IEEE half at {@code offset}, widened. */
    static float half(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(HALF, offset));
    }

    /** L bytes at {@code offset}, each widened to a float lane (signed). */
    static FloatVector bytesToFloats(MemorySegment s, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, s, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /** L bytes at {@code offset}, each sign-extended to an int lane (nibble and bit work is native on ints). */
    static IntVector bytesToInts(MemorySegment s, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(B, s, offset, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    static FloatVector toFloats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    /** Byte lanes widened to float lanes (signed). */
    static FloatVector toFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * L IEEE halves at {@code offset} widened to floats. The Vector API has no half conversion, so
     * the bits are moved into a float's exponent/mantissa position and rescaled by 2^112, which
     * is exact for normal and subnormal halves (infinities and NaNs are not expected in weights).
     */
    public static FloatVector halvesToFloats(MemorySegment s, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector bits = h.and(0x8000).lanewise(VectorOperators.LSHL, 16)
                .or(h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13));
        return ((FloatVector) bits.reinterpretAsFloats()).mul(HALF_EXP_ADJUST);
    }

    /** L bfloat16 values at {@code offset} widened to floats (they are a float's upper half). */
    public static FloatVector bf16ToFloats(MemorySegment s, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return (FloatVector) h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** {@code Σ a[aOff+i] * b[bOff+i]} for {@code i < n}, vectorised, any n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        int bound2 = n - 2 * L;
        for (; i <= bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y[yOff+i] += a * x[xOff+i]} for {@code i < n}. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, a);
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }
}
