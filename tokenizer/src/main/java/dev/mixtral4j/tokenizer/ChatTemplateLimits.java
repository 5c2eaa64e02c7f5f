package dev.mixtral4j.tokenizer;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds on one rendering of a chat template. The template comes from the model file and is
 * untrusted: without bounds a few lines of Jinja loop forever, double a string until the heap
 * is gone, or nest until the stack overflows. A rendering that crosses a bound ends in a
 * {@link ChatTemplateException} naming it.
 *
 * @param maxOutputChars        rendered text and any string built on the way, beyond the
 *                              conversation itself: the bound for one rendering is this plus
 *                              twice the characters of the messages, so long conversations
 *                              still fit
 * @param maxCollectionSize     entries of a list or map a template builds, and of a
 *                              {@code range()}
 * @param maxNestingDepth       blocks inside blocks ({@code if}, {@code for}, {@code macro}...),
 *                              and brackets inside brackets within one expression
 * @param maxMacroRecursionDepth calls of a macro from within itself
 * @param maxRenderTime         wall-clock time of one rendering
 */
public record ChatTemplateLimits(
        long maxOutputChars,
        int maxCollectionSize,
        int maxNestingDepth,
        int maxMacroRecursionDepth,
        Duration maxRenderTime) {

    /**
     * Far above what published chat templates need (the Mistral, Llama, Qwen, DeepSeek and
     * Gemma templates that llama.cpp tests nest at most 7 blocks and render in milliseconds),
     * far below what hurts a host process.
     */
    public static final ChatTemplateLimits DEFAULT =
            new ChatTemplateLimits(1 << 20, 10_000, 64, 32, Duration.ofSeconds(5));

    public ChatTemplateLimits {
        Objects.requireNonNull(maxRenderTime, "maxRenderTime");
        if (maxOutputChars < 1 || maxCollectionSize < 1 || maxNestingDepth < 1 || maxMacroRecursionDepth < 1
                || maxRenderTime.isNegative() || maxRenderTime.isZero()) {
            throw new IllegalArgumentException("every chat template limit must be positive: " + this);
        }
    }

    public ChatTemplateLimits withMaxRenderTime(Duration d) {
        return new ChatTemplateLimits(maxOutputChars, maxCollectionSize, maxNestingDepth, maxMacroRecursionDepth, d);
    }

    public ChatTemplateLimits withMaxOutputChars(long n) {
        return new ChatTemplateLimits(n, maxCollectionSize, maxNestingDepth, maxMacroRecursionDepth, maxRenderTime);
    }
}
