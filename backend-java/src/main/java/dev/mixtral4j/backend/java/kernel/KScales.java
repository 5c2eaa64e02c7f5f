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
}
