package dev.mixtral4j.spi;

import dev.mixtral4j.gguf.GgmlType;
import java.util.Map;

/**
 * What a backend is told when it loads a model. The user-facing {@code dev.mixtral4j.LoadOptions}
 * implements it; a backend reads only these values, so the SPI needs nothing from the facade.
 */
public interface BackendOptions {

    /** CPU threads to compute with. */
    int threads();

    /** Default KV cache length of sessions; 0 means the model's trained context. */
    int contextLength();

    /** Most tokens one forward step computes at once (the default of {@link SessionOptions#batchSize()}). */
    int batchSize();

    /** F32 or F16, or null for the backend's default. */
    GgmlType kvCacheType();

    /** Layers to offload where a backend offloads (-1: all). */
    int gpuLayers();

    /** Device index for backends with several. */
    int device();

    /** Backend-specific options, keys prefixed with the backend id (e.g. {@code llamacpp.flash-attn}). */
    Map<String, String> extra();

    /**
     * Whether the weights are to be read into memory rather than mapped from the file (immune to
     * the file changing while loaded). Default false.
     */
    default boolean weightsInMemory() {
        return false;
    }
}
