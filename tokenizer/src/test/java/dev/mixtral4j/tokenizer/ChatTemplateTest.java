package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final List<Message> CONVERSATION = List.of(
            Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello"), Message.user("Bye"));

    /** Mixtral-8x7B-Instruct-v0.1's published Hugging Face chat template. */
    static final String MIXTRAL_INSTRUCT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private static String template(String name) throws IOException {
        Path p = TestVocabularies.llamaCppTemplates().resolve(name);
        assumeTrue(Files.isRegularFile(p), "missing template " + p);
        return Files.readString(p);
    }

    @Test
    void mistralInstructFallbackFoldsTheSystemPromptIntoTheFirstUserTurn() {
        SpmTokenizer t = TestVocabularies.mistral();
        assertEquals("<s>[INST] Be brief.\n\nHi [/INST] Hello</s>[INST] Bye [/INST]", t.applyChatTemplate(CONVERSATION, true));
        assertEquals("<s>[INST] Hi [/INST]", t.applyChatTemplate(List.of(Message.user("Hi")), true));
        assertEquals("<s>", t.applyChatTemplate(List.of(), true));
    }

    @Test
    void fallbackRejectsRolesThatDoNotAlternate() {
        SpmTokenizer t = TestVocabularies.mistral();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.applyChatTemplate(List.of(Message.user("a"), Message.user("b")), true));
        assertTrue(e.getMessage().contains("alternate"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> t.applyChatTemplate(List.of(Message.assistant("a")), true));
        assertThrows(IllegalArgumentException.class,
                () -> t.applyChatTemplate(List.of(Message.user("a"), Message.system("b")), true));
    }

    @Test
    void v3VocabularyUsesControlTokenMarkers() {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard()
                .add("[INST]", 0, TokenType.CONTROL).add("[/INST]", 0, TokenType.CONTROL)
                .add("[TOOL_CALLS]", 0, TokenType.CONTROL)
                .normal("▁", -100).normal("H", -50).normal("i", -51).normal("Hi", -2).normal("▁Hi", -1).normal("[", -60)
                .normal("I", -61).normal("N", -62).normal("S", -63).normal("T", -64).normal("]", -65);
        SpmTokenizer t = b.tokenizer();
        String prompt = t.applyChatTemplate(List.of(Message.user("Hi"), Message.assistant("Hi"), Message.user("Hi")), true);
        assertEquals("<s>[INST]Hi[/INST]Hi</s>[INST]Hi[/INST]", prompt);
        int inst = b.id("[INST]");
        int end = b.id("[/INST]");
        int hi = b.id("▁Hi");
        assertArrayEquals(new int[] {1, inst, hi, end, hi, 2, inst, hi, end}, t.encode(prompt, false, true));
        assertArrayEquals(new int[] {b.id("[TOOL_CALLS]"), hi}, t.encode("[TOOL_CALLS]Hi", false, true));
        // User text that spells a control token stays text unless the caller parses specials.
        int[] plain = t.encode("[INST]", false, false);
        for (int id : plain) {
            assertTrue(id != inst, "[INST] parsed from plain text");
        }
    }

    @Test
    void mixtralInstructJinjaTemplate() {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard().normal("▁", -1);
        b.template = MIXTRAL_INSTRUCT_TEMPLATE;
        SpmTokenizer t = b.tokenizer();
        assertTrue(t.hasChatTemplate());
        assertEquals("<s>[INST] Hi [/INST]Hello</s>[INST] Bye [/INST]",
                t.applyChatTemplate(CONVERSATION.subList(1, 4), true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.applyChatTemplate(CONVERSATION, true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void mistralNemoTemplateFromLlamaCpp() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(template("mistralai-Mistral-Nemo-Instruct-2407.jinja"), "<s>", "</s>");
        // Nemo puts the system prompt in the last user turn.
        assertEquals("<s>[INST]Hi[/INST]Hello</s>[INST]Be brief.\n\nBye[/INST]", t.render(CONVERSATION, true));
        assertEquals("<s>[INST]Hi[/INST]", t.render(List.of(Message.user("Hi")), true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(Message.user("a"), Message.user("b")), true));
        assertTrue(e.getMessage().contains("must alternate"), e.getMessage());
    }

    @Test
    void mistralSmall32TemplateFromLlamaCpp() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(template("Mistral-Small-3.2-24B-Instruct-2506.jinja"), "<s>", "</s>");
        assertEquals("<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello</s>[INST]Bye[/INST]",
                t.render(CONVERSATION, true));
        String dflt = t.render(List.of(Message.user("Hi")), true);
        assertTrue(dflt.startsWith("<s>[SYSTEM_PROMPT]You are Mistral Small 3"), dflt);
        assertTrue(dflt.contains("The current date is " + LocalDate.now() + "."), dflt);
        assertTrue(dflt.endsWith("[/SYSTEM_PROMPT][INST]Hi[/INST]"), dflt);
    }

    @Test
    void devstralTemplateFromLlamaCpp() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(template("unsloth-mistral-Devstral-Small-2507.jinja"), "<s>", "</s>");
        assertEquals("<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello</s>[INST]Bye[/INST]",
                t.render(CONVERSATION, true));
    }

    @Test
    void ministralTemplateFromLlamaCpp() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(template("mistralai-Ministral-3-14B-Reasoning-2512.jinja"), "<s>", "</s>");
        String out = t.render(CONVERSATION, true);
        assertTrue(out.startsWith("<s>[SYSTEM_PROMPT]Be brief."), out);
        assertTrue(out.endsWith("[INST]Hi[/INST]Hello</s>[INST]Bye[/INST]"), out);
    }
}
