package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The matrix-matrix product of prefill: {@code out[t][r] = row r · x[t]} for a batch of tokens,
 * in F32 after expanding the weights.
 *
 * <p>The input is cut into column panels (up to 2048 columns). Each panel of the batch's input is
 * first packed token-major: for every tile of {@link #TOKENS} tokens, column k's values of those
 * tokens lie next to each other, so one vector load gives one column for {@code L} tokens. The
 * micro-kernel keeps a {@link #ROWS} x {@link #TOKENS} block of dot products in 16 vector
 * registers, broadcasts one expanded weight per row and column and multiplies it into the two
 * token vectors: 2 vector loads and 8 broadcasts per 16 FMAs and no horizontal reduction (the
 * 4x4 dot-product tile it replaced needed 8 loads per 16 FMAs and 16 reductions per tile).
 *
 * <p>Blocking, for the caches of one core: {@link #BLOCK} rows are expanded at once (in L2), and
 * for each token tile a {@link #CHUNK}-column slice of the packed input (16 KB) stays in L1 while
 * all the block's row tiles pass over it. The weights are expanded once per row and panel
 * whatever the batch size, and packing costs one pass over the input per panel, shared by every
 * row (callers that split rows over threads pack once, see {@link #pack}).
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

    /** Tokens rounded up to whole tiles: the packed width of one column. */
    public static int paddedTokens(int tokens) {
        return (tokens + TOKENS - 1) / TOKENS * TOKENS;
    }

    /** Columns per panel for a matrix of {@code columns} and a batch of {@code tokens}. */
    public static int panelWidth(int columns, int tokens) {
        int budget = PACK_BUDGET / paddedTokens(tokens) / MIN_PANEL * MIN_PANEL;
        int panel = Math.max(MIN_PANEL, Math.min(MAX_PANEL, budget));
        return columns <= panel ? columns : panel;
    }

    /** Floats {@link #pack} writes for one panel. */
    public static int packedSize(int columns, int tokens) {
        return panelWidth(columns, tokens) * paddedTokens(tokens);
    }

    /** Per-thread floats {@link #multiply} needs: the expanded rows and the tile's sums. */
    public static int rowScratch(int columns, int tokens) {
        return BLOCK * panelWidth(columns, tokens) + BLOCK * TOKENS;
    }

    /** Token tiles of a batch (the unit {@link #pack} splits on). */
    public static int tokenTiles(int tokens) {
        return paddedTokens(tokens) / TOKENS;
    }

    /**
     * Packs columns {@code [k0, k0+kn)} of tokens {@code [tile0*TOKENS, tile1*TOKENS)} into
     * {@code xt}: tile j holds {@code kn} groups of {@link #TOKENS} values from {@code xtOff + j*kn*TOKENS}.
     * Padding tokens beyond {@code tokens} are zero.
     */
    public static void pack(float[] x, int xOff, int xStride, int tokens, int k0, int kn,
                            float[] xt, int xtOff, int tile0, int tile1) {
        for (int j = tile0; j < tile1; j++) {
            int base = xtOff + j * kn * TOKENS;
            for (int tt = 0; tt < TOKENS; tt++) {
                int t = j * TOKENS + tt;
                if (t < tokens) {
                    int src = xOff + t * xStride + k0;
                    for (int k = 0, d = base + tt; k < kn; k++, d += TOKENS) {
                        xt[d] = x[src + k];
                    }
                } else {
                    for (int k = 0, d = base + tt; k < kn; k++, d += TOKENS) {
                        xt[d] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of the panel of columns {@code [k0, k0+kn)} times the packed panel
     * at {@code xt[xtOff]}: {@code out[outOff + t*outStride + r]} receives (or, with {@code add}, gains)
     * the panel's part of the dot product. {@code scratch} holds {@link #rowScratch} floats from {@code so}.
     */
    public static void multiply(TensorKernel kernel, WeightMatrix w, int k0, int kn, float[] xt, int xtOff, int tokens,
                                float[] out, int outOff, int outStride, int r0, int r1,
                                int so, float[] scratch, boolean add) {
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        long colBytes = kernel.type().bytesFor(k0);
        int sums = so + BLOCK * kn;
        for (int rb = r0; rb < r1; rb += BLOCK) {
            int nb = Math.min(BLOCK, r1 - rb);
            for (int i = 0; i < nb; i++) {
                kernel.dequantize(data, (rb + i) * rowBytes + colBytes, scratch, so + i * kn, kn);
            }
            for (int t0 = 0; t0 < tokens; t0 += TOKENS) {
                int xb = xtOff + t0 * kn;
                boolean half = tokens - t0 <= L;
                for (int c = 0; c < kn; c += CHUNK) {
                    int ce = Math.min(kn, c + CHUNK);
                    for (int i = 0; i < nb; i += ROWS) {
                        int wi = so + i * kn;
                        int si = sums + i * TOKENS;
                        if (nb - i < ROWS) {
                            for (int j = i; j < nb; j++) {
                                tile1x2(scratch, so + j * kn, c, ce, xt, xb, scratch, sums + j * TOKENS, c > 0);
                            }
                        } else if (half) {
                            tile8x1(scratch, wi, kn, c, ce, xt, xb, scratch, si, c > 0);
                        } else {
                            tile8x2(scratch, wi, kn, c, ce, xt, xb, scratch, si, c > 0);
                        }
                    }
                }
                store(scratch, sums, Math.min(TOKENS, tokens - t0), nb, out, outOff + t0 * outStride + rb, outStride, add);
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

    /** {@link #tile8x2} for a last tile of at most L tokens (the first vector only). */
    private static void tile8x1(float[] w, int w0, int n, int k0, int k1, float[] xt, int xb,
                                float[] sums, int s0, boolean add) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int n0 = w0, n1 = w0 + n, n2 = w0 + 2 * n, n3 = w0 + 3 * n, n4 = w0 + 4 * n, n5 = w0 + 5 * n, n6 = w0 + 6 * n,
                n7 = w0 + 7 * n;
        for (int k = k0, xi = xb + k0 * TOKENS; k < k1; k++, xi += TOKENS) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xi);
            a0 = FloatVector.broadcast(F, w[n0 + k]).fma(x0, a0);
            a1 = FloatVector.broadcast(F, w[n1 + k]).fma(x0, a1);
            a2 = FloatVector.broadcast(F, w[n2 + k]).fma(x0, a2);
            a3 = FloatVector.broadcast(F, w[n3 + k]).fma(x0, a3);
            a4 = FloatVector.broadcast(F, w[n4 + k]).fma(x0, a4);
            a5 = FloatVector.broadcast(F, w[n5 + k]).fma(x0, a5);
            a6 = FloatVector.broadcast(F, w[n6 + k]).fma(x0, a6);
            a7 = FloatVector.broadcast(F, w[n7 + k]).fma(x0, a7);
        }
        if (add) {
            a0 = a0.add(FloatVector.fromArray(F, sums, s0));
            a1 = a1.add(FloatVector.fromArray(F, sums, s0 + TOKENS));
            a2 = a2.add(FloatVector.fromArray(F, sums, s0 + 2 * TOKENS));
            a3 = a3.add(FloatVector.fromArray(F, sums, s0 + 3 * TOKENS));
            a4 = a4.add(FloatVector.fromArray(F, sums, s0 + 4 * TOKENS));
            a5 = a5.add(FloatVector.fromArray(F, sums, s0 + 5 * TOKENS));
            a6 = a6.add(FloatVector.fromArray(F, sums, s0 + 6 * TOKENS));
            a7 = a7.add(FloatVector.fromArray(F, sums, s0 + 7 * TOKENS));
        }
        a0.intoArray(sums, s0);
        a1.intoArray(sums, s0 + TOKENS);
        a2.intoArray(sums, s0 + 2 * TOKENS);
        a3.intoArray(sums, s0 + 3 * TOKENS);
        a4.intoArray(sums, s0 + 4 * TOKENS);
        a5.intoArray(sums, s0 + 5 * TOKENS);
        a6.intoArray(sums, s0 + 6 * TOKENS);
        a7.intoArray(sums, s0 + 7 * TOKENS);
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
}
