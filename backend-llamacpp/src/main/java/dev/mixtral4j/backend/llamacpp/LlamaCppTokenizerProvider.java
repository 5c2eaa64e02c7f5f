package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.gguf.ModelFormatException;
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
            // a vocabulary-only load reads exactly what these rules check
            return LlamaCppFileRules.vocabularyProblem(model.metadata())
                    .map(why -> Availability.no(model.path().getFileName() + ": " + why))
                    .orElseGet(() -> Availability.yes(""));
        } catch (Throwable t) {
            return Availability.no("llama.cpp tokenizer unavailable: " + t);
        }
    }

    @Override
    public Tokenizer create(ModelFile model) {
        LlamaRuntime runtime = LlamaRuntime.get();
        runtime.require();
        LlamaCppFileRules.vocabularyProblem(model.metadata()).ifPresent(why -> {
            throw new ModelFormatException(model.path() + ": " + why);
        });
        return new LlamaCppTokenizer(runtime, model.path().toAbsolutePath().toString());
    }
}
