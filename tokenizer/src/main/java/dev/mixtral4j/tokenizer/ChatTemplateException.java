package dev.mixtral4j.tokenizer;

import java.util.Objects;

/**
 * A chat template could not be rendered: it is malformed, it asked for something a template
 * may not do (load a resource), or it crossed one of its {@link ChatTemplateLimits}. The
 * {@link #reason()} says which; the message names the limit and its value, or the template's
 * line. (A template that rejects the conversation itself, with {@code raise_exception}, raises
 * an {@link IllegalArgumentException} instead: then the conversation is at fault.)
 */
public class ChatTemplateException extends RuntimeException {

    /** What stopped the rendering. */
    public enum Reason {
        /** {@code include}, {@code import}, {@code from} or {@code extends}: templates load nothing. */
        RESOURCE_LOADING,
        /** {@link ChatTemplateLimits#maxOutputChars()}: the output or a string built on the way. */
        OUTPUT_SIZE,
        /** {@link ChatTemplateLimits#maxCollectionSize()}. */
        COLLECTION_SIZE,
        /** {@link ChatTemplateLimits#maxNestingDepth()}. */
        NESTING_DEPTH,
        /** {@link ChatTemplateLimits#maxMacroRecursionDepth()}. */
        MACRO_RECURSION,
        /** {@link ChatTemplateLimits#maxRenderTime()}. */
        RENDER_TIME,
        /** The calling thread was interrupted while it waited for the rendering. */
        INTERRUPTED,
        /** Any other error of the template: syntax, an unknown filter, a failed expression. */
        TEMPLATE_ERROR
    }

    private final Reason reason;

    public ChatTemplateException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ChatTemplateException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
