package dev.mixtral4j.spi;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** The checks of {@link BackendModel#forwardEach}, shared by its default and {@link AbstractBackendModel}. */
final class SessionBatch {
    private SessionBatch() {
    }

    /** Same non-empty length, no null, no session twice (by identity: a session is its cache). */
    static void checkShape(List<? extends BackendSession> sessions, int[] tokens) {
        if (sessions == null || tokens == null) {
            throw new IllegalArgumentException("sessions and tokens must not be null");
        }
        if (sessions.isEmpty()) {
            throw new IllegalArgumentException("no sessions to decode");
        }
        if (sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokens.length
                    + " tokens: give one token per session");
        }
        Set<BackendSession> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < sessions.size(); i++) {
            BackendSession s = sessions.get(i);
            if (s == null) {
                throw new IllegalArgumentException("session " + i + " is null");
            }
            if (!seen.add(s)) {
                throw new IllegalArgumentException("session " + i + " is listed twice: a session decodes one token "
                        + "per step");
            }
        }
    }

    static void checkToken(int index, int token, int vocab) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token id " + token + " for session " + index
                    + " is outside the vocabulary [0, " + vocab + ")");
        }
    }

    static void checkRoom(int index, int position, int contextLength) {
        if (position >= contextLength) {
            throw new IllegalArgumentException("session " + index + " is full: its context of " + contextLength
                    + " tokens holds " + position + ", no room for one more");
        }
    }
}
