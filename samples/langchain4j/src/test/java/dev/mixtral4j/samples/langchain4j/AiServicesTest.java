package dev.mixtral4j.samples.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.mixtral4j.Message;
import dev.mixtral4j.Model;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.sampling.Samplers;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LangChain4j's high-level AiServices over both models, with a chat memory. */
class AiServicesTest {
    @TempDir
    static Path dir;
    static Model model;

    interface Assistant {
        @SystemMessage("You are terse.")
        Result<String> chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

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
    void assistantWithMemoryContinuesTheConversation() {
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
        try (Mixtral4jChatModel chat = Mixtral4jChatModel.builder(model).temperature(0).maxOutputTokens(6).build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(chat).chatMemory(memory).build();
            Result<String> first = assistant.chat("Hello");
            Result<String> second = assistant.chat("And then?");

            String expectedFirst = TinyModel.direct(model,
                    List.of(Message.system("You are terse."), Message.user("Hello")), greedy(6)).text();
            String expectedSecond = TinyModel.direct(model, List.of(Message.system("You are terse."),
                    Message.user("Hello"), Message.assistant(expectedFirst), Message.user("And then?")), greedy(6)).text();
            assertEquals(expectedFirst, first.content());
            assertEquals(expectedSecond, second.content());
            assertEquals(FinishReason.LENGTH, second.finishReason());
            assertEquals(6, second.tokenUsage().outputTokenCount());
            assertTrue(second.tokenUsage().inputTokenCount() > first.tokenUsage().inputTokenCount(),
                    "the second prompt holds the first exchange");

            List<ChatMessage> remembered = memory.messages();
            assertEquals(5, remembered.size(), remembered::toString);
            assertEquals("And then?", ((UserMessage) remembered.get(3)).singleText());
            assertEquals(expectedSecond, ((AiMessage) remembered.get(4)).text());
        }
    }

    @Test
    void tokenStreamDeliversThePiecesAndTheCompleteResponse() throws Exception {
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
        try (Mixtral4jStreamingChatModel chat = Mixtral4jStreamingChatModel.builder(model).temperature(0)
                .maxOutputTokens(8).build()) {
            StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(chat)
                    .chatMemory(memory).build();
            StringBuilder pieces = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            assistant.chat("Stream please")
                    .onPartialResponse(pieces::append)
                    .onCompleteResponse(done::complete)
                    .onError(done::completeExceptionally)
                    .start();
            ChatResponse response = done.get(60, TimeUnit.SECONDS);
            String expected = TinyModel.direct(model, List.of(Message.user("Stream please")), greedy(8)).text();
            assertEquals(expected, response.aiMessage().text());
            assertEquals(expected, pieces.toString());
            assertEquals(8, response.tokenUsage().outputTokenCount());
            assertEquals(2, memory.messages().size());
            assertInstanceOf(AiMessage.class, memory.messages().get(1));
        }
    }
}
