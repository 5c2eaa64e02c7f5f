package dev.mixtral4j;

import dev.mixtral4j.generation.KvSequence;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.sampling.SamplerRegistry;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model file opened for generation. It owns the {@link ModelFile}, one {@link BackendModel} per
 * backend it was loaded on (the one chosen at load time first, others when a session is
 * {@linkplain Session#transferTo transferred}), and the sessions made from it; {@link #close()}
 * closes the sessions, then the backend models, then the file. Thread-safe.
 */
public final class Model implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Model.class);

    private final ModelFile file;
    private final LoadOptions options;
    private final Backends backends;
    private final List<TokenizerProvider> tokenizerProviders;
    private final Backend backend;
    private final Map<String, BackendModel> loaded = new LinkedHashMap<>();
    private final Set<Session> sessions = new LinkedHashSet<>();
    private Tokenizer tokenizer;
    private String tokenizerProblem;
    private boolean closed;

    private final SamplerRegistry samplers;

    Model(ModelFile file, LoadOptions options, Backends backends, List<TokenizerProvider> tokenizers,
          SamplerRegistry samplers, Backend backend, BackendModel loadedOnBackend) {
        this.file = file;
        this.options = options;
        this.backends = backends;
        this.tokenizerProviders = tokenizers;
        this.samplers = samplers;
        this.backend = backend;
        this.loaded.put(backend.id(), loadedOnBackend);
    }

    /** The samplers that sampler names of generation options are looked up in (see {@link ModelLoader#samplers()}). */
    public SamplerRegistry samplers() {
        return samplers;
    }

    public Path path() {
        return file.path();
    }

    public ModelFile file() {
        return file;
    }

    public ModelConfig config() {
        return file.config();
    }

    public LoadOptions options() {
        return options;
    }

    /** The backend chosen at load time; new sessions run there. */
    public Backend backend() {
        return backend;
    }

    /** The backends this model may move sessions to. */
    public Backends backends() {
        return backends;
    }

    /**
     * The tokenizer of the highest-ranked {@link TokenizerProvider} that supports this file.
     *
     * @throws IllegalStateException naming each provider's reason when none does (token-level
     *         APIs such as {@link Session#generate(int[], dev.mixtral4j.generation.GenerationOptions,
     *         dev.mixtral4j.generation.TokenListener)} still work)
     */
    public Tokenizer tokenizer() {
        return findTokenizer().orElseThrow(() -> new IllegalStateException(tokenizerProblem));
    }

    /** The tokenizer, or empty when no provider supports this file (see {@link #tokenizer()}). */
    public synchronized Optional<Tokenizer> findTokenizer() {
        if (tokenizer == null && tokenizerProblem == null) {
            List<String> reasons = new ArrayList<>();
            for (TokenizerProvider p : tokenizerProviders) {
                String id = safeId(p);
                try {
                    Availability a = p.supports(file);
                    if (a == null || !a.available()) {
                        reasons.add(id + ": " + (a == null ? "no answer" : a.reason()));
                        continue;
                    }
                    tokenizer = p.create(file);
                    LOG.debug("Mixtral4j: tokenizer {} for {}", id, file.path());
                    break;
                } catch (RuntimeException e) {
                    reasons.add(id + ": failed: " + Backends.oneLine(e));
                }
            }
            if (tokenizer == null) {
                tokenizerProblem = "no tokenizer for " + file.path().getFileName() + ": " + (reasons.isEmpty()
                        ? "no TokenizerProvider found (add mixtral4j-tokenizer to the class path or module path)"
                        : String.join("; ", reasons));
            }
        }
        return Optional.ofNullable(tokenizer);
    }

    /**
     * The prompt tokens of a conversation, exactly as {@link Session#chat} and
     * {@link Session#streamChat} feed them to the model: {@code messages} rendered with the
     * tokenizer's chat template with the assistant's turn opened, encoded with the template's
     * control tokens parsed (the template is ours, not the user's text), and BOS put first when
     * {@code addBos} and the template did not write it already (so it is never doubled).
     *
     * <p>For callers that need the tokens before they have a session, e.g. a server choosing the
     * session whose cached conversation shares the longest start with a new request; the tokens
     * then go to {@link Session#stream(int[], dev.mixtral4j.generation.GenerationOptions)}.
     *
     * @throws IllegalArgumentException when {@code messages} is empty
     * @throws IllegalStateException when no tokenizer reads this file (see {@link #tokenizer()})
     * @throws RuntimeException whatever the template refuses (e.g. roles that do not alternate),
     *         from {@link Tokenizer#applyChatTemplate}
     */
    public int[] chatTokens(List<Message> messages, boolean addBos) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("no messages");
        }
        Tokenizer t = tokenizer();
        int[] tokens = t.encode(t.applyChatTemplate(messages, true), false, true);
        if (addBos && (tokens.length == 0 || tokens[0] != t.bosId())) {
            int[] withBos = new int[tokens.length + 1];
            withBos[0] = t.bosId();
            System.arraycopy(tokens, 0, withBos, 1, tokens.length);
            tokens = withBos;
        }
        return tokens;
    }

    private static String safeId(TokenizerProvider p) {
        try {
            return p.id();
        } catch (RuntimeException e) {
            return p.getClass().getName();
        }
    }

    /** Session settings from the load options: context (0 means the model's), KV type, batch size. */
    public SessionOptions defaultSessionOptions() {
        int ctx = options.contextLength() > 0 ? options.contextLength() : config().contextLength();
        return new SessionOptions(ctx, options.kvCacheType(), options.batchSize());
    }

    public Session newSession() {
        return newSession(defaultSessionOptions());
    }

    /** A new conversation on {@link #backend()} with its own KV cache. */
    public Session newSession(SessionOptions sessionOptions) {
        return newSession(backend, sessionOptions);
    }

    /** A new conversation on another backend (the model is loaded there first if needed). */
    public Session newSession(Backend on, SessionOptions sessionOptions) {
        BackendModel bm = backendModel(on);
        BackendSession bs = bm.newSession(sessionOptions);
        return register(new Session(this, bm, bs, sessionOptions));
    }

    /**
     * One decoding step of several conversations at once: {@code tokens[i]} is appended to
     * {@code sessions.get(i)} and computed, and entry {@code i} of the result is the logits after
     * it ({@code vocabSize} floats, to sample the session's next token from). Each session is at
     * its own position; the backend runs the step as one pass where it can ({@link
     * BackendModel#forwardEach}: the java backend reads each weight the step needs once for all the
     * sessions, where decoding them in turn reads it once per session; for a mixture of experts
     * the experts chosen by several sessions are shared, the others are not), and otherwise one
     * session after the other, with the same results.
     *
     * <p>A session whose last generated token is not computed yet (a generation stopped with it)
     * gets it computed first, in one step with the others in that case. Start a conversation with
     * {@link Session#prefill(int[])} (or a generation), then sample and call this in a loop.
     *
     * @throws IllegalArgumentException when the lists differ in length or are empty, a session is
     *         listed twice, belongs to another model or runs on another backend than the first,
     *         a token id is outside the vocabulary or a session's context is full
     * @throws IllegalStateException    for a closed model or session, or one with a generation running
     */
    public List<float[]> decodeTogether(List<Session> sessions, int[] tokens) {
        ensureOpen();
        if (sessions == null || tokens == null || sessions.isEmpty()) {
            throw new IllegalArgumentException("no sessions to decode");
        }
        if (sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokens.length
                    + " tokens: give one token per session");
        }
        BackendModel on = null;
        List<KvSequence> sequences = new ArrayList<>(sessions.size());
        java.util.Set<Session> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            if (s == null || s.model() != this) {
                throw new IllegalArgumentException("session " + i + " does not belong to " + this);
            }
            if (!seen.add(s)) {
                throw new IllegalArgumentException("session " + i + " is listed twice: a session decodes one token "
                        + "per step");
            }
            s.ensureIdleForDecoding(i);
            if (on == null) {
                on = s.backendModel();
            } else if (s.backendModel() != on) {
                throw new IllegalArgumentException("session " + i + " runs on backend '" + s.backend().id()
                        + "' and session 0 on '" + on.backend().id() + "': sessions decode together on one backend");
            }
            sequences.add(s.sequence());
        }
        return KvSequence.decodeTogether(on, sequences, tokens);
    }

    /** This model loaded on {@code on}: loaded once, then reused. */
    public synchronized BackendModel backendModel(Backend on) {
        ensureOpen();
        BackendModel bm = loaded.get(on.id());
        if (bm == null) {
            bm = ModelLoader.loadOn(on, file, options);
            loaded.put(on.id(), bm);
        }
        return bm;
    }

    /** Ids of the backends this model is loaded on, in loading order. */
    public synchronized List<String> loadedBackends() {
        return List.copyOf(loaded.keySet());
    }

    synchronized Session register(Session s) {
        if (closed) {
            s.closeQuietly();
            throw new IllegalStateException("model " + file.path().getFileName() + " is closed");
        }
        sessions.add(s);
        return s;
    }

    synchronized void unregister(Session s) {
        sessions.remove(s);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model " + file.path().getFileName() + " is closed");
        }
    }

    /** Closes every open session, then every backend model, then the file. Idempotent. */
    @Override
    public void close() {
        List<Session> open;
        synchronized (this) {
            if (closed && loaded.isEmpty()) {
                return;
            }
            open = new ArrayList<>(sessions);
        }
        RuntimeException failure = null;
        for (Session s : open) {
            try {
                s.close();
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        synchronized (this) {
            closed = true;
            List<BackendModel> models = new ArrayList<>(loaded.values());
            java.util.Collections.reverse(models);
            for (BackendModel bm : models) {
                try {
                    bm.close();
                } catch (RuntimeException e) {
                    failure = add(failure, e);
                }
            }
            loaded.clear();
            file.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException add(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public String toString() {
        return "Model[" + file.path().getFileName() + " on " + backend.id() + "]";
    }
}
