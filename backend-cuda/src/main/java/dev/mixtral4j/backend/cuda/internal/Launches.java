package dev.mixtral4j.backend.cuda.internal;

/**
 * Launch configurations of every kernel. The constants mirror the tile sizes compiled into
 * the kernels (see the {@code .cu} files): change one side, change the other.
 */
public final class Launches {
    /** Threads of element-wise kernels. */
    public static final int ELEMENTWISE_BLOCK = 256;
    /** GEMV: one warp per output row, 8 warps per block ({@code GEMV_ROWS_PER_BLOCK}). */
    public static final int GEMV_ROWS_PER_BLOCK = 8;
    /** GEMM: 64 x 64 output tile per block of 128 threads ({@code BM}, {@code BN}). */
    public static final int GEMM_TILE = 64;
    public static final int GEMM_BLOCK = 128;
    /** Flash-decoding: 4 warps per block ({@code DEC_WARPS}). */
    public static final int DECODE_BLOCK = 128;
    /** Fewest keys worth a split of their own; fewer and the merge costs more than it saves. */
    public static final int MIN_KEYS_PER_SPLIT = 256;
    /** Prefill attention: 8 queries (warps) per block, key tiles of 32 ({@code PF_QT}, {@code PF_KT}). */
    public static final int PREFILL_QUERIES = 8;
    public static final int PREFILL_KEYS = 32;
    /** Largest head dimension the attention kernels hold in registers (8 values per lane). */
    public static final int MAX_HEAD_DIM = 256;
    /** Most experts the routing kernels handle ({@code MAX_EXPERTS}). */
    public static final int MAX_EXPERTS = 256;
    public static final int STATIC_SHARED_LIMIT = 48 * 1024;

    private Launches() {
    }

    static int ceilDiv(long a, long b) {
        long r = (a + b - 1) / b;
        if (r > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(a + " / " + b + " blocks exceed the grid limit");
        }
        return (int) r;
    }

    /** Element-wise over {@code n} values. */
    public static LaunchConfig elementwise(long n) {
        return LaunchConfig.of(ceilDiv(Math.max(n, 1), ELEMENTWISE_BLOCK), 1, 1, ELEMENTWISE_BLOCK, 0);
    }

    /** Embedding lookup (and row dequantisation): a thread per 8 values, a grid row per token/row. */
    public static LaunchConfig perRowGroups(int width, int rows) {
        return LaunchConfig.of(ceilDiv(width / 8, ELEMENTWISE_BLOCK), rows, 1, ELEMENTWISE_BLOCK, 0);
    }

    /** RMSNorm: a block per row. */
    public static LaunchConfig rmsnorm(int rows) {
        return LaunchConfig.of(rows, 1, 1, ELEMENTWISE_BLOCK, 0);
    }

    /** RoPE: a thread per rotated pair. */
    public static LaunchConfig rope(int tokens, int heads, int ropeDim) {
        return elementwise((long) tokens * heads * (ropeDim / 2));
    }

    /** Matrix-vector: a warp per output row, one grid row per expert slot. */
    public static LaunchConfig gemv(int rows, int slots) {
        return LaunchConfig.of(ceilDiv(rows, GEMV_ROWS_PER_BLOCK), slots, 1, GEMV_ROWS_PER_BLOCK * 32, 0);
    }

    /**
     * Matrix-matrix: 64 x 64 tiles over (weight rows, activation rows); with experts, a grid
     * layer per expert, each sized for the worst case (every token on that expert).
     */
    public static LaunchConfig gemm(int weightRows, int activationRows, int experts) {
        return LaunchConfig.of(ceilDiv(weightRows, GEMM_TILE), ceilDiv(activationRows, GEMM_TILE), Math.max(experts, 1),
                GEMM_BLOCK, 0);
    }

    /** How the keys of one decode query are split across blocks. */
    public record DecodeSplit(int splits, int keysPerSplit) {
    }

    /**
     * Splits {@code visibleKeys} keys into at most {@code maxSplits} contiguous shares of at least
     * {@link #MIN_KEYS_PER_SPLIT} (except when there are fewer keys than that), none empty.
     */
    public static DecodeSplit decodeSplit(int visibleKeys, int maxSplits) {
        if (visibleKeys < 1 || maxSplits < 1) {
            throw new IllegalArgumentException("visible keys " + visibleKeys + ", max splits " + maxSplits);
        }
        int splits = Math.min(maxSplits, Math.max(1, visibleKeys / MIN_KEYS_PER_SPLIT));
        int per = ceilDiv(visibleKeys, splits);
        splits = ceilDiv(visibleKeys, per);   // no empty trailing split
        return new DecodeSplit(splits, per);
    }

    public static LaunchConfig attentionDecode(int heads, DecodeSplit split, int tokens) {
        return LaunchConfig.of(heads, split.splits(), tokens, DECODE_BLOCK, 0);
    }

    public static LaunchConfig attentionDecodeCombine(int heads, int tokens) {
        return LaunchConfig.of(heads, tokens, 1, DECODE_BLOCK, 0);
    }

    /** Dynamic shared memory of the prefill attention kernel for a head dimension. */
    public static int prefillSharedBytes(int headDim) {
        return Float.BYTES * (PREFILL_QUERIES * headDim + PREFILL_KEYS * (headDim + 1) + PREFILL_KEYS * headDim);
    }

    public static LaunchConfig attentionPrefill(int tokens, int heads, int headDim) {
        return LaunchConfig.of(ceilDiv(tokens, PREFILL_QUERIES), heads, 1, PREFILL_QUERIES * 32, prefillSharedBytes(headDim));
    }

    /** Router top-k: a thread per token. */
    public static LaunchConfig moeTopK(int tokens) {
        return LaunchConfig.of(ceilDiv(tokens, 64), 1, 1, 64, 0);
    }

    /** Grouping by expert: one block. */
    public static LaunchConfig moeGroup() {
        return LaunchConfig.of(1, 1, 1, ELEMENTWISE_BLOCK, 0);
    }

    /** Weighted combine into the residual: a thread per value, a grid row per token. */
    public static LaunchConfig moeCombine(int width, int tokens) {
        return LaunchConfig.of(ceilDiv(width, ELEMENTWISE_BLOCK), tokens, 1, ELEMENTWISE_BLOCK, 0);
    }
}
