package dev.mixtral4j.spi;

/**
 * One turn of a conversation as a chat template sees it. The user-facing
 * {@code dev.mixtral4j.Message} implements it.
 */
public interface ChatMessage {

    /** "system", "user" or "assistant" (what chat templates compare {@code message.role} with). */
    String roleName();

    String content();
}
