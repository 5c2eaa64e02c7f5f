package dev.mixtral4j.spi;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Per-session settings.
 *
 * @param contextLength KV cache capacity in tokens (at most the model's trained context)
 * @param kvCacheType   storage type of the KV cache (F32 or F16), or null for the backend default
 * @param batchSize     most tokens one forward call computes at once (longer inputs are split)
 */
public record SessionOptions(int contextLength, GgmlType kvCacheType, int batchSize) {

    public SessionOptions {
        if (contextLength <= 0) {
            throw new IllegalArgumentException("context length must be positive: " + contextLength);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        }
        if (kvCacheType != null && kvCacheType != GgmlType.F32 && kvCacheType != GgmlType.F16) {
            throw new IllegalArgumentException("KV cache type must be F32 or F16, not " + kvCacheType);
        }
    }
}
