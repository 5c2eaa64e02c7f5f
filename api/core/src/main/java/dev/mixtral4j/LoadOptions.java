package dev.mixtral4j;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.spi.BackendOptions;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to load a model.
 *
 * @param backend       backend id, or "auto" for the best available (also read from
 *                      {@code -Dmixtral4j.backend} / {@code MIXTRAL4J_BACKEND} when "auto")
 * @param threads       CPU threads (default: available processors; more than that is allowed and
 *                      logged as a warning when the model loads)
 * @param contextLength default KV cache length for sessions; 0 (the default) means the smaller of
 *                      {@link #DEFAULT_CONTEXT} and the model's trained context, resolved when the
 *                      model loads (a full 32k cache of Mixtral takes gigabytes); for the whole trained
 *                      context give its length, {@code ModelFile.config().contextLength()}
 * @param batchSize     most tokens one forward call computes at once
 * @param kvCacheType   F32 or F16, or null for the backend's default
 * @param gpuLayers     layers to offload where a backend offloads (-1: all)
 * @param device        device index for backends with several
 * @param extra         backend-specific options, e.g. {@code llamacpp.path}
 * @param weightsInMemory read the weights into memory instead of mapping the file: slower to
 *                      load and not shared with the page cache, but immune to the file being
 *                      truncated or replaced while loaded (which a mapping turns into a
 *                      MappedFileChangedException on java, and into a SIGBUS that kills the
 *                      process in llama.cpp, or in cuda's upload while it loads)
 */
public record LoadOptions(String backend, int threads, int contextLength, int batchSize,
                          GgmlType kvCacheType, int gpuLayers, int device, Map<String, String> extra,
                          boolean weightsInMemory)
        implements BackendOptions {

    /** The cap of the default context: sessions get the smaller of this and the model's context. */
    public static final int DEFAULT_CONTEXT = 4096;

    public LoadOptions {
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend id must not be empty (use \"auto\")");
        }
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive: " + threads);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must not be negative: " + contextLength);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        }
        extra = Map.copyOf(extra);
    }

    /** These options with the default context (0) made concrete for a model trained on {@code trainedContext}. */
    LoadOptions withContextFor(int trainedContext) {
        if (contextLength != 0) {
            return this;
        }
        return toBuilder().contextLength(Math.min(DEFAULT_CONTEXT, trainedContext)).build();
    }

    public static LoadOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.backend = backend;
        b.threads = threads;
        b.contextLength = contextLength;
        b.batchSize = batchSize;
        b.kvCacheType = kvCacheType;
        b.gpuLayers = gpuLayers;
        b.device = device;
        b.extra.putAll(extra);
        b.weightsInMemory = weightsInMemory;
        return b;
    }

    public static final class Builder {
        private String backend = "auto";
        private int threads = Runtime.getRuntime().availableProcessors();
        private int contextLength = 0;
        private int batchSize = 512;
        private GgmlType kvCacheType;
        private int gpuLayers = -1;
        private int device = 0;
        private final Map<String, String> extra = new TreeMap<>();
        private boolean weightsInMemory;

        public Builder backend(String id) {
            this.backend = id;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder contextLength(int tokens) {
            this.contextLength = tokens;
            return this;
        }

        public Builder batchSize(int tokens) {
            this.batchSize = tokens;
            return this;
        }

        public Builder kvCacheType(GgmlType type) {
            this.kvCacheType = type;
            return this;
        }

        public Builder gpuLayers(int layers) {
            this.gpuLayers = layers;
            return this;
        }

        public Builder device(int index) {
            this.device = index;
            return this;
        }

        public Builder option(String key, String value) {
            this.extra.put(key, value);
            return this;
        }

        /** Read the weights into memory rather than mapping the file (see {@link LoadOptions}). */
        public Builder weightsInMemory(boolean inMemory) {
            this.weightsInMemory = inMemory;
            return this;
        }

        public LoadOptions build() {
            return new LoadOptions(backend, threads, contextLength, batchSize, kvCacheType, gpuLayers, device, extra,
                    weightsInMemory);
        }
    }
}
