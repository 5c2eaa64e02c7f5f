package dev.mixtral4j.samples.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.mixtral4j.Message;
import dev.mixtral4j.Model;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.sampling.Samplers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blocking ChatModel through LangChain4j's own request/response classes. */
class Mixtral4jChatModelTest {
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

    private static GenerationOptions greedy(int n) {
        return GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build();
    }

    @Test
    void greedyAnswerIsTheModelsOwnReplyWithUsageAndLengthFinish() {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(10).build()) {
            ChatResponse r = chat.chat(ChatRequest.builder()
                    .messages(SystemMessage.from("Be brief."), UserMessage.from("Hello there")).build());
            GenerationResult expected = TinyModel.direct(model,
                    List.of(Message.system("Be brief."), Message.user("Hello there")), greedy(10));
            assertEquals(expected.text(), r.aiMessage().text());
            assertEquals(expected.stats().promptTokens(), r.tokenUsage().inputTokenCount());
            assertEquals(10, r.tokenUsage().outputTokenCount());
            assertEquals(10 + expected.stats().promptTokens(), r.tokenUsage().totalTokenCount());
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals("lc4j.gguf", r.modelName());
            assertTrue(r.id().startsWith("mixtral4j-"), r.id());
        }
    }

    @Test
    void assistantTurnsAndRequestParametersOverrideTheDefaults() {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(1.5).maxOutputTokens(3).build()) {
            ChatResponse r = chat.chat(ChatRequest.builder()
                    .messages(UserMessage.from("Hi"), AiMessage.from("Hello! How can I help?"), UserMessage.from("Tell me"))
                    .temperature(0.0).maxOutputTokens(7).build());
            String expected = TinyModel.direct(model, List.of(Message.user("Hi"),
                    Message.assistant("Hello! How can I help?"), Message.user("Tell me")), greedy(7)).text();
            assertEquals(expected, r.aiMessage().text());
            assertEquals(7, r.tokenUsage().outputTokenCount());
        }
    }

    @Test
    void stopSequenceEndsTheAnswerWithStop() {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(24).build()) {
            String full = chat.chat(ChatRequest.builder().messages(UserMessage.from("Write")).build()).aiMessage().text();
            assertTrue(full.length() >= 6, "the tiny model said too little to cut: '" + full + "'");
            String stop = full.substring(3, 6);
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Write"))
                    .stopSequences(List.of(stop)).build());
            assertEquals(full.substring(0, full.indexOf(stop)), r.aiMessage().text());
            assertEquals(FinishReason.STOP, r.finishReason());
            assertTrue(r.tokenUsage().outputTokenCount() < 24, r.tokenUsage()::toString);
        }
    }

    @Test
    void seededSamplingRepeatsAndMatchesTheSameChainOnTheApi() {
        var seeded = Mixtral4jChatRequestParameters.builder().temperature(1.0).topK(40).topP(0.95).minP(0.05)
                .seed(1234L).maxOutputTokens(12).build();
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).build()) {
            ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Once upon")).parameters(seeded).build();
            String first = chat.chat(request).aiMessage().text();
            assertEquals(first, chat.chat(request).aiMessage().text());
            String expected = TinyModel.direct(model, List.of(Message.user("Once upon")), GenerationOptions.builder()
                    .maxTokens(12).sampler(Samplers.chain().topK(40).topP(0.95).minP(0.05).temperature(1.0).seed(1234))
                    .build()).text();
            assertEquals(expected, first);
            String otherSeed = chat.chat(ChatRequest.builder().messages(UserMessage.from("Once upon"))
                    .parameters(Mixtral4jChatRequestParameters.builder().seed(99L).build()).build()).aiMessage().text();
            assertNotEquals(first, otherSeed, "a different seed gave the same 12 sampled tokens");
        }
    }

    @Test
    void penaltiesChangeTheGreedyAnswerAsTheApiChainDoes() {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(20)
                .penaltyLastN(64).build()) {
            ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Repeat")).frequencyPenalty(1.5)
                    .presencePenalty(1.0).build();
            String expected = TinyModel.direct(model, List.of(Message.user("Repeat")), GenerationOptions.builder()
                    .maxTokens(20).sampler(Samplers.chain().penalties(64, 1.0, 1.5, 1.0).greedy()).build()).text();
            assertEquals(expected, chat.chat(request).aiMessage().text());
        }
    }

    @Test
    void concurrentRequestsEachGetASessionAndTheSameGreedyAnswer() throws Exception {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(6).sessions(2)
                .build()) {
            List<CompletableFuture<String>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(CompletableFuture.supplyAsync(() -> chat.chat("Same question")));
            }
            String expected = TinyModel.direct(model, List.of(Message.user("Same question")), greedy(6)).text();
            for (CompletableFuture<String> a : answers) {
                assertEquals(expected, a.get());
            }
        }
    }

    @Test
    void whatTheModelCannotReadIsRefusedNotDropped() {
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).build()) {
            UserMessage withImage = UserMessage.from(TextContent.from("What is this?"),
                    ImageContent.from("aGVsbG8=", "image/png"));
            var e = assertThrows(UnsupportedFeatureException.class, () -> chat.chat(withImage));
            assertTrue(e.getMessage().contains("IMAGE"), e.getMessage());
            ChatRequest withTool = ChatRequest.builder().messages(UserMessage.from("Weather?"))
                    .toolSpecifications(ToolSpecification.builder().name("weather").build()).build();
            assertThrows(UnsupportedFeatureException.class, () -> chat.chat(withTool));
            var bad = assertThrows(IllegalArgumentException.class, () -> chat.chat(ChatRequest.builder()
                    .messages(UserMessage.from("x")).parameters(Mixtral4jChatRequestParameters.builder().minP(2.0).build())
                    .build()));
            assertTrue(bad.getMessage().contains("minP"), bad.getMessage());
            assertFalse(model.loadedBackends().isEmpty());
        }
    }
}
