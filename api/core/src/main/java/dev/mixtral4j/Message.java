package dev.mixtral4j;

import dev.mixtral4j.spi.ChatMessage;
import java.util.Locale;
import java.util.Objects;

/** One turn of a conversation. */
public record Message(Role role, String content) implements ChatMessage {

    public enum Role { SYSTEM, USER, ASSISTANT }

    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /** The role as chat templates name it: "system", "user" or "assistant". */
    @Override
    public String roleName() {
        return role.name().toLowerCase(Locale.ROOT);
    }

    public static Message system(String content) {
        return new Message(Role.SYSTEM, content);
    }

    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }
}
