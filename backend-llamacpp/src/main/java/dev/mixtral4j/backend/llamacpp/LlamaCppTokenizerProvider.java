package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;

/**
 * llama.cpp's tokenizer as a second {@link TokenizerProvider} (id {@code llamacpp}): a cross-check
 * of, and fallback for, the tokenizer module's own "spm", which it ranks below.
 */
public final class LlamaCppTokenizerProvider implements TokenizerProvider {
    public static final String ID = "llamacpp";

    public LlamaCppTokenizerProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int rank() {
        return 10;
    }

    @Override
    public Availability supports(ModelFile model) {
        try {
            Availability runtime = LlamaRuntime.get().availability();
            if (!runtime.available()) {
                return runtime;
            }
            if (model.metadata().find("tokenizer.ggml.model").isEmpty()) {
                return Availability.no(model.path() + " has no tokenizer.ggml.model");
            }
            return Availability.yes("");
        } catch (Throwable t) {
            return Availability.no("llama.cpp tokenizer unavailable: " + t);
        }
    }

    @Override
    public Tokenizer create(ModelFile model) {
        LlamaRuntime runtime = LlamaRuntime.get();
        runtime.require();
        return new LlamaCppTokenizer(runtime, model.path().toAbsolutePath().toString());
    }
}
