package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.mixtral4j.Model;
import dev.mixtral4j.generation.CancelHandle;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * A LangChain4j {@link StreamingChatModel} over a Mixtral4j {@link Model} in this JVM: the text
 * reaches {@link StreamingChatResponseHandler#onPartialResponse} as it is generated (a piece is
 * passed on once it is final: a UTF-8 character split across tokens, or text that could still
 * turn into a stop sequence, waits), then {@code onCompleteResponse} gets the whole answer with
 * token usage and finish reason. Generation runs on the builder's executor (a new virtual
 * thread per request by default), so {@code chat} returns at once. The handle in each
 * {@link PartialResponseContext} cancels the generation (finish reason OTHER).
 *
 * <p>Parameters and sessions as in {@link Mixtral4jChatModel}.
 */
public final class Mixtral4jStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;
    private final Executor executor;

    private Mixtral4jStreamingChatModel(Builder b) {
        this.engine = b.engine();
        this.listeners = b.listeners();
        this.executor = b.executor != null ? b.executor : Executors.newVirtualThreadPerTaskExecutor();
    }

    public static Builder builder(Model model) {
        return new Builder(model);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        CancelHandle cancel = new CancelHandle();
        StreamingHandle handle = new StreamingHandle() {
            @Override
            public void cancel() {
                cancel.cancel();
            }

            @Override
            public boolean isCancelled() {
                return cancel.isCancelled();
            }
        };
        PartialResponseContext context = new PartialResponseContext(handle);
        executor.execute(() -> {
            ChatResponse response;
            try {
                response = engine.chat(request, text -> handler.onPartialResponse(new PartialResponse(text), context),
                        cancel);
            } catch (RuntimeException | Error e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(response);
        });
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
        private Executor executor;

        private Builder(Model model) {
            super(model);
        }

        /** Where generations run (default: a new virtual thread each). */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        public Mixtral4jStreamingChatModel build() {
            return new Mixtral4jStreamingChatModel(this);
        }
    }
}
