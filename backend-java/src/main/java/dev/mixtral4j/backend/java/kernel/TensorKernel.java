package dev.mixtral4j.backend.java.kernel;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.MemorySegment;

/**
 * The arithmetic on weights of one GGML tensor type, read in place from the mapped file.
 *
 * <p>Each subclass owns the block layout of its type: {@link #dot} multiplies a stored row with
 * a float vector without materialising the row (the decode path, memory-bound), and
 * {@link #dequantize} expands rows for the matrix-matrix path, where one expanded tile of rows
 * is reused by every token of the batch (the prefill path, compute-bound).
 */
public abstract class TensorKernel {
    public abstract GgmlType type();

    /** Expands {@code n} values (a whole number of blocks) stored from byte {@code offset}. */
    public abstract void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n);

    /** Σ w[i] * x[xOff+i] over the {@code n} values stored from byte {@code offset}. */
    public abstract float dot(MemorySegment src, long offset, float[] x, int xOff, int n);

    /**
     * The dots of one stored row with two inputs, {@code out[out0] = w · x[xOff0 ..]} and
     * {@code out[out1] = w · x[xOff1 ..]}: for two sequences decoded together, or an expert chosen
     * by two tokens of a step. A type whose expansion is the costly part overrides it to expand each
     * block once for both, with per input the operations of {@link #dot} in the same order, so
     * that decoding together gives what decoding alone gives. The default is two dots.
     */
    public void dot2(MemorySegment src, long offset, float[] x, int xOff0, int xOff1, int n, float[] out, int out0,
                     int out1) {
        out[out0] = dot(src, offset, x, xOff0, n);
        out[out1] = dot(src, offset, x, xOff1, n);
    }

    /** Floats of scratch {@link #matmul} needs for a matrix of this many columns and a batch of this many tokens. */
    public static int matmulScratch(int columns, int tokens) {
        return MatmulTiles.packedSize(columns, tokens) + MatmulTiles.rowScratch(columns, tokens);
    }

    /** {@code out[outOff + r] = row r · x[xOff ..]} for rows {@code r0 <= r < r1}. */
    public void matvec(WeightMatrix w, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        int n = w.columns();
        for (int r = r0; r < r1; r++) {
            out[outOff + r] = dot(data, r * rowBytes, x, xOff, n);
        }
    }

    /**
     * {@code out[outOff + t*outStride + r] = row r · x[xOff + t*xStride ..]} for every token {@code t < tokens} and
     * rows {@code r0 <= r < r1}. Each row is read from the file and expanded once per column panel for the whole
     * batch ({@link MatmulTiles}). {@code scratch} holds at least {@link #matmulScratch} floats.
     */
    public void matmul(WeightMatrix w, float[] x, int xOff, int xStride, int tokens,
                       float[] out, int outOff, int outStride, int r0, int r1, float[] scratch) {
        int n = w.columns();
        int panel = MatmulTiles.panelWidth(n, tokens);
        int rowsOff = MatmulTiles.packedSize(n, tokens);
        int tiles = MatmulTiles.tokenTiles(tokens);
        for (int k0 = 0; k0 < n; k0 += panel) {
            int kn = Math.min(panel, n - k0);
            MatmulTiles.pack(x, xOff, xStride, k0, kn, scratch, 0, 0, tiles);
            MatmulTiles.multiply(this, w, k0, kn, scratch, 0, x, xOff, xStride, tokens, out, outOff, outStride,
                    r0, r1, rowsOff, scratch, k0 > 0);
        }
    }

    /** Throws unless {@code n} is a whole number of this type's blocks. */
    protected final void checkBlocks(int n) {
        if (n % type().blockSize() != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + type() + " blocks");
        }
    }
}
