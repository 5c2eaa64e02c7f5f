package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.llama_model_params;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.KvCacheSize;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.AbstractBackendModel;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.SessionOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@code llama_model} (weights memory-mapped by llama.cpp). Owns the native model; closing it
 * closes its open sessions first, each after its computation in flight (a context must not outlive
 * its model: the SPI base class's lifecycle), then frees the model.
 */
final class LlamaCppModel extends AbstractBackendModel {
    /** {@link BackendOptions#extra()} key: "false" turns off ggml's repacked CPU weight copies. */
    static final String REPACK_OPTION = "llamacpp.repack";
    /** {@link BackendOptions#extra()} key: flash attention "on", "off" or "auto" (llama.cpp's default). */
    static final String FLASH_ATTENTION_OPTION = "llamacpp.flash-attn";
    /** {@code LLAMA_LOAD_MODE_NONE} of {@code enum llama_load_mode} in llama.h: read, do not map. */
    static final int LLAMA_LOAD_MODE_NONE = 0;

    private final LlamaCppBackend backend;
    private final String path;
    private final int threads;
    private final String flashAttention;
    private final MemorySegment model;
    private final MemorySegment vocab;
    private final int vocabSize;
    private final int trainedContext;
    private final boolean causal;

    private LlamaCppModel(LlamaCppBackend backend, ModelFile file, int threads, String flashAttention, MemorySegment model) {
        super(backend, file.config(), String.valueOf(file.path().getFileName()));
        this.backend = backend;
        this.path = file.path().toString();
        this.threads = threads;
        this.flashAttention = flashAttention;
        this.model = model;
        this.vocab = Llama.llama_model_get_vocab(model);
        this.vocabSize = Llama.llama_vocab_n_tokens(vocab);
        this.trainedContext = Llama.llama_model_n_ctx_train(model);
        this.causal = file.metadata().findBool(file.config().architecture() + ".attention.causal").orElse(true);
    }

    static LlamaCppModel load(LlamaCppBackend backend, ModelFile file, BackendOptions options) {
        String flash = options.extra().get(FLASH_ATTENTION_OPTION);
        if (flash != null && !List.of("on", "off", "auto").contains(flash)) {
            throw new IllegalArgumentException(FLASH_ATTENTION_OPTION + " must be on, off or auto, not " + flash);
        }
        MemorySegment model = loadNative(backend.runtime(), file.path().toAbsolutePath().toString(), options, false);
        try {
            return new LlamaCppModel(backend, file, options.threads(), flash, model);
        } catch (RuntimeException | Error e) {
            Llama.llama_model_free(model);
            throw e;
        }
    }

    /**
     * Calls {@code llama_model_load_from_file}; a refusal becomes a {@link ModelFormatException}
     * carrying what llama.cpp logged about it.
     */
    static MemorySegment loadNative(LlamaRuntime runtime, String path, BackendOptions options, boolean vocabOnly) {
        MemorySegment model;
        String said;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_default_params(arena);
            llama_model_params.vocab_only(params, vocabOnly);
            if (options != null && options.weightsInMemory()) {
                // llama.cpp reads the weights into its buffers: a file truncated later cannot
                // SIGBUS the process, as a mapping would
                llama_model_params.load_mode(params, LLAMA_LOAD_MODE_NONE);
            }
            if (options != null && "false".equalsIgnoreCase(options.extra().get(REPACK_OPTION))) {
                // weights stay in the mapped file's layout instead of ggml's CPU-repacked copy
                llama_model_params.use_extra_bufts(params, false);
            }
            if (options != null && runtime.hasGpu()) {
                llama_model_params.n_gpu_layers(params, options.gpuLayers() < 0 ? -1 : options.gpuLayers());
                if (options.device() > 0) {
                    // one chosen GPU holds the whole model
                    llama_model_params.split_mode(params, Llama.LLAMA_SPLIT_MODE_NONE());
                    llama_model_params.main_gpu(params, options.device());
                }
            } else {
                llama_model_params.n_gpu_layers(params, 0);
            }
            LlamaLog.startCapture();
            try {
                model = Llama.llama_model_load_from_file(arena.allocateFrom(path), params);
            } finally {
                said = LlamaLog.stopCapture();
            }
        }
        if (model.equals(MemorySegment.NULL)) {
            throw new ModelFormatException("llama.cpp cannot load " + path + ": "
                    + (said.isEmpty() ? "no reason given (see the dev.mixtral4j.backend.llamacpp.native log)" : said));
        }
        return model;
    }

    LlamaRuntime runtime() {
        return backend.runtime();
    }

    MemorySegment pointer() {
        return model;
    }

    int vocabSize() {
        return vocabSize;
    }

    String flashAttention() {
        return flashAttention;
    }

    /** False for {@code attention.causal = false}: llama.cpp then needs the whole batch in one micro-batch. */
    boolean causal() {
        return causal;
    }

    int threads() {
        return threads;
    }

    String path() {
        return path;
    }

    @Override
    protected int maxContextLength() {
        return trainedContext;
    }

    @Override
    protected AbstractBackendSession openSession(SessionOptions options) {
        // llama.cpp would spend a minute allocating before bad_alloc: refuse what cannot fit
        KvCacheSize.check(config(), options.contextLength(), options.kvCacheType() == GgmlType.F32 ? 4 : 2);
        return LlamaCppSession.open(this, options);
    }

    @Override
    protected void release() {
        Llama.llama_model_free(model);
    }
}
