package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.gguf.GgmlType;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CUDA backend's view of {@link BackendOptions}, checked up front.
 *
 * @param device        CUDA device ordinal
 * @param contextLength default session context, 0 for the model's trained context
 * @param batchSize     most tokens one kernel sequence handles (longer inputs are split)
 * @param kvCacheType   F16 (default) or F32
 * @param reserveBytes  device memory left free for the driver and other users (cuda.reserveMiB)
 * @param maxSplits     most blocks one decode query's keys are split over (cuda.attentionSplits)
 */
public record CudaOptions(int device, int contextLength, int batchSize, GgmlType kvCacheType, long reserveBytes,
                          int maxSplits) {
    public static final String RESERVE_MIB = "cuda.reserveMiB";
    public static final String ATTENTION_SPLITS = "cuda.attentionSplits";
    public static final Set<String> KEYS = Set.of(RESERVE_MIB, ATTENTION_SPLITS);
    static final long DEFAULT_RESERVE_MIB = 512;
    static final int DEFAULT_SPLITS = 32;

    public CudaOptions {
        if (device < 0) {
            throw new IllegalArgumentException("CUDA device index must not be negative: " + device);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must not be negative: " + contextLength);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        }
        if (kvCacheType != GgmlType.F16 && kvCacheType != GgmlType.F32) {
            throw new IllegalArgumentException("the CUDA KV cache holds F16 or F32, not " + kvCacheType);
        }
        if (reserveBytes < 0) {
            throw new IllegalArgumentException(RESERVE_MIB + " must not be negative");
        }
        if (maxSplits < 1 || maxSplits > 1024) {
            throw new IllegalArgumentException(ATTENTION_SPLITS + " must be in 1..1024: " + maxSplits);
        }
    }

    public static CudaOptions from(BackendOptions o) {
        Map<String, String> extra = o.extra();
        Set<String> unknown = new TreeSet<>();
        for (String key : extra.keySet()) {
            if (key.startsWith("cuda.") && !KEYS.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown CUDA option(s) " + unknown + "; known: " + new TreeSet<>(KEYS));
        }
        long reserveMiB = number(extra, RESERVE_MIB, DEFAULT_RESERVE_MIB);
        long splits = number(extra, ATTENTION_SPLITS, DEFAULT_SPLITS);
        if (splits > Integer.MAX_VALUE || reserveMiB > Long.MAX_VALUE >> 20) {
            throw new IllegalArgumentException("CUDA option out of range: " + extra);
        }
        GgmlType kv = o.kvCacheType() == null ? GgmlType.F16 : o.kvCacheType();
        return new CudaOptions(o.device(), o.contextLength(), o.batchSize(), kv, reserveMiB << 20, (int) splits);
    }

    private static long number(Map<String, String> extra, String key, long fallback) {
        String v = extra.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, not '" + v + "'");
        }
    }
}
