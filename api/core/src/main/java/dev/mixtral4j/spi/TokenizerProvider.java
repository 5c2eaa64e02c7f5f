package dev.mixtral4j.spi;

import dev.mixtral4j.model.ModelFile;

/** Service-provider entry point of a tokenizer implementation, found with ServiceLoader. */
public interface TokenizerProvider {

    /** Stable id, e.g. "spm" (our SentencePiece-BPE) or "llamacpp". */
    String id();

    /** Preference when several support a file: higher wins. */
    int rank();

    /** Whether this implementation can tokenize for the file (reason when not). Never throws. */
    Availability supports(ModelFile model);

    Tokenizer create(ModelFile model);
}
