package dev.mixtral4j.samples.server;

import dev.mixtral4j.Session;

/**
 * One of the server's sessions. Between requests it keeps its KV cache, so the next request
 * that starts with the same tokens (the history of a chat) only computes what is new.
 */
final class Slot {
    final int id;
    final Session session;
    long lastUsed;
    boolean busy;

    Slot(int id, Session session) {
        this.id = id;
        this.session = session;
    }

    /** Tokens shared at the start of this slot's conversation and {@code prompt}. */
    int commonPrefix(int[] prompt) {
        int[] held = session.tokens();
        int n = Math.min(held.length, prompt.length);
        int i = 0;
        while (i < n && held[i] == prompt[i]) {
            i++;
        }
        return i;
    }
}
