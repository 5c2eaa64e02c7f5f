package dev.mixtral4j.samples.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.mixtral4j.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The StreamingChatModel through LangChain4j's handler interface. */
class Mixtral4jStreamingChatModelTest {
    @TempDir
    static Path dir;
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        model = TinyModel.load(TinyModel.write(dir));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** Collects what a handler receives. */
    static final class Collector implements StreamingChatResponseHandler {
        final List<String> pieces = new ArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        final int cancelAfter;

        Collector(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            pieces.add(partial.text());
            if (pieces.size() == cancelAfter) {
                context.streamingHandle().cancel();
            }
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }

        ChatResponse await() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void piecesAddUpToTheBlockingAnswer() throws Exception {
        String blocking;
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(16).build()) {
            blocking = chat.chat("Tell me a story");
        }
        try (Mixtral4jStreamingChatModel chat = Mixtral4jStreamingChatModel.builder(model).temperature(0)
                .maxOutputTokens(16).build()) {
            Collector c = new Collector(-1);
            chat.chat("Tell me a story", c);
            ChatResponse r = c.await();
            assertEquals(blocking, r.aiMessage().text());
            assertEquals(blocking, String.join("", c.pieces));
            assertTrue(c.pieces.size() > 1, "streamed in one piece: " + c.pieces);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(16, r.tokenUsage().outputTokenCount());
        }
    }

    @Test
    void theStreamingHandleCancelsTheGeneration() throws Exception {
        try (Mixtral4jStreamingChatModel chat = Mixtral4jStreamingChatModel.builder(model).temperature(0)
                .maxOutputTokens(200).build()) {
            Collector c = new Collector(2);
            chat.chat(ChatRequest.builder().messages(UserMessage.from("Go on and on")).build(), c);
            ChatResponse r = c.await();
            assertEquals(FinishReason.OTHER, r.finishReason());
            assertTrue(r.tokenUsage().outputTokenCount() < 200, r.tokenUsage()::toString);
            assertEquals(String.join("", c.pieces), r.aiMessage().text());
            // The session is free again: the next request runs.
            Collector next = new Collector(-1);
            chat.chat(ChatRequest.builder().messages(UserMessage.from("Again")).maxOutputTokens(3).build(), next);
            assertEquals(3, next.await().tokenUsage().outputTokenCount());
        }
    }

    @Test
    void failuresReachOnError() throws Exception {
        try (Mixtral4jStreamingChatModel chat = Mixtral4jStreamingChatModel.builder(model).build()) {
            Collector c = new Collector(-1);
            chat.chat(ChatRequest.builder().messages(UserMessage.from("x"))
                    .responseFormat(dev.langchain4j.model.chat.request.ResponseFormat.JSON).build(), c);
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, c::await);
            assertInstanceOf(UnsupportedFeatureException.class, e.getCause());
        }
    }
}
