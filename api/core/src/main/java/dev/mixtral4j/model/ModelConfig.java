package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.ModelFormatException;

/**
 * The hyper-parameters of a Mixtral-family model, read from GGUF metadata ({@code llama.*}
 * keys, or those of the file's {@code general.architecture}).
 *
 * @param architecture       {@code general.architecture}, e.g. "llama"
 * @param contextLength      trained context length
 * @param embeddingLength    model width (4096 for 8x7B)
 * @param blockCount         transformer layers
 * @param feedForwardLength  hidden width of one expert's FFN
 * @param headCount          query heads
 * @param headCountKv        key/value heads (GQA)
 * @param headDim            dimension of one attention head
 * @param ropeDimensionCount dimensions RoPE rotates (usually headDim)
 * @param ropeFreqBase       RoPE base theta
 * @param rmsEps             RMSNorm epsilon
 * @param expertCount        experts per layer (0 for a dense model)
 * @param expertUsedCount    experts chosen per token (0 for a dense model)
 * @param vocabSize          vocabulary size (rows of the embedding)
 * @param slidingWindow      attention window, 0 when attention is over the whole context
 */
public record ModelConfig(
        String architecture,
        int contextLength,
        int embeddingLength,
        int blockCount,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        int ropeDimensionCount,
        float ropeFreqBase,
        float rmsEps,
        int expertCount,
        int expertUsedCount,
        int vocabSize,
        int slidingWindow) {

    public ModelConfig {
        check(contextLength > 0, "context length", contextLength);
        check(embeddingLength > 0, "embedding length", embeddingLength);
        check(blockCount > 0, "block count", blockCount);
        check(feedForwardLength > 0, "feed forward length", feedForwardLength);
        check(headCount > 0, "head count", headCount);
        check(headCountKv > 0 && headCount % headCountKv == 0, "KV head count (must divide head count " + headCount + ")", headCountKv);
        check(headDim > 0 && headDim % 2 == 0, "head dimension (must be even)", headDim);
        check(ropeDimensionCount > 0 && ropeDimensionCount <= headDim && ropeDimensionCount % 2 == 0,
                "rope dimension count (even, at most head dimension " + headDim + ")", ropeDimensionCount);
        check(ropeFreqBase > 0 && Float.isFinite(ropeFreqBase), "rope freq base", ropeFreqBase);
        check(rmsEps > 0 && Float.isFinite(rmsEps), "RMS epsilon", rmsEps);
        check(expertCount >= 0, "expert count", expertCount);
        check(expertCount == 0 ? expertUsedCount == 0 : expertUsedCount > 0 && expertUsedCount <= expertCount,
                "experts used count (1..expert count " + expertCount + ")", expertUsedCount);
        check(vocabSize > 0, "vocab size", vocabSize);
        check(slidingWindow >= 0, "sliding window", slidingWindow);
    }

    private static void check(boolean ok, String what, Object value) {
        if (!ok) {
            throw new ModelFormatException("invalid model config: " + what + " = " + value);
        }
    }

    /** True when the FFN is a mixture of experts. */
    public boolean isMoe() {
        return expertCount > 0;
    }

    /** Width of the K and V projections: KV heads times head dimension. */
    public int kvDim() {
        return headCountKv * headDim;
    }

    /** Query heads that share one KV head. */
    public int groupSize() {
        return headCount / headCountKv;
    }

    /**
     * Reads the config from metadata. {@code vocabSizeFallback} is used when the file has no
     * {@code <arch>.vocab_size} and no token list (pass the embedding's row count).
     */
    public static ModelConfig fromMetadata(GgufMetadata md, int vocabSizeFallback) {
        String arch = md.findString("general.architecture").orElse("llama");
        String p = arch + ".";
        int embd = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
        int headDim = md.getInt(p + "attention.key_length", heads > 0 ? embd / heads : 0);
        int vocab = md.getInt(p + "vocab_size",
                md.findArray("tokenizer.ggml.tokens").map(a -> a.length()).orElse(vocabSizeFallback));
        return new ModelConfig(
                arch,
                md.getInt(p + "context_length"),
                embd,
                md.getInt(p + "block_count"),
                md.getInt(p + "feed_forward_length"),
                heads,
                md.getInt(p + "attention.head_count_kv", heads),
                headDim,
                md.getInt(p + "rope.dimension_count", headDim),
                (float) md.findDouble(p + "rope.freq_base").orElse(10000.0),
                (float) md.findDouble(p + "attention.layer_norm_rms_epsilon").orElse(1e-5),
                md.getInt(p + "expert_count", 0),
                md.getInt(p + "expert_used_count", 0),
                vocab,
                md.getInt(p + "attention.sliding_window", 0));
    }
}
