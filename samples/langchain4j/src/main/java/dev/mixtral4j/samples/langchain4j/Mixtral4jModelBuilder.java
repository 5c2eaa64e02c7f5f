package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.mixtral4j.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings both chat models share. The sampler defaults are llama.cpp's (temperature 0.8,
 * top-k 40, top-p 0.95, min-p 0.05, no penalties); a request's own parameters override them
 * field by field. Without a max output token count, generation ends at an end-of-turn token or
 * when the context is full.
 */
public abstract class Mixtral4jModelBuilder<B extends Mixtral4jModelBuilder<B>> {
    private final Model model;
    private final Mixtral4jChatRequestParameters.Builder defaults = Mixtral4jChatRequestParameters.builder()
            .temperature(0.8).topK(40).topP(0.95).minP(0.05);
    private final List<ChatModelListener> listeners = new ArrayList<>();
    private int sessions = 1;
    private int penaltyLastN = 64;

    Mixtral4jModelBuilder(Model model) {
        this.model = model;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Overrides the defaults with every field {@code parameters} sets. */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        defaults.overrideWith(parameters);
        return self();
    }

    /** The name reported in responses (default: the model file's name). */
    public B modelName(String name) {
        defaults.modelName(name);
        return self();
    }

    /** 0 for greedy decoding. */
    public B temperature(double t) {
        defaults.temperature(t);
        return self();
    }

    public B topP(double p) {
        defaults.topP(p);
        return self();
    }

    /** 0 turns top-k off. */
    public B topK(int k) {
        defaults.topK(k);
        return self();
    }

    public B minP(double p) {
        defaults.minP(p);
        return self();
    }

    public B maxOutputTokens(int n) {
        defaults.maxOutputTokens(n);
        return self();
    }

    public B stopSequences(List<String> stops) {
        defaults.stopSequences(stops);
        return self();
    }

    public B presencePenalty(double p) {
        defaults.presencePenalty(p);
        return self();
    }

    public B frequencyPenalty(double p) {
        defaults.frequencyPenalty(p);
        return self();
    }

    public B repeatPenalty(double p) {
        defaults.repeatPenalty(p);
        return self();
    }

    /** Seed of the random choice, for answers that repeat (default: a fresh one per request). */
    public B seed(long seed) {
        defaults.seed(seed);
        return self();
    }

    /** Tokens the penalties look back on (default 64, as llama.cpp's server). */
    public B penaltyLastN(int n) {
        this.penaltyLastN = n;
        return self();
    }

    /**
     * Requests answered at once, each in a session with its own KV cache (default 1: requests
     * take turns). Every session costs a KV cache of the model's context length.
     */
    public B sessions(int n) {
        this.sessions = n;
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners.addAll(listeners);
        return self();
    }

    ChatEngine engine() {
        return new ChatEngine(model, defaults.build(), sessions, penaltyLastN);
    }

    List<ChatModelListener> listeners() {
        return List.copyOf(listeners);
    }
}
