package dev.mixtral4j.tokenizer;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;

/** Our pure-Java SentencePiece-BPE tokenizer for GGUF vocabularies of type "llama". */
public final class SpmTokenizerProvider implements TokenizerProvider {
    public static final String ID = "spm";

    @Override
    public String id() {
        return ID;
    }

    /** Preferred over native tokenizers: exact, no native library, no model load needed. */
    @Override
    public int rank() {
        return 100;
    }

    @Override
    public Availability supports(ModelFile model) {
        try {
            String type = model.metadata().findString(Vocabulary.KEY_MODEL).orElse(null);
            if (type == null) {
                return Availability.no("the file has no tokenizer (" + Vocabulary.KEY_MODEL + " is missing)");
            }
            if (!Vocabulary.SPM_MODEL.equals(type)) {
                return Availability.no(Vocabulary.KEY_MODEL + " is '" + type
                        + "'; the spm tokenizer reads SentencePiece-BPE vocabularies ('llama') only");
            }
            if (!model.metadata().contains(Vocabulary.KEY_TOKENS)) {
                return Availability.no(Vocabulary.KEY_TOKENS + " is missing");
            }
            return Availability.yes("SentencePiece-BPE vocabulary");
        } catch (RuntimeException e) {
            return Availability.no(e.getMessage());
        }
    }

    @Override
    public Tokenizer create(ModelFile model) {
        return new SpmTokenizer(Vocabulary.fromMetadata(model.metadata(), model.path().toString()));
    }
}
