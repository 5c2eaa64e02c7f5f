package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.mixtral4j.Message;
import dev.mixtral4j.generation.GenerationResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI chat models pointed at a running server: plain, streamed, concurrent, cancelled. */
class LangChain4jClientTest {
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(2, 8);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static OpenAiChatModel chatModel(TestServer s, int maxTokens) {
        return OpenAiChatModel.builder().baseUrl(s.baseUrl()).apiKey("not-needed").modelName(s.server.modelId())
                .temperature(0.0).maxTokens(maxTokens).maxRetries(0).timeout(Duration.ofSeconds(120)).build();
    }

    static OpenAiStreamingChatModel streamingModel(TestServer s, int maxTokens, Map<String, Object> custom) {
        return OpenAiStreamingChatModel.builder().baseUrl(s.baseUrl()).apiKey("not-needed")
                .modelName(s.server.modelId()).temperature(0.0).maxTokens(maxTokens).customParameters(custom)
                .timeout(Duration.ofSeconds(120)).build();
    }

    /** Streams one request; the future completes with the response, or fails with the error. */
    static CompletableFuture<ChatResponse> stream(OpenAiStreamingChatModel model, List<dev.langchain4j.data.message.ChatMessage> messages,
                                                  StringBuilder partials) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(messages, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                synchronized (partials) {
                    partials.append(partial);
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
        });
        return done;
    }

    @Test
    void chatModelAnswersAsTheModelDoesInProcess() {
        ChatResponse r = chatModel(server, 8).chat(SystemMessage.from("Be brief."), UserMessage.from("Hello there"));
        GenerationResult expected = server.chatInProcess(List.of(Message.system("Be brief."), Message.user("Hello there")), 8);
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(8, r.tokenUsage().outputTokenCount());
        assertEquals(expected.stats().promptTokens(), r.tokenUsage().inputTokenCount());
    }

    @Test
    void multiTurnConversation() {
        String first = chatModel(server, 6).chat(UserMessage.from("Hi")).aiMessage().text();
        ChatResponse second = chatModel(server, 6).chat(UserMessage.from("Hi"), AiMessage.from(first),
                UserMessage.from("And then?"));
        assertEquals(server.chatInProcess(List.of(Message.user("Hi"), Message.assistant(first), Message.user("And then?")), 6)
                .text(), second.aiMessage().text());
    }

    @Test
    void streamingChatModelStreamsTheSameAnswer() throws Exception {
        StringBuilder partials = new StringBuilder();
        ChatResponse r = stream(streamingModel(server, 8, Map.of()), List.of(UserMessage.from("Hello there")), partials)
                .get(120, TimeUnit.SECONDS);
        String expected = server.chatInProcess(List.of(Message.user("Hello there")), 8).text();
        assertEquals(expected, partials.toString());
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(8, r.tokenUsage().outputTokenCount(), "LangChain4j asks for include_usage and reads the usage chunk");
    }

    @Test
    void concurrentPlainAndStreamedRequests() throws Exception {
        List<String> questions = List.of("Alpha", "Beta beta", "Gamma", "Delta delta delta");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                String q = questions.get(i);
                if (i % 2 == 0) {
                    answers.add(pool.submit(() -> chatModel(server, 9).chat(UserMessage.from(q)).aiMessage().text()));
                } else {
                    StringBuilder sb = new StringBuilder();
                    CompletableFuture<ChatResponse> f = stream(streamingModel(server, 9, Map.of()), List.of(UserMessage.from(q)), sb);
                    answers.add(pool.submit(() -> f.get(120, TimeUnit.SECONDS).aiMessage().text()));
                }
            }
            for (int i = 0; i < questions.size(); i++) {
                assertEquals(server.chatInProcess(List.of(Message.user(questions.get(i))), 9).text(), answers.get(i).get(),
                        questions.get(i));
            }
        }
    }

    @Test
    void cancellingTheStreamStopsTheServersGeneration() throws Exception {
        try (TestServer one = TestServer.start(1, 4, TestServer.TRAINED_CONTEXT)) {
            AtomicInteger partials = new AtomicInteger();
            CompletableFuture<Void> cancelled = new CompletableFuture<>();
            streamingModel(one, 4000, Map.of("ignore_eos", true)).chat(List.of(UserMessage.from("Talk forever")),
                    new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                            if (partials.incrementAndGet() == 3) {
                                context.streamingHandle().cancel();
                                cancelled.complete(null);
                            }
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse response) {
                            cancelled.completeExceptionally(new AssertionError("completed: " + response));
                        }

                        @Override
                        public void onError(Throwable error) {
                            cancelled.completeExceptionally(error);
                        }
                    });
            cancelled.get(120, TimeUnit.SECONDS);
            var health = one.awaitIdle(30);
            assertEquals(0, health.at("/slots/busy").asInt(), health.toString());
            assertEquals(1, health.at("/requests/cancelled").asInt(), health.toString());
            assertTrue(health.at("/tokens/generated").asLong() < 2000, health.toString());
        }
    }
}
