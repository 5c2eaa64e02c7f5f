package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.mixtral4j.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The sandbox changes nothing for real templates: every chat template llama.cpp ships for its
 * tests (Mistral, Mixtral, Llama, Qwen, DeepSeek, Gemma...) renders exactly as it did with
 * the unbounded Jinjava configuration used before the sandbox, for every conversation where
 * that configuration rendered without errors.
 */
class RealTemplatesRenderAsBeforeTest {
    private static final List<List<Message>> CONVERSATIONS = List.of(
            List.of(Message.user("Hi")),
            List.of(Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello"), Message.user("Bye")));

    @Test
    void everyLlamaCppTemplateRendersAsWithoutTheSandbox() throws IOException {
        Path dir = TestVocabularies.llamaCppTemplates();
        List<Path> templates;
        try (Stream<Path> s = Files.list(dir)) {
            templates = s.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        int compared = 0;
        int mistral = 0;
        List<String> failures = new ArrayList<>();
        Jinjava before = unboundedJinjava();
        for (Path p : templates) {
            String text = Files.readString(p);
            JinjaChatTemplate sandboxed = new JinjaChatTemplate(text, "<s>", "</s>");
            for (List<Message> conversation : CONVERSATIONS) {
                for (boolean generationPrompt : new boolean[] {true}) {
                    RenderResult old = before.renderForResult(text, bindings(conversation, generationPrompt));
                    if (!old.getErrors().isEmpty()) {
                        continue; // the template rejects this conversation (or needs what we do not bind)
                    }
                    compared++;
                    if (p.getFileName().toString().toLowerCase(Locale.ROOT).contains("mistral")) {
                        mistral++;
                    }
                    try {
                        String now = sandboxed.render(conversation, generationPrompt);
                        if (!now.equals(old.getOutput())) {
                            failures.add(p.getFileName() + ": output differs");
                        }
                    } catch (RuntimeException e) {
                        failures.add(p.getFileName() + ": " + e);
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(mistral >= 5, "Mistral templates compared: " + mistral);
        assertTrue(compared >= 60, "renderings compared: " + compared);
    }

    @Test
    void mixtralInstructTemplateRendersAsBefore() {
        JinjaChatTemplate t = new JinjaChatTemplate(ChatTemplateTest.MIXTRAL_INSTRUCT_TEMPLATE, "<s>", "</s>");
        List<Message> c = List.of(Message.user("a"), Message.assistant("b"), Message.user("c"), Message.assistant("d"));
        assertEquals("<s>[INST] a [/INST]b</s>[INST] c [/INST]d</s>", t.render(c, true));
        assertEquals(unboundedJinjava().render(ChatTemplateTest.MIXTRAL_INSTRUCT_TEMPLATE, bindings(c, true)), t.render(c, true));
    }

    /** The configuration JinjaChatTemplate had before it was sandboxed. */
    private static Jinjava unboundedJinjava() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class, "strftimeNow", String.class));
        return j;
    }

    private static Map<String, Object> bindings(List<Message> messages, boolean generationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role().name().toLowerCase(Locale.ROOT));
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> b = new HashMap<>();
        b.put("messages", list);
        b.put("bos_token", "<s>");
        b.put("eos_token", "</s>");
        b.put("add_generation_prompt", generationPrompt);
        return b;
    }
}
