package dev.mixtral4j.backend.java.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector decoder of the Q4_K/Q5_K scale table against the byte-wise definition. */
class KScalesTest {

    @Test
    void vectorDecodeMatchesTheBytewiseDefinition() {
        assumeTrue(ChunkedKernel.WIDE, "decodeWide needs 16-lane (AVX-512) vectors");
        Random rnd = new Random(6);
        for (int trial = 0; trial < 200; trial++) {
            MemorySegment table = randomTable(rnd);
            float d = (float) rnd.nextGaussian();
            float dmin = (float) rnd.nextGaussian();
            float[] out = new float[21];
            KScales.decodeWide(table, 0, d, dmin, out, 5);
            for (int i = 0; i < 8; i++) {
                assertEquals(d * KScales.scale(table, 0, i), out[5 + i], "scale " + i);
                assertEquals(dmin * KScales.min(table, 0, i), out[13 + i], "min " + i);
            }
        }
    }

    /** 12 table bytes and the 4 bytes that follow (decodeWide reads 16). */
    private static MemorySegment randomTable(Random rnd) {
        byte[] b = new byte[16];
        rnd.nextBytes(b);
        return MemorySegment.ofArray(b);
    }
}
