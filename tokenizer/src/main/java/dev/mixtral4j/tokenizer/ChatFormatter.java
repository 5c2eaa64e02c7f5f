package dev.mixtral4j.tokenizer;

import dev.mixtral4j.spi.ChatMessage;
import java.util.List;

/** Turns a conversation into the prompt text a model was trained on. */
public interface ChatFormatter {

    /**
     * The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the
     * assistant's next answer begins. Invalid conversations (roles that do not alternate, a
     * role the format has no place for) raise an {@link IllegalArgumentException}.
     */
    String render(List<? extends ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * The file's own Jinja template when it has one; otherwise the Mistral Instruct format,
     * in its v3 spelling when {@code [INST]} is a control token of the vocabulary.
     */
    static ChatFormatter forVocabulary(Vocabulary vocab) {
        String bos = vocab.bosId() >= 0 ? vocab.piece(vocab.bosId()) : "";
        String eos = vocab.eosId() >= 0 ? vocab.piece(vocab.eosId()) : "";
        if (vocab.chatTemplate().isPresent()) {
            return new JinjaChatTemplate(vocab.chatTemplate().get(), bos, eos);
        }
        boolean controlInst = vocab.find("[INST]", TokenType.CONTROL) >= 0;
        return controlInst ? MistralInstructFormat.v3(bos, eos) : MistralInstructFormat.v1(bos, eos);
    }
}
