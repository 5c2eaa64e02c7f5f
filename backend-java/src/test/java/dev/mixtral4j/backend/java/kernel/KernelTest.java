package dev.mixtral4j.backend.java.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every kernel against the plain scalar loop, on random blocks. */
class KernelTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizeDotMatvecAndMatmulMatchTheScalarLoop(GgmlType type) {
        check(type, 512 + (type.blockSize() == 1 ? 8 : 0), 7, 6);
    }

    /**
     * Whole and partial blocks and tiles of the packed kernel (75 rows = a block of 64 + a tile of 8 + 3;
     * 70 tokens = two tiles of 32 + 6 by dot products), exact tiles, and a batch too small to pack.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "IQ4_XS"})
    void matmulOverWholeAndPartialTiles(GgmlType type) {
        check(type, 256 + (type.blockSize() == 1 ? 8 : 0), 75, 70);
        check(type, 256, 8, 64);
        check(type, 256, 9, 37);
    }

    /** A batch so large that the column panel shrinks to keep the packed input small. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q4_0"})
    void matmulOfALargeBatchOverNarrowerPanels(GgmlType type) {
        check(type, 3 * 2048 + 256, 9, 600);
    }

    /** Inputs wider than two panels: matmul accumulates panel by panel. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_K", "Q6_K"})
    void matmulOverSeveralColumnPanels(GgmlType type) {
        check(type, 3 * 2048 + 256, 7, 6);
    }

    /** An odd number of 32-value blocks: the two-blocks-per-iteration dots must finish the last one. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void oddBlockCounts(GgmlType type) {
        check(type, 7 * 32, 7, 6);
        check(type, 32, 7, 6);
    }

    private static void check(GgmlType type, int n, int rows, int tokens) {
        Random rnd = new Random(type.ordinal() * 31L + 7 + rows * 1000L + tokens);
        TensorKernel k = Kernels.of(type);
        try (Arena arena = Arena.ofConfined()) {
            long rowBytes = type.bytesFor(n);
            MemorySegment seg = arena.allocate(rowBytes * rows + 3);
            // an odd offset: file slices carry no alignment promise
            MemorySegment data = seg.asSlice(3, rowBytes * rows);
            float[][] ref = new float[rows][];
            for (int r = 0; r < rows; r++) {
                byte[] bytes = RandomBlocks.row(type, n, rnd);
                MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, r * rowBytes, rowBytes);
                ref[r] = ScalarDequant.dequantize(type, bytes, n);
            }
            float[] x = new float[tokens * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            for (int r = 0; r < rows; r++) {
                float[] got = new float[n + 5];
                k.dequantize(data, r * rowBytes, got, 5, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(ref[r][i], got[5 + i], Math.ulp(ref[r][i]) * 2, type + " row " + r + " value " + i);
                }
            }
            WeightMatrix w = new WeightMatrix("w", type, n, rows, data);
            float[] mv = new float[rows];
            k.matvec(w, x, n, mv, 0, 0, rows);
            float[] mm = new float[tokens * rows + 1];
            k.matmul(w, x, 0, n, tokens, mm, 1, rows, 0, rows, new float[TensorKernel.matmulScratch(n, tokens)]);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double exact = 0;
                    double magnitude = 0;
                    for (int i = 0; i < n; i++) {
                        exact += (double) ref[r][i] * x[t * n + i];
                        magnitude += Math.abs((double) ref[r][i] * x[t * n + i]);
                    }
                    double tol = 1e-5 * magnitude + 1e-6;
                    float dot = k.dot(data, r * rowBytes, x, t * n, n);
                    assertEquals(exact, dot, tol, type + " dot row " + r + " token " + t);
                    if (k instanceof ChunkedKernel ck) {
                        // the any-width path, which AVX2 machines take
                        assertEquals(exact, ck.chunkedDot(data, r * rowBytes, x, t * n, n), tol,
                                type + " chunked dot row " + r + " token " + t);
                        float[] chunked = new float[n];
                        ck.chunkedDequantize(data, r * rowBytes, chunked, 0, n);
                        for (int i = 0; i < n; i++) {
                            assertEquals(ref[r][i], chunked[i], Math.ulp(ref[r][i]) * 2, type + " chunked value " + i);
                        }
                    }
                    if (t > 0) {
                        // the pair dot: the two single dots (the same operations; not always bit for bit, as the
                        // Vector API's interpreted and compiled forms of one dot may round differently)
                        float[] pair = new float[4];
                        k.dot2(data, r * rowBytes, x, (t - 1) * n, t * n, n, pair, 3, 1);
                        assertEquals(k.dot(data, r * rowBytes, x, (t - 1) * n, n), pair[3], tol,
                                type + " dot2 first input, row " + r + " tokens " + (t - 1) + "," + t);
                        assertEquals(dot, pair[1], tol, type + " dot2 second input, row " + r + " token " + t);
                    }
                    assertEquals(exact, mm[1 + t * rows + r], tol, type + " matmul row " + r + " token " + t);
                    if (t == 1) {
                        assertEquals(exact, mv[r], tol, type + " matvec row " + r);
                    }
                }
            }
            double first = 0;
            for (float v : ref[0]) {
                first += Math.abs(v);
            }
            assertTrue(first > 0, "random data is not all zero");
        }
    }
}
