package dev.mixtral4j.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.MacroTagCycleException;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import dev.mixtral4j.spi.ChatMessage;
import dev.mixtral4j.tokenizer.ChatTemplateException.Reason;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Hugging Face chat template (the Jinja text of GGUF {@code tokenizer.chat_template})
 * rendered with Jinjava, in the environment transformers gives templates: {@code messages}
 * (maps with {@code role} and {@code content}), {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}, the functions {@code raise_exception} and
 * {@code strftime_now}, and {@code trim_blocks}/{@code lstrip_blocks} on.
 *
 * <p>The template is untrusted input (it comes from the model file) and runs sandboxed: it
 * cannot load anything ({@code include}, {@code import}, {@code from}, {@code extends} fail),
 * Jinjava's {@code render} and {@code fromyaml} filters are off, and every rendering is bounded
 * by {@link ChatTemplateLimits}: output and string size, list and map size, block and bracket
 * nesting, macro recursion and wall-clock time. Any error the template makes, even one Jinjava
 * would only warn about (a macro cut off at the recursion limit renders as ""), ends the
 * rendering with a {@link ChatTemplateException}; a conversation the template rejects with
 * {@code raise_exception} ends it with an {@link IllegalArgumentException}.
 */
public final class JinjaChatTemplate implements ChatFormatter {
    private static final String RAISED = "mixtral4j-raise:";
    /** Jinja filters Jinjava adds that a chat template has no use for: nested rendering, YAML parsing. */
    private static final Set<String> DISABLED_FILTERS = Set.of("render", "fromyaml");

    /**
     * One engine for all templates: its functions and its refusing resource locator are the same
     * for every template, and each rendering passes its own configuration (its limits).
     */
    private static final Jinjava JINJAVA = newJinjava();

    private final String template;
    private final String bos;
    private final String eos;
    private final ChatTemplateLimits limits;
    /** Set once the template's nesting has been checked (on the first rendering). */
    private volatile boolean nestingChecked;

    public JinjaChatTemplate(String template, String bosToken, String eosToken) {
        this(template, bosToken, eosToken, ChatTemplateLimits.DEFAULT);
    }

    public JinjaChatTemplate(String template, String bosToken, String eosToken, ChatTemplateLimits limits) {
        this.template = Objects.requireNonNull(template, "template");
        this.bos = bosToken;
        this.eos = eosToken;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    private static Jinjava newJinjava() {
        Jinjava jinjava = new Jinjava(config(ChatTemplateLimits.DEFAULT, ChatTemplateLimits.DEFAULT.maxOutputChars()));
        jinjava.setResourceLocator((name, charset, interpreter) -> {
            throw new ChatTemplateException(Reason.RESOURCE_LOADING,
                    "the chat template tried to load '" + name + "': chat templates may not load resources");
        });
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class, "strftimeNow", String.class));
        return jinjava;
    }

    private static JinjavaConfig config(ChatTemplateLimits limits, long maxChars) {
        return JinjavaConfig.newBuilder()
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
                .withMaxOutputSize(maxChars)
                .withMaxStringLength(maxChars)
                .withMaxListSize(limits.maxCollectionSize())
                .withMaxMapSize(limits.maxCollectionSize())
                .withRangeLimit(limits.maxCollectionSize())
                // Jinja allows recursive macros (templates use them to print JSON schemas);
                // Jinjava would refuse them outright, but only with a warning and "" as output.
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(limits.maxMacroRecursionDepth())
                .withDisabled(Map.of(Context.Library.FILTER, DISABLED_FILTERS))
                .withProcessors(JinjavaProcessors.newBuilder()
                        .withNodePreProcessor((node, interpreter) -> BoundedRendering.checkpoint())
                        .build())
                .build();
    }

    public String template() {
        return template;
    }

    public ChatTemplateLimits limits() {
        return limits;
    }

    @Override
    public String render(List<? extends ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>();
        long contentChars = 0;
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.roleName());
            map.put("content", m.content());
            list.add(map);
            contentChars += m.content().length();
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", list);
        bindings.put("bos_token", bos);
        bindings.put("eos_token", eos);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        long maxChars = Math.min(Integer.MAX_VALUE - 8L, limits.maxOutputChars() + 2 * contentChars);
        return BoundedRendering.run(() -> renderHere(bindings, maxChars), limits.maxRenderTime());
    }

    private String renderHere(Map<String, Object> bindings, long maxChars) {
        if (!nestingChecked) {
            checkNesting();
            nestingChecked = true;
        }
        RenderResult result = JINJAVA.renderForResult(template, bindings, config(limits, maxChars));
        for (TemplateError e : result.getErrors()) {
            String raised = raisedMessage(e);
            if (raised != null) {
                throw new IllegalArgumentException("the chat template rejected the conversation: " + raised);
            }
        }
        if (!result.getErrors().isEmpty()) {
            throw toException(result.getErrors().getFirst(), maxChars);
        }
        if (result.getOutput().length() > maxChars) {
            throw outputTooBig(maxChars, null);
        }
        return result.getOutput();
    }

    private void checkNesting() {
        JinjavaInterpreter interpreter = new JinjavaInterpreter(JINJAVA, JINJAVA.getGlobalContextCopy(),
                config(limits, limits.maxOutputChars()));
        JinjavaInterpreter.pushCurrent(interpreter);
        Node root;
        try {
            root = interpreter.parse(template);
        } catch (RuntimeException e) {
            // the parser throws for some malformed tags ("{%}") instead of recording an error
            throw new ChatTemplateException(Reason.TEMPLATE_ERROR, "the chat template does not parse: " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        TemplateNesting.check(root, limits.maxNestingDepth());
    }

    private ChatTemplateException toException(TemplateError e, long maxChars) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException c) {
                return new ChatTemplateException(c.reason(), c.getMessage(), c);
            }
            if (t instanceof OutputTooBigException) {
                return outputTooBig(maxChars, t);
            }
            if (t instanceof CollectionTooBigException) {
                return new ChatTemplateException(Reason.COLLECTION_SIZE, "the chat template built a list or map past its limit of "
                        + limits.maxCollectionSize() + " entries (line " + e.getLineno() + ")", t);
            }
            if (t instanceof MacroTagCycleException) {
                return new ChatTemplateException(Reason.MACRO_RECURSION, "the chat template's macro recursion passed its limit of "
                        + limits.maxMacroRecursionDepth() + " calls: " + e.getMessage() + " (line " + e.getLineno() + ")", t);
            }
        }
        return switch (e.getReason()) {
            case OUTPUT_TOO_BIG -> outputTooBig(maxChars, e.getException());
            case COLLECTION_TOO_BIG -> new ChatTemplateException(Reason.COLLECTION_SIZE, "the chat template built a list or map past its limit of "
                    + limits.maxCollectionSize() + " entries (line " + e.getLineno() + ")", e.getException());
            default -> new ChatTemplateException(Reason.TEMPLATE_ERROR,
                    "the chat template failed at line " + e.getLineno() + ": " + e.getMessage(), e.getException());
        };
    }

    private ChatTemplateException outputTooBig(long maxChars, Throwable cause) {
        return new ChatTemplateException(Reason.OUTPUT_SIZE, "the chat template's output or a string it built passed its limit of "
                + maxChars + " characters (" + limits.maxOutputChars() + " plus twice the conversation's)", cause);
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
