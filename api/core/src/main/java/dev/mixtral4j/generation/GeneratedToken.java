package dev.mixtral4j.generation;

/**
 * One step of a generation as streamed to a {@link TokenListener} or an iterator.
 *
 * <p>{@code text} is the text that became safe to show at this step: it may be empty (a UTF-8
 * character still incomplete, or text held back because it could be the start of a stop string)
 * or hold text of earlier tokens released now. Concatenating every {@code text} gives exactly
 * {@link GenerationResult#text()}. A generation may end with one text-only event ({@code id == -1},
 * see {@link #isToken()}) that releases what was still held back when it was cancelled.
 *
 * @param id    the token id, or -1 for the text-only final event
 * @param text  text released at this step, never null
 * @param index 0-based number of this generated token (for the text-only event: the token count)
 */
public record GeneratedToken(int id, String text, int index) {

    public static final int NO_TOKEN = -1;

    public GeneratedToken {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
    }

    /** False only for the text-only event that may close a cancelled generation. */
    public boolean isToken() {
        return id != NO_TOKEN;
    }
}
