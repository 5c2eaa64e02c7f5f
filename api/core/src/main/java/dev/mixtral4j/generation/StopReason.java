package dev.mixtral4j.generation;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced a token the tokenizer marks as end of generation (EOS, end of turn). */
    END_OF_GENERATION,
    /** The model produced one of {@link GenerationOptions#stopTokens()}. */
    STOP_TOKEN,
    /** The text produced one of {@link GenerationOptions#stopStrings()} (which is not emitted). */
    STOP_STRING,
    /** {@link GenerationOptions#maxTokens()} tokens were generated. */
    MAX_TOKENS,
    /** The session's KV cache is full. */
    CONTEXT_FULL,
    /** Cancelled from another thread or by closing the generation. */
    CANCELLED
}
