package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An opened model: the mapped GGUF, its {@link ModelConfig} and its {@link TensorCatalogue}.
 * Backends load from this; it owns the mapping and unmaps it on close.
 */
public final class ModelFile implements AutoCloseable {
    private final GgufFile gguf;
    private final ModelConfig config;
    private final TensorCatalogue tensors;

    private ModelFile(GgufFile gguf) {
        this.gguf = gguf;
        int vocabFallback = gguf.findTensor("token_embd.weight").map(t -> (int) t.dim(1)).orElse(0);
        this.config = ModelConfig.fromMetadata(gguf.metadata(), vocabFallback);
        this.tensors = new TensorCatalogue(gguf, config);
    }

    public static ModelFile open(Path path) throws IOException {
        return open(path, false);
    }

    /** Opens the file mapped, or with {@code inMemory} read into memory ({@link GgufFile#openInMemory}). */
    public static ModelFile open(Path path, boolean inMemory) throws IOException {
        GgufFile g = inMemory ? GgufFile.openInMemory(path) : GgufFile.open(path);
        try {
            return new ModelFile(g);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public Path path() {
        return gguf.path();
    }

    public GgufFile gguf() {
        return gguf;
    }

    public GgufMetadata metadata() {
        return gguf.metadata();
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Why no backend can run this file because it has no weights at all (a vocabulary-only file,
     * like llama.cpp's test vocabularies), or null. Backends refuse with this before looking for
     * any tensor, so the message says what is wrong rather than naming the first tensor missing.
     */
    public String vocabularyOnlyReason() {
        return gguf.tensors().isEmpty()
                ? "it is a vocabulary-only file (no tensors): it holds a tokenizer but no weights to run" : null;
    }

    public TensorCatalogue tensors() {
        return tensors;
    }

    @Override
    public void close() {
        gguf.close();
    }

    @Override
    public String toString() {
        return "ModelFile[" + path() + "]";
    }
}
