package dev.mixtral4j.spi;

import java.util.List;

/** Text to token ids and back, for one vocabulary. Thread-safe. */
public interface Tokenizer {

    int vocabSize();

    int bosId();

    int eosId();

    /** True for tokens that end generation (EOS, end-of-turn tokens). */
    boolean isEndOfGeneration(int token);

    /**
     * Encodes text.
     *
     * @param addBos       prepend the BOS token
     * @param parseSpecial turn the text of control tokens (e.g. "[INST]") into their ids; leave
     *                     false for untrusted user text
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** Decodes ids to text, byte tokens reassembled as UTF-8; control tokens are skipped. */
    String decode(int[] tokens);

    /** The raw piece of a token as stored in the vocabulary (e.g. {@code "▁Hello"}, {@code "<0x0A>"}, {@code "</s>"}). */
    String piece(int token);

    /** A fresh decoder for a token stream that emits only complete UTF-8 characters. */
    StreamingDecoder newStreamingDecoder();

    /**
     * Renders a conversation with the model's chat template (or the Mistral Instruct format
     * when the file has none), ready to {@link #encode} with {@code parseSpecial = true}.
     */
    String applyChatTemplate(List<? extends ChatMessage> messages, boolean addGenerationPrompt);

    /** Incremental decoding of a token stream. */
    interface StreamingDecoder {
        /** Text completed by this token; empty while a UTF-8 sequence is still open. */
        String accept(int token);

        /** Whatever is still pending (incomplete bytes as U+FFFD). */
        String flush();
    }
}
