package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SpiVersion;

/**
 * Service entry point of the llama.cpp backend (id {@code llamacpp}). Construction is free; the
 * native libraries are loaded on the first {@link #availability()} or {@link #backend()} call,
 * once per process.
 */
public final class LlamaCppBackendProvider implements BackendProvider {
    public static final String ID = "llamacpp";

    public LlamaCppBackendProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "llama.cpp " + PackagedLibraries.LLAMA_CPP_VERSION + " through java.lang.foreign (CPU; GPU when the loaded build has it)";
    }

    /** Below a GPU backend, above the pure-Java one: it is the faster CPU engine today. */
    @Override
    public int rank() {
        return 60;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        try {
            return LlamaRuntime.get().availability();
        } catch (Throwable t) {
            return Availability.no("llama.cpp runtime failed to initialise: " + t);
        }
    }

    @Override
    public Backend backend() {
        LlamaRuntime runtime = LlamaRuntime.get();
        runtime.require();
        return LlamaCppBackend.instance(runtime, this);
    }
}
