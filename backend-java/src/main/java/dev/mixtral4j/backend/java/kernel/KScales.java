package dev.mixtral4j.backend.java.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 12-byte scale/min table of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit minimums.
 * Entries 0-3 are the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); entries 4-7 take their
 * low 4 bits from bytes 8-11 and their top 2 bits from the spare top bits of bytes 0-7.
 */
final class KScales {
    private KScales() {
    }

    static int scale(MemorySegment s, long table, int j) {
        if (j < 4) {
            return u8(s, table + j) & 63;
        }
        return (u8(s, table + j + 4) & 0xF) | (u8(s, table + j - 4) >> 6) << 4;
    }

    static int min(MemorySegment s, long table, int j) {
        if (j < 4) {
            return u8(s, table + j + 4) & 63;
        }
        return (u8(s, table + j + 4) >> 4) | (u8(s, table + j) >> 6) << 4;
    }

    private static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    // Lane layout of decodeWide's result: lanes 0-7 scales, 8-15 minimums. Lane L takes its low
    // bits from table byte LOW[L] (shifted right by SHIFT[L], masked by MASK[L]) and, for entries
    // 4-7, bits 4-5 from the top two bits of table byte HIGH[L].
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorShuffle<Integer> LOW =
            VectorShuffle.fromValues(I512, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
    private static final VectorShuffle<Integer> HIGH =
            VectorShuffle.fromValues(I512, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7);
    private static final IntVector SHIFT =
            IntVector.fromArray(I512, new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector MASK =
            IntVector.fromArray(I512, new int[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
    private static final IntVector HIGH_MASK =
            IntVector.fromArray(I512, new int[] {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0);
    private static final VectorMask<Float> MINS = VectorMask.fromLong(FloatVector.SPECIES_512, 0xFF00L);

    /**
     * {@link #decode} with 16-lane vectors (AVX-512 only: callers check {@code ChunkedKernel.WIDE}):
     * about a dozen vector operations instead of ~100 scalar ones per super-block. Reads 16 bytes
     * from {@code table}; the 4 past the table belong to the super-block's quants.
     */
    static void decodeWide(MemorySegment s, long table, float d, float dmin, float[] out, int outOff) {
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B128, s, table, VectorSupport.LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0);
        IntVector v = b.rearrange(LOW).lanewise(VectorOperators.LSHR, SHIFT).and(MASK)
                .or(b.rearrange(HIGH).lanewise(VectorOperators.LSHR, 2).and(HIGH_MASK));
        FloatVector f = (FloatVector) v.convertShape(VectorOperators.I2F, FloatVector.SPECIES_512, 0);
        f.mul(FloatVector.broadcast(FloatVector.SPECIES_512, d).blend(dmin, MINS)).intoArray(out, outOff);
    }
}
