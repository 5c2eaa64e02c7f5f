package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.quant.UnsupportedTensorTypeException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ApiEdgesTest {

    @Test
    void dequantizeRowReadsTheRequestedRowOfAWeightMatrix() {
        int columns = 512;
        int rows = 3;
        float[] x = TestData.mixed(3, columns * rows, 256);
        byte[] q = Quantizer.quantize(GgmlType.Q6_K, x);
        WeightMatrix m = new WeightMatrix("blk.0.ffn_down", GgmlType.Q6_K, columns, rows, MemorySegment.ofArray(q));
        float[] all = Dequantizer.dequantize(GgmlType.Q6_K, q, x.length);
        for (int r = 0; r < rows; r++) {
            assertArrayEquals(Arrays.copyOfRange(all, r * columns, (r + 1) * columns), Dequantizer.dequantizeRow(m, r));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantizeRow(m, rows));
    }

    /** Non-finite input is garbage in, but must not throw or write outside the block. */
    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
        "Q6_K", "Q8_K"})
    void nonFiniteInputsStayInsideTheirBlocks(GgmlType type) {
        float[] x = TestData.mixed(9, 256 * 3, 256);
        x[3] = Float.NaN;
        x[40] = Float.POSITIVE_INFINITY;
        x[77] = Float.NEGATIVE_INFINITY;
        byte[] q = Quantizer.quantize(type, x);
        assertEquals(type.bytesFor(x.length), q.length);
        // The last 256 values are finite: their blocks must be unaffected by the others.
        byte[] tail = Quantizer.quantize(type, x, 512, 256);
        assertArrayEquals(tail, Arrays.copyOfRange(q, q.length - tail.length, q.length));
        assertEquals(x.length, Dequantizer.dequantize(type, q, x.length).length);
    }

    @Test
    void supportIsReportedForEveryTypeAMixtralFileUses() {
        EnumSet<GgmlType> needed = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);
        for (GgmlType t : needed) {
            assertTrue(Dequantizer.supports(t) && Quantizer.supports(t), t.toString());
        }
        for (GgmlType t : EnumSet.of(GgmlType.IQ2_XXS, GgmlType.IQ3_S, GgmlType.TQ1_0, GgmlType.MXFP4, GgmlType.I8)) {
            assertTrue(!Dequantizer.supports(t) && !Quantizer.supports(t), t.toString());
        }
        for (GgmlType t : EnumSet.of(GgmlType.IQ4_NL, GgmlType.IQ4_XS)) {
            assertTrue(Dequantizer.supports(t) && Quantizer.supports(t), t + " is written by downloaded Mixtral files");
        }
        UnsupportedTensorTypeException e = org.junit.jupiter.api.Assertions.assertThrows(
                UnsupportedTensorTypeException.class, () -> Quantizer.quantize(GgmlType.IQ3_S, new float[256]));
        assertEquals(GgmlType.IQ3_S, e.type());
    }
}
