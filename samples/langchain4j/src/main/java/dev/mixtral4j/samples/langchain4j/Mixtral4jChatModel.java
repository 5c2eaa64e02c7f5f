package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.mixtral4j.Model;
import java.util.List;

/**
 * A LangChain4j {@link ChatModel} answering with a Mixtral4j {@link Model} loaded in this JVM:
 * no server, no HTTP. Messages are rendered with the model's chat template; temperature, top-p,
 * top-k, max output tokens, stop sequences, presence and frequency penalties map onto the sampler
 * chain (seed, min-p and repetition penalty through {@link Mixtral4jChatRequestParameters}); the
 * response reports token usage and the finish reason (STOP, LENGTH).
 *
 * <pre>{@code
 * try (Model model = Mixtral4j.load(Path.of("mixtral.gguf"), LoadOptions.defaults());
 *      Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0.7).build()) {
 *     String answer = chat.chat("Bonjour !");
 * }
 * }</pre>
 *
 * <p>Thread-safe: concurrent requests each get a session of their own, up to
 * {@link Mixtral4jModelBuilder#sessions(int)}. Closing frees those sessions, not the model.
 */
public final class Mixtral4jChatModel implements ChatModel, AutoCloseable {
    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;

    private Mixtral4jChatModel(Builder b) {
        this.engine = b.engine();
        this.listeners = b.listeners();
    }

    public static Builder builder(Model model) {
        return new Builder(model);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return engine.chat(request, text -> { }, null);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return engine.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The Mixtral4j model answering. */
    public Model model() {
        return engine.model();
    }

    @Override
    public void close() {
        engine.close();
    }

    public static final class Builder extends Mixtral4jModelBuilder<Builder> {
        private Builder(Model model) {
            super(model);
        }

        public Mixtral4jChatModel build() {
            return new Mixtral4jChatModel(this);
        }
    }
}
