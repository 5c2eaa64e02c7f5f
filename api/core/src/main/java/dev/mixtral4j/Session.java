package dev.mixtral4j;

import dev.mixtral4j.generation.Generation;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.KvSequence;
import dev.mixtral4j.generation.TokenListener;
import dev.mixtral4j.routing.RoutingListener;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.spi.Tokenizer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One conversation: a KV cache on a backend and the tokens in it.
 *
 * <p>Every prompt is the <em>whole</em> context to continue (for chat, the whole conversation):
 * the tokens it shares at the start with what the session already holds are not computed again,
 * so passing the previous prompt plus the reply plus a new message only costs the new part.
 *
 * <p>One generation runs at a time; {@link #cancel()} may be called from any thread. A session
 * can move to another backend with {@link #transferTo(Backend)}.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final BackendModel backendModel;
    private final SessionOptions options;
    private final KvSequence sequence;
    private final AtomicReference<Generation> running = new AtomicReference<>();
    private final List<RoutingListener> routingListeners;
    private volatile String closedBecause;

    Session(Model model, BackendModel backendModel, BackendSession session, SessionOptions options) {
        this(model, backendModel, new KvSequence(session), options);
    }

    private Session(Model model, BackendModel backendModel, KvSequence sequence, SessionOptions options) {
        this(model, backendModel, sequence, options, new CopyOnWriteArrayList<>());
    }

    private Session(Model model, BackendModel backendModel, KvSequence sequence, SessionOptions options,
                    List<RoutingListener> routingListeners) {
        this.routingListeners = routingListeners;
        this.model = model;
        this.backendModel = backendModel;
        this.sequence = sequence;
        this.options = options;
    }

    public Model model() {
        return model;
    }

    public Backend backend() {
        return backendModel.backend();
    }

    public SessionOptions options() {
        return options;
    }

    public int contextLength() {
        return sequence.contextLength();
    }

    /** The conversation so far as token ids: prompts and generated tokens (a final stop token included). */
    public int[] tokens() {
        return sequence.tokens();
    }

    /**
     * Makes the conversation exactly {@code prompt} (the whole context, as for {@link
     * #generate(int[], GenerationOptions, TokenListener)}: only what follows the cached common
     * prefix is computed) and returns the logits after its last token, for callers that sample
     * themselves, e.g. to then decode several sessions together with {@link Model#decodeTogether}.
     *
     * @throws IllegalStateException while a generation runs in this session, or once it is closed
     */
    public float[] prefill(int[] prompt) {
        ensureIdle();
        return sequence.prefill(prompt.clone(), () -> false);
    }

    /**
     * Generates from a text prompt, streaming to {@code listener}.
     *
     * @param prompt the whole context to continue, encoded with {@code options.addBos()} and
     *               {@code options.parseSpecial()}
     */
    public GenerationResult generate(String prompt, GenerationOptions options, TokenListener listener) {
        return stream(prompt, options).run(listener);
    }

    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, TokenListener.none());
    }

    /** Generates from token ids (no tokenizer needed; then the texts are empty). */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenListener listener) {
        return stream(prompt, options).run(listener);
    }

    /**
     * The generation as an iterator/stream, computed as it is consumed. Close it (or read it to
     * the end) before starting another generation in this session.
     */
    public Generation stream(String prompt, GenerationOptions options) {
        Tokenizer t = model.tokenizer();
        return start(t.encode(prompt, options.addBos(), options.parseSpecial()), options, t);
    }

    public Generation stream(int[] prompt, GenerationOptions options) {
        return start(prompt, options, model.findTokenizer().orElse(null));
    }

    /**
     * Continues a conversation: renders {@code messages} with the tokenizer's chat template (with
     * the assistant prompt opened), and generates the reply. Pass the whole conversation each
     * time, the previous replies included: the part already in the KV cache is reused.
     */
    public GenerationResult chat(List<Message> messages, GenerationOptions options, TokenListener listener) {
        return streamChat(messages, options).run(listener);
    }

    public GenerationResult chat(List<Message> messages, GenerationOptions options) {
        return chat(messages, options, TokenListener.none());
    }

    /**
     * The reply to a conversation as a {@link Generation}; the prompt is
     * {@link Model#chatTokens model().chatTokens(messages, options.addBos())}.
     */
    public Generation streamChat(List<Message> messages, GenerationOptions options) {
        return start(model.chatTokens(messages, options.addBos()), options, model.tokenizer());
    }

    private Generation start(int[] prompt, GenerationOptions requested, Tokenizer tokenizer) {
        ensureOpen();
        GenerationOptions options = requested.resolveSamplers(model.samplers());
        Generation[] holder = new Generation[1];
        Generation g = new Generation(sequence, tokenizer, prompt, options, () -> running.compareAndSet(holder[0], null));
        holder[0] = g;
        if (!running.compareAndSet(null, g)) {
            throw new IllegalStateException("a generation is already running in this session; read it to the end or "
                    + "close it first");
        }
        return g;
    }

    /**
     * Attaches a listener that receives, for every later forward call of this session (prompts and
     * generated tokens alike), which experts each layer chose for each token and their weights.
     * Several listeners may be attached; while none is, the backend spends nothing on routing.
     * Any thread; a forward call in flight completes with the listeners it started with.
     * Listeners stay attached across {@link #transferTo} when the new backend reports routing.
     *
     * @return the attachment; close it to detach
     * @throws UnsupportedOperationException when the backend does not report routing traces
     * @throws IllegalStateException for a dense model (no router) or a closed session
     */
    public RoutingSubscription attach(RoutingListener listener) {
        ensureOpen();
        java.util.Objects.requireNonNull(listener, "listener");
        if (!config().isMoe()) {
            throw new IllegalStateException(model.path().getFileName() + " is not a mixture of experts: it has no routing");
        }
        if (!backend().supportsRoutingTraces()) {
            throw new UnsupportedOperationException("backend '" + backend().id() + "' does not report routing traces");
        }
        routingListeners.add(listener);
        try {
            sequence.routingListener(fanOut());
        } catch (RuntimeException e) {
            routingListeners.remove(listener);
            throw e;
        }
        boolean[] closed = {false};
        return () -> {
            synchronized (closed) {
                if (closed[0]) {
                    return;
                }
                closed[0] = true;
            }
            routingListeners.remove(listener);
            if (closedBecause == null) {
                sequence.routingListener(routingListeners.isEmpty() ? null : fanOut());
            }
        };
    }

    private dev.mixtral4j.model.ModelConfig config() {
        return backendModel.config();
    }

    /** One listener for the backend that hands each trace to every attached listener. */
    private RoutingListener fanOut() {
        List<RoutingListener> listeners = routingListeners;
        return new RoutingListener() {
            @Override
            public void onRouting(RoutingTrace trace) {
                for (RoutingListener l : listeners) {
                    l.onRouting(trace);
                }
            }

            @Override
            public boolean wantsRouterProbabilities() {
                for (RoutingListener l : listeners) {
                    if (l.wantsRouterProbabilities()) {
                        return true;
                    }
                }
                return false;
            }
        };
    }

    /** Stops the running generation (if any) at its next step. Any thread. */
    public void cancel() {
        Generation g = running.get();
        if (g != null) {
            g.cancel();
        }
    }

    /** Forgets the conversation and empties the KV cache. */
    public void reset() {
        ensureIdle();
        sequence.keep(0);
    }

    /** {@link #transferTo(Backend)} by backend id, looked up in the model's {@link Backends}. */
    public Session transferTo(String backendId) {
        return transferTo(model.backends().get(backendId));
    }

    /**
     * Moves this conversation to another backend: the model is loaded there (once per model),
     * a session is opened, the cached tokens are computed there again, and this session is
     * closed. The returned session continues the same conversation; under greedy decoding its
     * next tokens are those this one would have produced, as far as the two backends agree.
     * When anything fails this session is left as it was.
     *
     * @return the new session, or this one when it already runs on {@code target}
     */
    public Session transferTo(Backend target) {
        ensureIdle();
        if (target.id().equals(backend().id())) {
            return this;
        }
        BackendModel targetModel = model.backendModel(target);
        BackendSession targetSession = targetModel.newSession(options);
        KvSequence moved;
        try {
            moved = sequence.replayInto(targetSession);
        } catch (RuntimeException | Error e) {
            targetSession.close();
            throw e;
        }
        Session next = model.register(new Session(model, targetModel, moved, options, routingListeners));
        if (!routingListeners.isEmpty()) {
            // attached after the replay, so that listeners do not see the history computed again
            if (target.supportsRoutingTraces()) {
                moved.routingListener(fanOut());
            } else {
                org.slf4j.LoggerFactory.getLogger(Session.class).warn(
                        "Mixtral4j: backend '{}' does not report routing traces; {} routing listener(s) will receive "
                                + "nothing after the transfer", target.id(), routingListeners.size());
            }
        }
        closedBecause = "session was transferred to backend '" + target.id() + "'; use the session transferTo returned";
        model.unregister(this);
        sequence.close();
        return next;
    }

    BackendModel backendModel() {
        return backendModel;
    }

    KvSequence sequence() {
        return sequence;
    }

    /** For {@link Model#decodeTogether}: open and no generation running, else says which session is not. */
    void ensureIdleForDecoding(int index) {
        String why = closedBecause;
        if (why != null) {
            throw new IllegalStateException("session " + index + ": " + why);
        }
        if (running.get() != null) {
            throw new IllegalStateException("session " + index + ": a generation is running in it");
        }
    }

    private void ensureOpen() {
        String why = closedBecause;
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    private void ensureIdle() {
        ensureOpen();
        if (running.get() != null) {
            throw new IllegalStateException("a generation is running in this session");
        }
    }

    void closeQuietly() {
        closedBecause = "session closed";
        sequence.close();
    }

    /**
     * Cancels a running generation and frees the KV cache. Idempotent. From another thread than
     * the generating one, waits for a forward call in flight to return first.
     */
    @Override
    public void close() {
        if (closedBecause != null) {
            return;
        }
        Generation g = running.get();
        if (g != null) {
            g.cancel();
        }
        closedBecause = "session closed";
        model.unregister(this);
        sequence.close();
    }

    @Override
    public String toString() {
        return "Session[" + backend().id() + ", " + sequence.size() + " tokens]";
    }
}
