package dev.mixtral4j.tokenizer;

/**
 * The kind of a vocabulary entry, as stored in GGUF {@code tokenizer.ggml.token_type}
 * (the ids are SentencePiece's piece types shifted by one).
 */
public enum TokenType {
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    private final int id;

    TokenType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** The type with this GGUF id, or null when the id is not one of 1..6. */
    public static TokenType byId(int id) {
        return id >= 1 && id <= 6 ? values()[id - 1] : null;
    }
}
