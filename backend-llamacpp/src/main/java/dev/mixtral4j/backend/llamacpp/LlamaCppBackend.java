package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.DeviceInfo;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The llama.cpp backend: models are loaded (memory-mapped) by llama.cpp itself from the GGUF path. */
final class LlamaCppBackend implements Backend {
    static final Set<GgmlType> TENSOR_TYPES = EnumSet.complementOf(EnumSet.of(
            GgmlType.Q8_1, GgmlType.Q8_K, GgmlType.I8, GgmlType.I16, GgmlType.I32, GgmlType.I64, GgmlType.F64));

    private static volatile LlamaCppBackend instance;

    private final LlamaRuntime runtime;
    private final BackendProvider provider;

    private LlamaCppBackend(LlamaRuntime runtime, BackendProvider provider) {
        this.runtime = runtime;
        this.provider = provider;
    }

    static LlamaCppBackend instance(LlamaRuntime runtime, BackendProvider provider) {
        LlamaCppBackend b = instance;
        if (b == null) {
            synchronized (LlamaCppBackend.class) {
                if (instance == null) {
                    instance = new LlamaCppBackend(runtime, provider);
                }
                b = instance;
            }
        }
        return b;
    }

    LlamaRuntime runtime() {
        return runtime;
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public Availability availability() {
        return runtime.availability();
    }

    @Override
    public List<DeviceInfo> devices() {
        return runtime.devices().stream().map(LlamaRuntime.Device::info).toList();
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return TENSOR_TYPES;
    }

    /** Through llama.cpp's graph evaluation callback, installed only while a listener is attached. */
    @Override
    public boolean supportsRoutingTraces() {
        return true;
    }

    /**
     * Whether llama.cpp may be handed this file: per-expert files (which llama.cpp no longer
     * loads) and everything {@link LlamaCppFileRules} refuses are refused with the reason.
     */
    @Override
    public Availability supports(ModelFile model) {
        try {
            if (model.vocabularyOnlyReason() != null) {
                return Availability.no(model.vocabularyOnlyReason());
            }
            if (model.config().isMoe() && !model.tensors().hasMergedExperts()) {
                return Availability.no("per-expert tensors (blk.N.ffn_gate.E.weight) are not loaded by llama.cpp "
                        + PackagedLibraries.LLAMA_CPP_VERSION + "; use a file with merged ffn_*_exps tensors or the java backend");
            }
            return LlamaCppFileRules.modelProblem(model.metadata(), model.gguf().tensors())
                    .map(Availability::no)
                    .orElseGet(() -> Availability.yes("passes the llama.cpp file rules"));
        } catch (RuntimeException e) {
            return Availability.no("cannot inspect " + model.path() + ": " + e.getMessage());
        }
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        runtime.require();
        Availability ok = supports(model);
        if (!ok.available()) {
            throw new ModelFormatException(model.path() + ": " + ok.reason());
        }
        return LlamaCppModel.load(this, model, options);
    }
}
