package dev.mixtral4j.spi;

import dev.mixtral4j.model.ModelConfig;
import java.util.List;

/** A model loaded into a backend. Thread-safe: sessions may run on different threads. */
public interface BackendModel extends AutoCloseable {

    Backend backend();

    ModelConfig config();

    /** A new session with its own KV cache. */
    BackendSession newSession(SessionOptions options);

    /**
     * One decoding step of several sessions of this model at once: {@code tokens[i]} is run in
     * {@code sessions.get(i)} at that session's {@link BackendSession#position()}, and each
     * session's position advances by one. Row {@code i} of the result holds the logits after
     * {@code tokens[i]}. A backend that computes the step as one pass reads each weight once for
     * all sessions instead of once per session (decode is bound by that reading), which is what
     * makes serving several conversations at once cheaper than serving them in turn.
     *
     * <p>Everything is checked before anything is computed: the lists are the same non-empty
     * length, no session appears twice, every token id is in the vocabulary and every session has
     * room for one more token. When the computation fails, no session counts the token as cached.
     *
     * <p>This default runs the sessions one after the other through {@link BackendSession#forward}
     * (so any backend supports the call), and when one fails it truncates those already advanced
     * back to their positions. {@link AbstractBackendModel} replaces it: it also refuses sessions
     * of another model and closed sessions, holds every session for the whole call (a
     * {@code close} waits for it), and lets the backend compute the step in one pass
     * ({@link AbstractBackendModel#computeEach}).
     *
     * @return {@code sessions.size()} rows of logits, in the order of {@code sessions}
     * @throws IllegalArgumentException for an empty or mismatched input, a session listed twice,
     *         a token id outside the vocabulary, a full session, or (where the model can tell)
     *         a session of another model
     * @throws IllegalStateException    for a closed session or model
     */
    default Logits forwardEach(List<? extends BackendSession> sessions, int[] tokens) {
        SessionBatch.checkShape(sessions, tokens);
        int vocab = config().vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            SessionBatch.checkToken(i, tokens[i], vocab);
            BackendSession s = sessions.get(i);
            SessionBatch.checkRoom(i, s.position(), s.contextLength());
        }
        int n = tokens.length;
        float[] out = new float[n * vocab];
        int[] before = new int[n];
        int advanced = 0;
        try {
            for (int i = 0; i < n; i++) {
                BackendSession s = sessions.get(i);
                before[i] = s.position();
                Logits l = s.forward(new int[] {tokens[i]}, before[i], false);
                advanced = i + 1;
                if (l.vocabSize() != vocab) {
                    throw new IllegalArgumentException("session " + i + " returned " + l.vocabSize() + " logits, this "
                            + "model has a vocabulary of " + vocab + ": it belongs to another model");
                }
                System.arraycopy(l.data(), l.data().length - vocab, out, i * vocab, vocab);
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < advanced; i++) {
                try {
                    BackendSession s = sessions.get(i);
                    if (s.position() > before[i]) {
                        s.truncate(before[i]);
                    }
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            throw e;
        }
        return new Logits(n, vocab, out);
    }

    /** Frees what the backend holds for this model; open sessions become unusable. */
    @Override
    void close();
}
