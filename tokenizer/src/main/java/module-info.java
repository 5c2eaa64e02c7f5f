/** SentencePiece-BPE tokenizer for Mistral/Llama vocabularies stored in GGUF; chat templates. */
module dev.mixtral4j.tokenizer {
    requires dev.mixtral4j.api;
    requires jinjava;

    exports dev.mixtral4j.tokenizer;

    provides dev.mixtral4j.spi.TokenizerProvider with dev.mixtral4j.tokenizer.SpmTokenizerProvider;
}
