package dev.mixtral4j.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.mixtral4j.spi.ChatMessage;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face chat template (the Jinja text of GGUF {@code tokenizer.chat_template})
 * rendered with Jinjava, in the environment transformers gives templates: {@code messages}
 * (maps with {@code role} and {@code content}), {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}, the functions {@code raise_exception} and
 * {@code strftime_now}, and {@code trim_blocks}/{@code lstrip_blocks} on.
 */
public final class JinjaChatTemplate implements ChatFormatter {
    private static final String RAISED = "mixtral4j-raise:";

    private final String template;
    private final String bos;
    private final String eos;
    private final Jinjava jinjava;

    public JinjaChatTemplate(String template, String bosToken, String eosToken) {
        this.template = Objects.requireNonNull(template, "template");
        this.bos = bosToken;
        this.eos = eosToken;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                // Python Jinja semantics where Jinjava's defaults differ: "{{-" trims, operator
                // precedence, iterating a dict gives its keys, tojson as Python writes it.
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class, "strftimeNow", String.class));
    }

    public String template() {
        return template;
    }

    @Override
    public String render(List<? extends ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.roleName());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", list);
        bindings.put("bos_token", bos);
        bindings.put("eos_token", eos);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(template, bindings);
        for (TemplateError e : result.getErrors()) {
            String raised = raisedMessage(e);
            if (raised != null) {
                throw new IllegalArgumentException("the chat template rejected the conversation: " + raised);
            }
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new IllegalStateException("the chat template failed at line " + e.getLineno() + ": " + e.getMessage());
            }
        }
        return result.getOutput();
    }

    private static String raisedMessage(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(RAISED)) {
                String m = t.getMessage();
                return m.substring(m.indexOf(RAISED) + RAISED.length());
            }
        }
        String m = e.getMessage();
        return m != null && m.contains(RAISED) ? m.substring(m.indexOf(RAISED) + RAISED.length()) : null;
    }

    /** Bound as {@code raise_exception(message)}. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(RAISED + message);
    }

    /** Bound as {@code strftime_now(format)}: today's date for the common Python date formats. */
    public static String strftimeNow(String format) {
        String pattern = format.replace("%Y", "yyyy").replace("%m", "MM").replace("%d", "dd")
                .replace("%B", "MMMM").replace("%b", "MMM").replace("%H", "HH").replace("%M", "mm");
        return LocalDate.now().atStartOfDay().format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH));
    }
}
