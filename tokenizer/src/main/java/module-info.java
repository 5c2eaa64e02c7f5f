/** SentencePiece-BPE tokenizer for Mistral/Llama vocabularies stored in GGUF; chat templates. */
module dev.mixtral4j.tokenizer {
    requires dev.mixtral4j.api;

}
