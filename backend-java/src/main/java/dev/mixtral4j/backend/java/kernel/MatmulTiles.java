package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The matrix-matrix product of prefill: {@code out[t][r] = row r · x[t]} for a batch of tokens,
 * in F32 after expanding the weights.
 *
 * <p>The input is cut into column panels (up to 2048 columns); each thread expands {@link #BLOCK}
 * rows of a panel at once (in L2), and every token of the batch uses them before the next block.
 * Two micro-kernels share those expanded rows:
 * <ul>
 * <li>Whole tiles of {@link #TOKENS} tokens, in batches of at least {@link #MIN_PACKED} tokens:
 *     the panel of their input is first packed token-major (column k's values of a tile's tokens
 *     side by side, so one vector load gives one column for {@code L} tokens). The micro-kernel
 *     keeps a {@link #ROWS} x {@link #TOKENS} block of sums in 16 vector registers and multiplies
 *     one broadcast weight per row and column into the two token vectors: 2 vector loads and 8
 *     broadcasts per 16 FMAs, no horizontal reduction. For each token tile a {@link #CHUNK}-column
 *     slice of the packed input (16 KB) stays in L1 while all the block's row tiles pass over it.
 *     Packing is one pass over the input per panel, shared by every row (callers that split rows
 *     over threads pack once, see {@link #pack}).</li>
 * <li>The tokens left over (and small batches, where packing and the tile's fixed costs do not
 *     pay): 4 rows x 4 tokens of vector dot products, reduced across lanes at the panel's end.</li>
 * </ul>
 */
public final class MatmulTiles {
    /** Weight rows per micro-tile. */
    public static final int ROWS = 8;
    /** Tokens per micro-tile: two vectors. */
    public static final int TOKENS = 2 * L;
    /** Widest column panel; a multiple of every block size (256 = the K-quant super-block). */
    private static final int MAX_PANEL = 2048;
    private static final int MIN_PANEL = 256;
    /** Floats of packed input a panel may take (4 MB). */
    private static final int PACK_BUDGET = 1 << 20;
    /**
     * Columns a micro-tile runs over in one call: the token tile's 128 x 32 packed inputs (16 KB)
     * stay in L1 while every row tile of the block passes over them. The partial sums are then added to the
     * tile's total, which also keeps rounding close to the lane-split dots of the matrix-vector path.
     */
    private static final int CHUNK = 128;
    /**
     * Rows expanded together (64 rows x 2048 columns = 512 KB, in L2). Callers that split rows over
     * threads split in multiples of this, so each thread expands its own rows once.
     */
    public static final int BLOCK = 64;

    private MatmulTiles() {
    }

    /** Rows of the dot-product kernel. */
    private static final int DOT_ROWS = 4;
    /** Batches smaller than this take the dot-product kernel only (measured break-even: 48-64 tokens). */
    static final int MIN_PACKED = 64;

    /** Tokens rounded up to whole tiles: an upper bound of the packed width of one column. */
    public static int paddedTokens(int tokens) {
        return (tokens + TOKENS - 1) / TOKENS * TOKENS;
    }

    /** Tokens of a batch that go through the packed micro-kernel: its whole tiles, in batches large enough. */
    public static int packedTokens(int tokens) {
        return tokens >= MIN_PACKED ? tokens / TOKENS * TOKENS : 0;
    }

    /**
     * Columns per panel for a matrix of {@code columns} and a batch of {@code tokens}: for packed
     * batches as wide as the packed input's budget allows (up to 2048); for small batches, as
     * before packing existed, whole rows up to 4096 columns and 2048-column panels beyond.
     */
    public static int panelWidth(int columns, int tokens) {
        if (packedTokens(tokens) == 0) {
            return columns <= 2 * MAX_PANEL ? columns : MAX_PANEL;
        }
        int budget = PACK_BUDGET / paddedTokens(tokens) / MIN_PANEL * MIN_PANEL;
        int panel = Math.max(MIN_PANEL, Math.min(MAX_PANEL, budget));
        return columns <= panel ? columns : panel;
    }

    /** Floats {@link #pack} writes for one panel. */
    public static int packedSize(int columns, int tokens) {
        return panelWidth(columns, tokens) * packedTokens(tokens);
    }

    /** Floats that hold the packed panel of any batch up to {@code tokens} for matrices up to {@code columns}. */
    public static int maxPackedSize(int columns, int tokens) {
        long bound = Math.max(PACK_BUDGET, (long) MIN_PANEL * paddedTokens(tokens));
        return (int) Math.min((long) Math.min(columns, MAX_PANEL) * packedTokens(tokens), bound);
    }

    /** Per-thread floats {@link #multiply} needs for this shape: the expanded rows and the tile's sums. */
    public static int rowScratch(int columns, int tokens) {
        int panel = panelWidth(columns, tokens);
        return packedTokens(tokens) == 0 ? DOT_ROWS * panel : BLOCK * panel + BLOCK * TOKENS;
    }

    /** Per-thread floats {@link #multiply} needs for any shape. */
    public static int maxRowScratch() {
        return BLOCK * MAX_PANEL + BLOCK * TOKENS;
    }

    /** Packed token tiles of a batch (the unit {@link #pack} splits on; 0: nothing to pack). */
    public static int tokenTiles(int tokens) {
        return packedTokens(tokens) / TOKENS;
    }

    /**
     * Packs columns {@code [k0, k0+kn)} of the tokens of tiles {@code [tile0, tile1)} into {@code xt}:
     * tile j holds {@code kn} groups of {@link #TOKENS} values from {@code xtOff + j*kn*TOKENS}.
     */
    public static void pack(float[] x, int xOff, int xStride, int k0, int kn,
                            float[] xt, int xtOff, int tile0, int tile1) {
        for (int j = tile0; j < tile1; j++) {
            int base = xtOff + j * kn * TOKENS;
            for (int tt = 0; tt < TOKENS; tt++) {
                int src = xOff + (j * TOKENS + tt) * xStride + k0;
                for (int k = 0, d = base + tt; k < kn; k++, d += TOKENS) {
                    xt[d] = x[src + k];
                }
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of the panel of columns {@code [k0, k0+kn)} times the batch:
     * {@code out[outOff + t*outStride + r]} receives (or, with {@code add}, gains) the panel's part
     * of the dot product. The batch's {@link #packedTokens} come from the packed panel at
     * {@code xt[xtOff]}, the others from {@code x[xOff + t*xStride + k0 ..]}. {@code scratch}
     * holds {@link #rowScratch} floats from {@code so}.
     */
    public static void multiply(TensorKernel kernel, WeightMatrix w, int k0, int kn, float[] xt, int xtOff,
                                float[] x, int xOff, int xStride, int tokens,
                                float[] out, int outOff, int outStride, int r0, int r1,
                                int so, float[] scratch, boolean add) {
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        long colBytes = kernel.type().bytesFor(k0);
        int sums = so + BLOCK * kn;
        int packed = packedTokens(tokens);
        if (packed == 0) {
            // Small batch: each group of rows is used right after its expansion, still in L1.
            for (int r = r0; r < r1; r += DOT_ROWS) {
                int nr = Math.min(DOT_ROWS, r1 - r);
                for (int i = 0; i < nr; i++) {
                    kernel.dequantize(data, (r + i) * rowBytes + colBytes, scratch, so + i * kn, kn);
                }
                dots(scratch, so, kn, nr, x, xOff + k0, xStride, tokens, out, outOff + r, outStride, add);
            }
            return;
        }
        for (int rb = r0; rb < r1; rb += BLOCK) {
            int nb = Math.min(BLOCK, r1 - rb);
            for (int i = 0; i < nb; i++) {
                kernel.dequantize(data, (rb + i) * rowBytes + colBytes, scratch, so + i * kn, kn);
            }
            for (int t0 = 0; t0 < packed; t0 += TOKENS) {
                int xb = xtOff + t0 * kn;
                for (int c = 0; c < kn; c += CHUNK) {
                    int ce = Math.min(kn, c + CHUNK);
                    for (int i = 0; i < nb; i += ROWS) {
                        if (nb - i < ROWS) {
                            for (int j = i; j < nb; j++) {
                                tile1x2(scratch, so + j * kn, c, ce, xt, xb, scratch, sums + j * TOKENS, c > 0);
                            }
                        } else {
                            tile8x2(scratch, so + i * kn, kn, c, ce, xt, xb, scratch, sums + i * TOKENS, c > 0);
                        }
                    }
                }
                store(scratch, sums, TOKENS, nb, out, outOff + t0 * outStride + rb, outStride, add);
            }
            if (packed < tokens) {
                dots(scratch, so, kn, nb, x, xOff + k0 + packed * xStride, xStride, tokens - packed,
                        out, outOff + packed * outStride + rb, outStride, add);
            }
        }
    }

    /**
     * The dot-product kernel: {@code rows} expanded rows ({@code n} apart from {@code w[w0]}) times
     * {@code tokens} unpacked inputs, four rows by four tokens at a time.
     */
    private static void dots(float[] w, int w0, int n, int rows, float[] x, int x0, int xs, int tokens,
                             float[] out, int o0, int os, boolean add) {
        for (int r = 0; r < rows; r += DOT_ROWS) {
            int nr = Math.min(DOT_ROWS, rows - r);
            int wr = w0 + r * n;
            if (nr == DOT_ROWS) {
                int t = 0;
                for (; t + 4 <= tokens; t += 4) {
                    tile4x4(w, wr, n, x, x0 + t * xs, xs, out, o0 + t * os + r, os, add);
                }
                for (; t < tokens; t++) {
                    tile4x1(w, wr, n, x, x0 + t * xs, out, o0 + t * os + r, add);
                }
            } else {
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < nr; i++) {
                        float v = VectorSupport.dot(w, wr + i * n, x, x0 + t * xs, n);
                        int o = o0 + t * os + r + i;
                        out[o] = add ? out[o] + v : v;
                    }
                }
            }
        }
    }

    private static void store(float[] sums, int s0, int tokens, int rows, float[] out, int o0, int os, boolean add) {
        for (int t = 0; t < tokens; t++) {
            int o = o0 + t * os;
            for (int i = 0; i < rows; i++) {
                float v = sums[s0 + i * TOKENS + t];
                out[o + i] = add ? out[o + i] + v : v;
            }
        }
    }

    /**
     * Eight expanded rows (row i from {@code w[w0 + i*n]}) times one packed tile of 2L tokens over
     * columns {@code [k0, k1)}: sums[i*TOKENS + t] (+)= Σ w[i][k] * x[t][k].
     */
    private static void tile8x2(float[] w, int w0, int n, int k0, int k1, float[] xt, int xb,
                                float[] sums, int s0, boolean add) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        FloatVector a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        int n0 = w0, n1 = w0 + n, n2 = w0 + 2 * n, n3 = w0 + 3 * n, n4 = w0 + 4 * n, n5 = w0 + 5 * n, n6 = w0 + 6 * n,
                n7 = w0 + 7 * n;
        for (int k = k0, xi = xb + k0 * TOKENS; k < k1; k++, xi += TOKENS) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xi);
            FloatVector x1 = FloatVector.fromArray(F, xt, xi + L);
            FloatVector b = FloatVector.broadcast(F, w[n0 + k]);
            a00 = b.fma(x0, a00);
            a01 = b.fma(x1, a01);
            b = FloatVector.broadcast(F, w[n1 + k]);
            a10 = b.fma(x0, a10);
            a11 = b.fma(x1, a11);
            b = FloatVector.broadcast(F, w[n2 + k]);
            a20 = b.fma(x0, a20);
            a21 = b.fma(x1, a21);
            b = FloatVector.broadcast(F, w[n3 + k]);
            a30 = b.fma(x0, a30);
            a31 = b.fma(x1, a31);
            b = FloatVector.broadcast(F, w[n4 + k]);
            a40 = b.fma(x0, a40);
            a41 = b.fma(x1, a41);
            b = FloatVector.broadcast(F, w[n5 + k]);
            a50 = b.fma(x0, a50);
            a51 = b.fma(x1, a51);
            b = FloatVector.broadcast(F, w[n6 + k]);
            a60 = b.fma(x0, a60);
            a61 = b.fma(x1, a61);
            b = FloatVector.broadcast(F, w[n7 + k]);
            a70 = b.fma(x0, a70);
            a71 = b.fma(x1, a71);
        }
        if (add) {
            a00 = a00.add(FloatVector.fromArray(F, sums, s0));
            a01 = a01.add(FloatVector.fromArray(F, sums, s0 + L));
            a10 = a10.add(FloatVector.fromArray(F, sums, s0 + TOKENS));
            a11 = a11.add(FloatVector.fromArray(F, sums, s0 + TOKENS + L));
            a20 = a20.add(FloatVector.fromArray(F, sums, s0 + 2 * TOKENS));
            a21 = a21.add(FloatVector.fromArray(F, sums, s0 + 2 * TOKENS + L));
            a30 = a30.add(FloatVector.fromArray(F, sums, s0 + 3 * TOKENS));
            a31 = a31.add(FloatVector.fromArray(F, sums, s0 + 3 * TOKENS + L));
            a40 = a40.add(FloatVector.fromArray(F, sums, s0 + 4 * TOKENS));
            a41 = a41.add(FloatVector.fromArray(F, sums, s0 + 4 * TOKENS + L));
            a50 = a50.add(FloatVector.fromArray(F, sums, s0 + 5 * TOKENS));
            a51 = a51.add(FloatVector.fromArray(F, sums, s0 + 5 * TOKENS + L));
            a60 = a60.add(FloatVector.fromArray(F, sums, s0 + 6 * TOKENS));
            a61 = a61.add(FloatVector.fromArray(F, sums, s0 + 6 * TOKENS + L));
            a70 = a70.add(FloatVector.fromArray(F, sums, s0 + 7 * TOKENS));
            a71 = a71.add(FloatVector.fromArray(F, sums, s0 + 7 * TOKENS + L));
        }
        a00.intoArray(sums, s0);
        a01.intoArray(sums, s0 + L);
        a10.intoArray(sums, s0 + TOKENS);
        a11.intoArray(sums, s0 + TOKENS + L);
        a20.intoArray(sums, s0 + 2 * TOKENS);
        a21.intoArray(sums, s0 + 2 * TOKENS + L);
        a30.intoArray(sums, s0 + 3 * TOKENS);
        a31.intoArray(sums, s0 + 3 * TOKENS + L);
        a40.intoArray(sums, s0 + 4 * TOKENS);
        a41.intoArray(sums, s0 + 4 * TOKENS + L);
        a50.intoArray(sums, s0 + 5 * TOKENS);
        a51.intoArray(sums, s0 + 5 * TOKENS + L);
        a60.intoArray(sums, s0 + 6 * TOKENS);
        a61.intoArray(sums, s0 + 6 * TOKENS + L);
        a70.intoArray(sums, s0 + 7 * TOKENS);
        a71.intoArray(sums, s0 + 7 * TOKENS + L);
    }

    /** One expanded row from {@code w[w0]} times one packed tile (the rows left over after whole tiles). */
    private static void tile1x2(float[] w, int w0, int k0, int k1, float[] xt, int xb,
                                float[] sums, int s0, boolean add) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int k = k0, xi = xb + k0 * TOKENS; k < k1; k++, xi += TOKENS) {
            FloatVector b = FloatVector.broadcast(F, w[w0 + k]);
            a0 = b.fma(FloatVector.fromArray(F, xt, xi), a0);
            a1 = b.fma(FloatVector.fromArray(F, xt, xi + L), a1);
        }
        if (add) {
            a0 = a0.add(FloatVector.fromArray(F, sums, s0));
            a1 = a1.add(FloatVector.fromArray(F, sums, s0 + L));
        }
        a0.intoArray(sums, s0);
        a1.intoArray(sums, s0 + L);
    }

    /** Four expanded rows times four tokens: 16 accumulators, 8 loads per 16 FMAs. */
    private static void tile4x4(float[] w, int wb, int n, float[] x, int x0, int xs, float[] out, int o0, int os, boolean add) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        int k = 0;
        for (; k <= n - L; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wb + k);
            FloatVector w1 = FloatVector.fromArray(F, w, wb + n + k);
            FloatVector w2 = FloatVector.fromArray(F, w, wb + 2 * n + k);
            FloatVector w3 = FloatVector.fromArray(F, w, wb + 3 * n + k);
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
                    s[t * 4 + i] += w[wb + i * n + k] * xv;
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

    private static void tile4x1(float[] w, int wb, int n, float[] x, int x0, float[] out, int o0, boolean add) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int k = 0;
        for (; k <= n - L; k += L) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, w, wb + k).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, wb + n + k).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, wb + 2 * n + k).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, wb + 3 * n + k).fma(v, a3);
        }
        float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; k < n; k++) {
            float xv = x[x0 + k];
            s0 += w[wb + k] * xv;
            s1 += w[wb + n + k] * xv;
            s2 += w[wb + 2 * n + k] * xv;
            s3 += w[wb + 3 * n + k] * xv;
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
}
