package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Message;
import dev.mixtral4j.tokenizer.ChatTemplateException.Reason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Hostile chat templates (the template comes from the model file): each attack ends in a
 * {@link ChatTemplateException} naming the limit it hit, quickly, and leaves nothing running.
 */
class ChatTemplateSandboxTest {
    private static final List<Message> HI = List.of(Message.user("Hi"));
    private static final ChatTemplateLimits FAST = ChatTemplateLimits.DEFAULT.withMaxRenderTime(Duration.ofMillis(300));

    private static ChatTemplateException fails(String template, Reason reason) {
        return fails(new JinjaChatTemplate(template, "<s>", "</s>", FAST), reason);
    }

    private static ChatTemplateException fails(JinjaChatTemplate t, Reason reason) {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertEquals(reason, e.reason(), e::toString);
        return e;
    }

    @Test
    void includeOfAClassPathResourceFailsInsteadOfPastingIt() {
        ChatTemplateException e = fails("{% include 'META-INF/MANIFEST.MF' %}", Reason.RESOURCE_LOADING);
        assertTrue(e.getMessage().contains("'META-INF/MANIFEST.MF'"), e.getMessage());
        assertFalse(e.getMessage().contains("Manifest-Version"), e.getMessage());
        fails("{% import 'META-INF/MANIFEST.MF' as m %}{{ m }}", Reason.RESOURCE_LOADING);
        fails("{% from 'META-INF/MANIFEST.MF' import x %}", Reason.RESOURCE_LOADING);
        fails("{% extends 'META-INF/MANIFEST.MF' %}", Reason.RESOURCE_LOADING);
    }

    @Test
    void nestedUnboundedLoopsStopAtTheRenderTimeLimit() {
        String loops = "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
                + "{% set x = a %}{% endfor %}{% endfor %}{% endfor %}";
        long start = System.nanoTime();
        ChatTemplateException e = fails(loops, Reason.RENDER_TIME);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
        // 10^15 iterations otherwise; the bound is the limit plus the watchdog's grace, with much
        // room for a loaded machine (the build shares two cores with others)
        assertTrue(ms < 60_000, "took " + ms + " ms");
        // loops without a body are checked where the outer loop steps
        fails("{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}", Reason.RENDER_TIME);
    }

    @Test
    void theRenderingThreadStopsAfterTheDeadline() throws InterruptedException {
        fails("{% for a in range(100000) %}{% for b in range(100000) %}{% set x = b %}{% endfor %}{% endfor %}",
                Reason.RENDER_TIME);
        long until = System.nanoTime() + 10_000_000_000L;
        while (renderingThreads() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(0, renderingThreads(), "a rendering thread is still running");
    }

    private static long renderingThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("mixtral4j-chat-template") && t.isAlive()).count();
    }

    @Test
    void stringDoublingStopsAtTheOutputLimit() {
        ChatTemplateException e = new ChatTemplateSandboxTest().doubling("'ab'", Reason.OUTPUT_SIZE);
        assertTrue(e.getMessage().contains("characters"), e.getMessage());
        // through a filter instead of an operator
        fails(new JinjaChatTemplate("{% set s = 'ab' %}{% for i in range(64) %}{% set s = [s, s]|join %}{% endfor %}{{ s }}",
                "", "", ChatTemplateLimits.DEFAULT), Reason.OUTPUT_SIZE);
        // or by printing a moderate string many times
        fails(new JinjaChatTemplate("{% set s = range(10000)|join('abcdefghijklmnop') %}"
                + "{% for i in range(10000) %}{{ s }}{% endfor %}", "", "", ChatTemplateLimits.DEFAULT), Reason.OUTPUT_SIZE);
    }

    @Test
    void listDoublingStopsAtTheCollectionLimit() {
        ChatTemplateException e = doubling("['a']", Reason.COLLECTION_SIZE);
        assertTrue(e.getMessage().contains("10000 entries"), e.getMessage());
        fails(new JinjaChatTemplate("{% set l = [] %}{% for i in range(100000) %}{% do l.append(i) %}{% endfor %}",
                "", "", ChatTemplateLimits.DEFAULT), Reason.COLLECTION_SIZE);
    }

    /** Doubling with the default limits: these, not only the test's, keep the heap safe. */
    private ChatTemplateException doubling(String seed, Reason reason) {
        String template = "{% set s = " + seed + " %}{% for i in range(64) %}{% set s = s + s %}{% endfor %}{{ s|length }}";
        return fails(new JinjaChatTemplate(template, "<s>", "</s>"), reason);
    }

    @Test
    void deepNestingFailsBeforeRendering() {
        int n = 5000;
        ChatTemplateException e = fails("{% if true %}".repeat(n) + "x" + "{% endif %}".repeat(n), Reason.NESTING_DEPTH);
        assertTrue(e.getMessage().contains("64"), e.getMessage());
        fails("{{ " + "(".repeat(n) + "1" + ")".repeat(n) + " }}", Reason.NESTING_DEPTH);
        fails("{{ " + "[".repeat(n) + "1" + "]".repeat(n) + " }}", Reason.NESTING_DEPTH);
        fails("{% for m in messages %}".repeat(n) + "{% endfor %}".repeat(n), Reason.NESTING_DEPTH);
        // brackets inside string literals are text, not nesting
        JinjaChatTemplate quoted = new JinjaChatTemplate("{{ '" + "(".repeat(n) + "'|length }}", "", "", FAST);
        assertEquals(String.valueOf(n), quoted.render(HI, true));
    }

    @Test
    void nestingWithinTheLimitRendersWhateverTheCallersStack() throws InterruptedException {
        int n = 60;
        JinjaChatTemplate t = new JinjaChatTemplate("{% if true %}".repeat(n) + "{{ messages[0].content }}"
                + "{% endif %}".repeat(n) + "{{ " + "(".repeat(n) + "1" + ")".repeat(n) + " }}", "", "");
        AtomicReference<Object> out = new AtomicReference<>();
        Thread small = new Thread(null, () -> {
            try {
                out.set(t.render(HI, true));
            } catch (Throwable e) {
                out.set(e);
            }
        }, "small-stack", 64 * 1024);
        small.start();
        small.join();
        assertEquals("Hi1", out.get());
    }

    @Test
    void aStackOverflowPastTheNestingCheckIsReportedAsNesting() {
        // With the nesting check lifted, the rendering thread's stack is the last line.
        int n = 200_000;
        ChatTemplateLimits unchecked = new ChatTemplateLimits(1 << 20, 10_000, Integer.MAX_VALUE, 32, Duration.ofSeconds(60));
        JinjaChatTemplate t = new JinjaChatTemplate("{% if true %}".repeat(n) + "x" + "{% endif %}".repeat(n), "", "", unchecked);
        ChatTemplateException e = fails(t, Reason.NESTING_DEPTH);
        assertTrue(e.getMessage().contains("stack"), e.getMessage());
    }

    @Test
    void infiniteMacroRecursionIsAnErrorNotAnEmptyPrompt() {
        ChatTemplateException e = fails("{% macro f(n) %}{{ f(n) }}{% endmacro %}[INST]{{ f(1) }}", Reason.MACRO_RECURSION);
        assertTrue(e.getMessage().contains("32"), e.getMessage());
        fails("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}", Reason.MACRO_RECURSION);
    }

    @Test
    void boundedMacroRecursionStillWorks() {
        // Templates print tool JSON schemas with recursive macros; Jinja allows it.
        JinjaChatTemplate t = new JinjaChatTemplate(
                "{% macro count(n) %}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ count(5) }}", "", "");
        assertEquals("012345", t.render(HI, true));
    }

    @Test
    void errorsJinjavaOnlyWarnsAboutAreErrors() {
        ChatTemplateException e = fails("[INST]{% if messages %}{{ messages[0].content }}", Reason.TEMPLATE_ERROR);
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        fails("{% no_such_tag %}", Reason.TEMPLATE_ERROR);
        fails("{{ 'a: 1'|fromyaml }}", Reason.TEMPLATE_ERROR);
        fails("{{ '{{ 1 }}'|render }}", Reason.TEMPLATE_ERROR);
    }

    @Test
    void theOutputLimitGrowsWithTheConversation() {
        ChatTemplateLimits small = ChatTemplateLimits.DEFAULT.withMaxOutputChars(100);
        JinjaChatTemplate t = new JinjaChatTemplate("{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}", "", "", small);
        String big = "x".repeat(50_000);
        assertEquals("[INST] " + big + " [/INST]", t.render(List.of(Message.user(big)), true));
        JinjaChatTemplate padding = new JinjaChatTemplate("{{ messages[0].content }}{% for i in range(1000) %}.{% endfor %}", "", "", small);
        assertTrue(fails(padding, Reason.OUTPUT_SIZE).getMessage().contains("104 characters"));
    }

    @Test
    void anInterruptedCallerStopsWaiting() throws InterruptedException {
        JinjaChatTemplate t = new JinjaChatTemplate("{% for a in range(100000) %}{% for b in range(100000) %}{% set x = b %}{% endfor %}{% endfor %}",
                "", "", ChatTemplateLimits.DEFAULT.withMaxRenderTime(Duration.ofSeconds(60)));
        AtomicReference<Object> out = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                out.set(t.render(HI, true));
            } catch (ChatTemplateException e) {
                out.set(e.reason() + " interrupted=" + Thread.currentThread().isInterrupted());
            }
        });
        caller.start();
        Thread.sleep(200);
        caller.interrupt();
        caller.join(10_000);
        assertFalse(caller.isAlive());
        assertEquals("INTERRUPTED interrupted=true", out.get());
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ChatTemplateLimits(0, 1, 1, 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplateLimits.DEFAULT.withMaxRenderTime(Duration.ZERO));
    }
}
