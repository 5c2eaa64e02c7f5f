package dev.mixtral4j.samples.cli;

import java.util.Map;
import java.util.LinkedHashMap;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.model.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that loads a model for generation shares (a picocli mixin). */
public final class ModelOptions {
    /** KV cache length used unless --ctx says otherwise (the API's default): a full 32k cache of Mixtral would take gigabytes. */
    static final int DEFAULT_CONTEXT = LoadOptions.DEFAULT_CONTEXT;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file.")
    Path model;

    @Option(names = {"-b", "--backend"}, defaultValue = "auto", paramLabel = "ID",
            description = "Backend id, or auto: -Dmixtral4j.backend, else $MIXTRAL4J_BACKEND, else the best available "
                    + "(default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N",
            description = "Context (KV cache) length in tokens; 0 for the model's own (default: the smaller of "
                    + DEFAULT_CONTEXT + " and the model's).")
    Integer context;

    @Option(names = "--kv-type", paramLabel = "F16|F32", description = "KV cache type (default: the backend's).")
    GgmlType kvType;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "A backend option, repeatable: e.g. llamacpp.flash-attn=off (exact F32 attention; its "
                    + "default flash attention accumulates in F16), llamacpp.repack=false, cuda.reserveMiB=512.")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--batch", defaultValue = "512", paramLabel = "N",
            description = "Most prompt tokens per forward call (default: ${DEFAULT-VALUE}).")
    int batch;

    LoadOptions loadOptions() {
        LoadOptions.Builder b = LoadOptions.builder().backend(backend).batchSize(batch).kvCacheType(kvType);
        backendOptions.forEach(b::option);
        if (threads != null) {
            if (threads < 1) {
                throw new UsageException("--threads must be at least 1");
            }
            b.threads(threads);
        }
        if (context != null && context < 0) {
            throw new UsageException("--ctx must not be negative");
        }
        return b.contextLength(context == null ? 0 : context).build();
    }

    /**
     * Loads the model; without --ctx the API's default context applies (the smaller of
     * {@value #DEFAULT_CONTEXT} and the model's), with --ctx 0 the model's whole trained context.
     */
    Model load() throws IOException {
        LoadOptions options = loadOptions();
        if (context != null && context == 0) {
            int trained;
            try (ModelFile file = ModelFile.open(model)) {
                trained = file.config().contextLength();
            }
            options = options.toBuilder().contextLength(trained).build();
        }
        return Mixtral4j.load(model, options);
    }
}
