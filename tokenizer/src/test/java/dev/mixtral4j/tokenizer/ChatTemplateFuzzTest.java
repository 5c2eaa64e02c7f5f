package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import dev.mixtral4j.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of the sandboxed template renderer: any template text, any
 * conversation. A rendering returns text within the output limit, or ends in a
 * {@link ChatTemplateException} (a template error or a limit) or an
 * {@link IllegalArgumentException} (the template rejected the conversation); nothing else may
 * come out, no {@code Error} above all (stack overflow, out of memory).
 *
 * <p>A normal build replays the seeds (the Mixtral instruct template, a recursive macro and the
 * attacks of ChatTemplateSandboxTest) and past findings ({@code ChatTemplateFuzzTestInputs});
 * {@code -Pfuzz} runs it coverage-guided from those seeds (docs/testing.md).
 */
class ChatTemplateFuzzTest {
    private static final ChatTemplateLimits LIMITS = new ChatTemplateLimits(4096, 64, 32, 8, Duration.ofMillis(100));

    static Stream<Arguments> rendersOrFailsWithAChatTemplateException() {
        return Stream.of(
                Arguments.of(ChatTemplateTest.MIXTRAL_INSTRUCT_TEMPLATE, List.of("Hi", "Hello", "Bye"), true),
                Arguments.of("{% for m in messages %}{{ '[INST] ' + m.content + ' [/INST]' if loop.index0 % 2 == 0 else m.content + eos_token }}"
                        + "{% endfor %}{% if add_generation_prompt %}{{ bos_token }}{% endif %}", List.of("a", "b"), false),
                Arguments.of("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ f(3) }}", List.of(), true),
                Arguments.of("{% include 'META-INF/MANIFEST.MF' %}", List.of("x"), true),
                Arguments.of("{% set s = 'ab' %}{% for i in range(64) %}{% set s = s + s %}{% endfor %}{{ s }}", List.of(), true),
                Arguments.of("{% set l = [1] %}{% for i in range(64) %}{% set l = l + l %}{% endfor %}{{ l|length }}", List.of(), true),
                Arguments.of("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", List.of(), true),
                Arguments.of("{% if true %}".repeat(100) + "{% endif %}".repeat(100), List.of(), true),
                Arguments.of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", List.of(), true));
    }

    @MethodSource
    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", "for ", " in ", "endfor", "if ", "elif", "else",
        "endif", "macro ", "endmacro", "set ", "endset", "call", "endcall", "filter ", "endfilter", "include ", "import ",
        "from ", "extends ", "block ", "endblock", "raw", "endraw", "do ", "range(", "messages", "message['role']",
        "message['content']", "loop.index0", "bos_token", "eos_token", "add_generation_prompt", "raise_exception(",
        "strftime_now(", "|length", "|join", "|tojson", "|trim", "|replace(", "|list", "|map(", "|selectattr(", ".append(",
        ".update(", " + ", " ~ ", " * ", "namespace(", "[INST]", "[/INST]", "'user'", "'assistant'", "'system'"})
    void rendersOrFailsWithAChatTemplateException(@NotNull String template, @NotNull List<@NotNull String> contents,
            boolean generationPrompt) {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < Math.min(4, contents.size()); i++) {
            String content = contents.get(i);
            messages.add(i % 2 == 0 ? Message.user(content) : Message.assistant(content));
        }
        JinjaChatTemplate t = new JinjaChatTemplate(template, "<s>", "</s>", LIMITS);
        long contentChars = messages.stream().mapToLong(m -> m.content().length()).sum();
        try {
            String out = t.render(messages, generationPrompt);
            assertTrue(out.length() <= LIMITS.maxOutputChars() + 2 * contentChars, () -> out.length() + " characters");
        } catch (ChatTemplateException | IllegalArgumentException expected) {
            // a clear failure is a correct outcome for an arbitrary template
        }
    }
}
