package dev.mixtral4j.backend.java.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    /**
     * All eight pairs at once from three little-endian words (three reads instead of ~24):
     * {@code out[i] = d * scale(i)}, {@code out[8+i] = dmin * min(i)}.
     */
    static void decode(MemorySegment s, long table, float d, float dmin, float[] out) {
        int a0 = s.get(ValueLayout.JAVA_INT_UNALIGNED, table);
        int a1 = s.get(ValueLayout.JAVA_INT_UNALIGNED, table + 4);
        int a2 = s.get(ValueLayout.JAVA_INT_UNALIGNED, table + 8);
        for (int j = 0; j < 4; j++) {
            int sh = 8 * j;
            int b0 = (a0 >>> sh) & 0xFF;
            int b1 = (a1 >>> sh) & 0xFF;
            int b2 = (a2 >>> sh) & 0xFF;
            out[j] = d * (b0 & 63);
            out[8 + j] = dmin * (b1 & 63);
            out[4 + j] = d * ((b2 & 0xF) | (b0 >> 6) << 4);
            out[12 + j] = dmin * ((b2 >> 4) | (b1 >> 6) << 4);
        }
    }
}
