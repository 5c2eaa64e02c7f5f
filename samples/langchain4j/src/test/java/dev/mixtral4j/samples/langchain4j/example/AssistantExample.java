package dev.mixtral4j.samples.langchain4j.example;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.samples.langchain4j.Mixtral4jChatModel;
import dev.mixtral4j.samples.langchain4j.Mixtral4jStreamingChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The example of docs/langchain4j.md, compiled and run by {@code AssistantExampleTest}. */
public final class AssistantExample {
    private AssistantExample() {
    }

    // docs:begin
    interface Assistant {
        @SystemMessage("You answer in one sentence.")
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    /** Two turns with a memory, then one streamed answer; returns the three answers. */
    public static List<String> run(Path gguf, String backend) throws Exception {
        try (Model model = Mixtral4j.load(gguf, LoadOptions.builder().backend(backend).contextLength(2048).build());
             Mixtral4jChatModel chatModel = Mixtral4jChatModel.builder(model)
                     .temperature(0.7).seed(42).maxOutputTokens(64).build();
             Mixtral4jStreamingChatModel streamingModel = Mixtral4jStreamingChatModel.builder(model)
                     .temperature(0).maxOutputTokens(64).build()) {

            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(chatModel)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(20))
                    .build();
            String first = assistant.chat("Name a French cheese.");
            String second = assistant.chat("Which region is it from?"); // the memory holds the first turn

            StreamingAssistant streaming = AiServices.builder(StreamingAssistant.class)
                    .streamingChatModel(streamingModel).build();
            CompletableFuture<String> done = new CompletableFuture<>();
            streaming.chat("Count to five.")
                    .onPartialResponse(System.out::print)              // each piece as it is generated
                    .onCompleteResponse(r -> done.complete(r.aiMessage().text()))
                    .onError(done::completeExceptionally)
                    .start();
            return List.of(first, second, done.get());
        }
    }
    // docs:end
}
