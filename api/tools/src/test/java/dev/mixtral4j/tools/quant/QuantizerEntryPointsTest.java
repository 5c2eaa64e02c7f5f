package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every way into the quantizer yields the same bytes: small pieces (encoded on the calling
 * thread), one big job (split over the fork-join pool), a byte array at an offset, and a confined
 * off-heap segment at an odd offset (written from the calling thread only).
 */
class QuantizerEntryPointsTest {

    private static final int ROW = 4096;
    private static final int ROWS = 130;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_K", "Q6_K", "BF16"})
    void bigJobsEqualRowByRowEncoding(GgmlType type) {
        float[] x = TestData.mixed(17 + type.id(), ROW * ROWS, 256);
        int rowBytes = (int) type.bytesFor(ROW);
        byte[] rowByRow = new byte[rowBytes * ROWS];
        for (int r = 0; r < ROWS; r++) {
            byte[] q = Quantizer.quantize(type, x, r * ROW, ROW);
            System.arraycopy(q, 0, rowByRow, r * rowBytes, rowBytes);
        }
        assertArrayEquals(rowByRow, Quantizer.quantize(type, x), "one big job");

        byte[] shifted = new byte[rowByRow.length + 7];
        Quantizer.quantize(type, x, 0, x.length, shifted, 5);
        assertArrayEquals(rowByRow, Arrays.copyOfRange(shifted, 5, 5 + rowByRow.length), "byte array at offset 5");
        assertEquals(0, shifted[4]);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(rowByRow.length + 3L);
            Quantizer.quantize(type, x, 0, x.length, seg, 3);
            assertArrayEquals(rowByRow, seg.asSlice(3).toArray(ValueLayout.JAVA_BYTE), "confined segment at offset 3");
        }
    }
}
