package dev.mixtral4j.tokenizer;

import dev.mixtral4j.spi.ChatMessage;
import java.util.List;

/**
 * The Mistral Instruct chat format, for files without {@code tokenizer.chat_template}:
 * {@code <s>[INST] user [/INST] answer</s>[INST] next [/INST]}. A system prompt is folded into
 * the first user turn ({@code system + "\n\n" + user}), as Mistral's v1 instruct tokenizer does.
 * After the optional system message, turns must alternate user, assistant, user...
 *
 * <p>v1 vocabularies (Mistral 7B v0.1, Mixtral 8x7B) have no {@code [INST]} token: the markers
 * are plain text with spaces around them. v3 vocabularies have {@code [INST]} and {@code [/INST]}
 * as control tokens; the text after a control token gets SentencePiece's space prefix when
 * encoded, so the v3 spelling writes no spaces next to the markers.
 */
public final class MistralInstructFormat implements ChatFormatter {
    private final String bos;
    private final String eos;
    private final String open;
    private final String close;
    private final String answerSeparator;

    private MistralInstructFormat(String bos, String eos, String open, String close, String answerSeparator) {
        this.bos = bos;
        this.eos = eos;
        this.open = open;
        this.close = close;
        this.answerSeparator = answerSeparator;
    }

    /** Markers as text: {@code <s>[INST] user [/INST] answer</s>}. */
    public static MistralInstructFormat v1(String bos, String eos) {
        return new MistralInstructFormat(bos, eos, "[INST] ", " [/INST]", " ");
    }

    /** Markers as control tokens: {@code <s>[INST]user[/INST]answer</s>}. */
    public static MistralInstructFormat v3(String bos, String eos) {
        return new MistralInstructFormat(bos, eos, "[INST]", "[/INST]", "");
    }

    @Override
    public String render(List<? extends ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder(bos);
        String system = null;
        int first = 0;
        if (!messages.isEmpty() && messages.get(0).roleName().equals("system")) {
            system = messages.get(0).content();
            first = 1;
        }
        for (int i = first; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String expected = (i - first) % 2 == 0 ? "user" : "assistant";
            if (!m.roleName().equals(expected)) {
                throw new IllegalArgumentException("message " + i + " is " + m.roleName() + " but " + expected
                        + " was expected: after the optional system message, roles must alternate user/assistant");
            }
            if (m.roleName().equals("user")) {
                String content = system != null ? system + "\n\n" + m.content() : m.content();
                system = null;
                sb.append(open).append(content).append(close);
            } else {
                sb.append(answerSeparator).append(m.content()).append(eos);
            }
        }
        if (system != null) {
            // A conversation of only a system prompt: give it its own turn rather than lose it.
            sb.append(open).append(system).append(close);
        }
        // The prompt already ends with [/INST] when the last turn is the user's; nothing to add.
        return sb.toString();
    }
}
