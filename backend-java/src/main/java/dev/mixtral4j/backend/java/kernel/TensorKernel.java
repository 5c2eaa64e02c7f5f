package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The arithmetic on weights of one GGML tensor type, read in place from the mapped file.
 *
 * <p>Each subclass owns the block layout of its type: {@link #dot} multiplies a stored row with
 * a float vector without materialising the row (the decode path, memory-bound), and
 * {@link #dequantize} expands rows for the matrix-matrix path, where one expanded tile of rows
 * is reused by every token of the batch (the prefill path, compute-bound).
 */
public abstract class TensorKernel {
    /** Rows expanded at once by {@link #matmul}; the micro-kernel computes ROWS x TOKENS dots together. */
    public static final int ROWS = 4;
    private static final int TOKENS = 4;

    public abstract GgmlType type();

    /** Expands {@code n} values (a whole number of blocks) stored from byte {@code offset}. */
    public abstract void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n);

    /** Σ w[i] * x[xOff+i] over the {@code n} values stored from byte {@code offset}. */
    public abstract float dot(MemorySegment src, long offset, float[] x, int xOff, int n);

    /** Floats of scratch {@link #matmul} needs for a matrix of this many columns. */
    public static int matmulScratch(int columns) {
        return ROWS * columns;
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
     * rows {@code r0 <= r < r1}. Each row is read from the file and expanded once for the whole
     * batch. {@code scratch} holds at least {@link #matmulScratch} floats.
     */
    public void matmul(WeightMatrix w, float[] x, int xOff, int xStride, int tokens,
                       float[] out, int outOff, int outStride, int r0, int r1, float[] scratch) {
        int n = w.columns();
        // Wide inputs (ffn_down: 14336) are cut into column panels so the panel of every token's
        // input stays in L2 while all of this thread's rows pass over it.
        int panel = n > 2 * PANEL && PANEL % type().blockSize() == 0 ? PANEL : n;
        for (int k0 = 0; k0 < n; k0 += panel) {
            int kn = Math.min(panel, n - k0);
            matmulPanel(w, k0, kn, x, xOff + k0, xStride, tokens, out, outOff, outStride, r0, r1, scratch, k0 > 0);
        }
    }

    /** Columns per panel of {@link #matmul}: a multiple of every block size. */
    private static final int PANEL = 2048;

    private void matmulPanel(WeightMatrix w, int k0, int n, float[] x, int xOff, int xStride, int tokens,
                             float[] out, int outOff, int outStride, int r0, int r1, float[] scratch, boolean add) {
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        long colBytes = type().bytesFor(k0);
        for (int r = r0; r < r1; r += ROWS) {
            int nr = Math.min(ROWS, r1 - r);
            for (int i = 0; i < nr; i++) {
                dequantize(data, (r + i) * rowBytes + colBytes, scratch, i * n, n);
            }
            if (nr == ROWS) {
                int t = 0;
                for (; t + TOKENS <= tokens; t += TOKENS) {
                    tile4x4(scratch, n, x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride, add);
                }
                for (; t < tokens; t++) {
                    tile4x1(scratch, n, x, xOff + t * xStride, out, outOff + t * outStride + r, add);
                }
            } else {
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < nr; i++) {
                        float v = VectorSupport.dot(scratch, i * n, x, xOff + t * xStride, n);
                        int o = outOff + t * outStride + r + i;
                        out[o] = add ? out[o] + v : v;
                    }
                }
            }
        }
    }

    /** Four expanded rows times four tokens: 16 accumulators, 8 loads per 16 FMAs. */
    private static void tile4x4(float[] w, int n, float[] x, int x0, int xs, float[] out, int o0, int os, boolean add) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        int k = 0;
        for (; k <= n - L; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            FloatVector w1 = FloatVector.fromArray(F, w, n + k);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * n + k);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * n + k);
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a00 = w0.fma(v, a00);
            a10 = w1.fma(v, a10);
            a20 = w2.fma(v, a20);
            a30 = w3.fma(v, a30);
            v = FloatVector.fromArray(F, x, x1 + k);
            a01 = w0.fma(v, a01);
            a11 = w1.fma(v, a11);
            a21 = w2.fma(v, a21);
            a31 = w3.fma(v, a31);
            v = FloatVector.fromArray(F, x, x2 + k);
            a02 = w0.fma(v, a02);
            a12 = w1.fma(v, a12);
            a22 = w2.fma(v, a22);
            a32 = w3.fma(v, a32);
            v = FloatVector.fromArray(F, x, x3 + k);
            a03 = w0.fma(v, a03);
            a13 = w1.fma(v, a13);
            a23 = w2.fma(v, a23);
            a33 = w3.fma(v, a33);
        }
        float[] s = {
            sum(a00), sum(a10), sum(a20), sum(a30),
            sum(a01), sum(a11), sum(a21), sum(a31),
            sum(a02), sum(a12), sum(a22), sum(a32),
            sum(a03), sum(a13), sum(a23), sum(a33)};
        for (; k < n; k++) {
            for (int t = 0; t < 4; t++) {
                float xv = x[x0 + t * xs + k];
                for (int i = 0; i < 4; i++) {
                    s[t * 4 + i] += w[i * n + k] * xv;
                }
            }
        }
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 4; i++) {
                int o = o0 + t * os + i;
                out[o] = add ? out[o] + s[t * 4 + i] : s[t * 4 + i];
            }
        }
    }

    private static void tile4x1(float[] w, int n, float[] x, int x0, float[] out, int o0, boolean add) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int k = 0;
        for (; k <= n - L; k += L) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, w, k).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, n + k).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, 2 * n + k).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, 3 * n + k).fma(v, a3);
        }
        float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; k < n; k++) {
            float xv = x[x0 + k];
            s0 += w[k] * xv;
            s1 += w[n + k] * xv;
            s2 += w[2 * n + k] * xv;
            s3 += w[3 * n + k] * xv;
        }
        if (add) {
            s0 += out[o0];
            s1 += out[o0 + 1];
            s2 += out[o0 + 2];
            s3 += out[o0 + 3];
        }
        out[o0] = s0;
        out[o0 + 1] = s1;
        out[o0 + 2] = s2;
        out[o0 + 3] = s3;
    }

    private static float sum(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    /** Throws unless {@code n} is a whole number of this type's blocks. */
    protected final void checkBlocks(int n) {
        if (n % type().blockSize() != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + type() + " blocks");
        }
    }
}
