package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.quant.HalfFloats;
import dev.mixtral4j.quant.UnsupportedTensorTypeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Blocks assembled byte by byte from the documented layouts, with expected values worked out here. */
class HandMadeBlocksTest {

    private static final short HALF_0_5 = 0x3800;
    private static final short HALF_0_25 = 0x3400;
    private static final short HALF_MINUS_2 = (short) 0xC000;

    private static void putHalf(byte[] b, int off, short h) {
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >>> 8);
    }

    @Test
    void halfFloatConstants() {
        assertEquals(1f, HalfFloats.f16ToF32((short) 0x3C00));
        assertEquals(-2f, HalfFloats.f16ToF32(HALF_MINUS_2));
        assertEquals(65504f, HalfFloats.f16ToF32((short) 0x7BFF));
        assertEquals(0x1p-24f, HalfFloats.f16ToF32((short) 0x0001));
        assertEquals((short) 0x3C00, HalfFloats.f32ToF16(1f));
        // 1 + 2^-11 is halfway between 1 and the next half; ties go to the even mantissa (1.0).
        assertEquals((short) 0x3C00, HalfFloats.f32ToF16(1f + 0x1p-11f));
        assertEquals((short) 0x3C02, HalfFloats.f32ToF16(1f + 3 * 0x1p-11f));
        assertEquals((short) 0x7C00, HalfFloats.f32ToF16(65520f));
        assertEquals((short) 0x7E00, HalfFloats.f32ToF16(Float.NaN));
        assertEquals((short) 0xFE00, HalfFloats.f32ToF16(Float.intBitsToFloat(0xFF812345)));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(1f, HalfFloats.bf16ToF32((short) 0x3F80));
        assertEquals(-3f, HalfFloats.bf16ToF32((short) 0xC040));
        assertEquals((short) 0x3F80, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3F808000)));
        assertEquals((short) 0x3F82, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3F818000)));
        assertEquals((short) 0x3F81, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x7FC1, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x7F812345)));
        assertEquals((short) 0x0001, HalfFloats.f32ToBf16(Float.intBitsToFloat(0x00010000)));
    }

    @Test
    void q8_0Block() {
        byte[] b = new byte[34];
        putHalf(b, 0, HALF_0_25);
        float[] expected = new float[32];
        for (int j = 0; j < 32; j++) {
            int q = j * 8 - 128;
            b[2 + j] = (byte) q;
            expected[j] = q * 0.25f;
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q8_0, b, 32));
    }

    @Test
    void q4_0BlockLowNibblesFirstHalfHighNibblesSecondHalf() {
        byte[] b = new byte[18];
        putHalf(b, 0, HALF_MINUS_2);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            int lo = j;
            int hi = 15 - j;
            b[2 + j] = (byte) (lo | hi << 4);
            expected[j] = (lo - 8) * -2f;
            expected[j + 16] = (hi - 8) * -2f;
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q4_0, b, 32));
    }

    @Test
    void q4_1BlockAddsTheMinimum() {
        byte[] b = new byte[20];
        putHalf(b, 0, HALF_0_5);
        putHalf(b, 2, HALF_MINUS_2);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            b[4 + j] = (byte) (j | (j ^ 5) << 4);
            expected[j] = j * 0.5f - 2f;
            expected[j + 16] = (j ^ 5) * 0.5f - 2f;
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q4_1, b, 32));
    }

    @Test
    void q5_0BlockTakesTheFifthBitFromQh() {
        byte[] b = new byte[22];
        putHalf(b, 0, HALF_0_5);
        int qh = 0xA5C3_0F01;
        b[2] = (byte) qh;
        b[3] = (byte) (qh >>> 8);
        b[4] = (byte) (qh >>> 16);
        b[5] = (byte) (qh >>> 24);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            int lo = (j * 3) & 15;
            int hi = (j * 7 + 1) & 15;
            b[6 + j] = (byte) (lo | hi << 4);
            expected[j] = ((lo | ((qh >>> j) & 1) << 4) - 16) * 0.5f;
            expected[j + 16] = ((hi | ((qh >>> (j + 16)) & 1) << 4) - 16) * 0.5f;
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q5_0, b, 32));
    }

    @Test
    void q5_1Block() {
        byte[] b = new byte[24];
        putHalf(b, 0, HALF_0_25);
        putHalf(b, 2, HALF_0_5);
        int qh = 0x8000_0001;
        b[4] = (byte) qh;
        b[7] = (byte) (qh >>> 24);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            b[8 + j] = (byte) (15 - j | j << 4);
            expected[j] = ((15 - j) + (j == 0 ? 16 : 0)) * 0.25f + 0.5f;
            expected[j + 16] = (j + (j == 15 ? 16 : 0)) * 0.25f + 0.5f;
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q5_1, b, 32));
    }

    @Test
    void q8_0QuantizesAnExactGrid() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = (j - 16) * 3f;
        }
        x[5] = 127f * 0.5f;
        // amax = 63.5, d = 0.5 exactly, so every value is a whole number of steps.
        byte[] q = Quantizer.quantize(GgmlType.Q8_0, x);
        assertEquals(HALF_0_5, (short) ((q[0] & 0xFF) | q[1] << 8));
        for (int j = 0; j < 32; j++) {
            assertEquals((int) (x[j] / 0.5f), q[2 + j], "q" + j);
        }
        assertArrayEquals(x, Dequantizer.dequantize(GgmlType.Q8_0, q, 32));
    }

    @Test
    void q8_0RoundsTiesAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        byte[] q = Quantizer.quantize(GgmlType.Q8_0, x);
        assertEquals(3, q[2 + 1]);
        assertEquals(-3, q[2 + 2]);
        assertEquals(1, q[2 + 3]);
    }

    @Test
    void readsUnalignedBlocksFromAnOffsetInsideASegment() {
        float[] x = TestData.mixed(11, 32 * 6, 32);
        byte[] q = Quantizer.quantize(GgmlType.Q4_1, x);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(q.length + 3);
            MemorySegment.copy(q, 0, seg, ValueLayout.JAVA_BYTE, 3, q.length);
            MemorySegment unaligned = seg.asSlice(3);
            float[] all = Dequantizer.dequantize(GgmlType.Q4_1, q, x.length);
            float[] part = new float[70];
            Dequantizer.dequantize(GgmlType.Q4_1, unaligned, 64, part, 1, 69);
            for (int i = 0; i < 69; i++) {
                assertEquals(all[64 + i], part[1 + i], "element " + (64 + i));
            }
            assertEquals(0f, part[0]);
        }
    }

    @Test
    void rejectsMisalignedAndOutOfRangeRequests() {
        byte[] q = new byte[34 * 2];
        float[] dst = new float[64];
        MemorySegment seg = MemorySegment.ofArray(q);
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, seg, 16, dst, 0, 32));
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(GgmlType.Q8_0, seg, 32, dst, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, new float[40]));
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize(GgmlType.Q8_0, new float[64], 0, 64, seg.asSlice(1), 0));
    }

    @Test
    void unsupportedTypesSayWhichType() {
        UnsupportedTensorTypeException e = assertThrows(UnsupportedTensorTypeException.class,
                () -> Dequantizer.dequantize(GgmlType.IQ2_XXS, new byte[66], 256));
        assertEquals(GgmlType.IQ2_XXS, e.type());
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        assertThrows(UnsupportedTensorTypeException.class, () -> Quantizer.quantize(GgmlType.MXFP4, new float[32]));
    }
}
