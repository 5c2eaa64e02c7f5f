package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.mixtral4j.Message;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.sampling.Samplers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK against a running server: plain, streamed, concurrent, cancelled, refused. */
class OpenAiSdkTest {
    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(2, 8);
        client = client(server);
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    static OpenAIClient client(TestServer s) {
        return OpenAIOkHttpClient.builder().baseUrl(s.baseUrl()).apiKey("not-needed").maxRetries(0)
                .timeout(Duration.ofSeconds(120)).build();
    }

    ChatCompletionCreateParams.Builder chat(String user, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(server.server.modelId()).addUserMessage(user)
                .maxCompletionTokens(maxTokens).temperature(0.0);
    }

    @Test
    void listsTheModel() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("tiny-server", models.getFirst().id());
        assertEquals("tiny-server", client.models().retrieve("tiny-server").id());
    }

    @Test
    void chatCompletionIsWhatTheModelSaysInProcess() {
        ChatCompletion c = client.chat().completions().create(chat("Hello there", 8).build());
        GenerationResult expected = server.chatInProcess(List.of(Message.user("Hello there")), 8);
        assertEquals(expected.text(), c.choices().getFirst().message().content().orElse(""));
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().getFirst().finishReason());
        assertEquals(8, c.usage().orElseThrow().completionTokens());
        assertEquals(expected.stats().promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals("tiny-server", c.model());
    }

    @Test
    void systemPromptAndHistoryGoThroughTheTemplate() {
        List<Message> conversation = List.of(Message.system("Be brief."), Message.user("Hi"),
                Message.assistant("Hello!"), Message.user("How are you?"));
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(server.server.modelId()).addSystemMessage("Be brief.").addUserMessage("Hi")
                .addAssistantMessage("Hello!").addUserMessage("How are you?").maxCompletionTokens(6).temperature(0.0)
                .build());
        GenerationResult expected = server.chatInProcess(conversation, 6);
        assertEquals(expected.text(), c.choices().getFirst().message().content().orElse(""));
        assertEquals(expected.stats().promptTokens(), c.usage().orElseThrow().promptTokens());
    }

    @Test
    void streamedChatAddsUpToTheSameText() {
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat("Hello there", 8)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
            });
        }
        GenerationResult expected = server.chatInProcess(List.of(Message.user("Hello there")), 8);
        assertEquals(expected.text(), text.toString());
        ChatCompletionChunk usage = chunks.getLast();
        assertTrue(usage.choices().isEmpty());
        assertEquals(8, usage.usage().orElseThrow().completionTokens());
        ChatCompletionChunk last = chunks.get(chunks.size() - 2);
        assertEquals(ChatCompletionChunk.Choice.FinishReason.LENGTH, last.choices().getFirst().finishReason().orElseThrow());
    }

    @Test
    void textCompletionPlainAndStreamed() {
        CompletionCreateParams params = CompletionCreateParams.builder().model(server.server.modelId())
                .prompt("Once upon a time").maxTokens(7).temperature(0.0).build();
        Completion c = client.completions().create(params);
        GenerationResult expected = server.completeInProcess("Once upon a time", 7);
        assertEquals(expected.text(), c.choices().getFirst().text());
        assertEquals(CompletionChoice.FinishReason.LENGTH, c.choices().getFirst().finishReason());
        assertEquals(7, c.usage().orElseThrow().completionTokens());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
            s.stream().forEach(ch -> ch.choices().forEach(choice -> streamed.append(choice.text())));
        }
        assertEquals(expected.text(), streamed.toString());
    }

    @Test
    void stopStringEndsTheAnswerBeforeIt() {
        String full = server.chatInProcess(List.of(Message.user("Tell me a story")), 16).text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        ChatCompletion c = client.chat().completions().create(chat("Tell me a story", 16).stop(stop).build());
        assertEquals(full.substring(0, full.indexOf(stop)), c.choices().getFirst().message().content().orElse(""));
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().getFirst().finishReason());
    }

    @Test
    void seedMakesSamplingRepeatable() {
        ChatCompletionCreateParams p = chat("Pick a word", 10).temperature(1.0).seed(7L)
                .putAdditionalBodyProperty("top_k", JsonValue.from(0))
                .putAdditionalBodyProperty("min_p", JsonValue.from(0)).build();
        String a = client.chat().completions().create(p).choices().getFirst().message().content().orElse("");
        String b = client.chat().completions().create(p).choices().getFirst().message().content().orElse("");
        assertEquals(a, b);
    }

    @Test
    void logitBiasAndPenaltiesReachTheSampler() {
        int favourite = 300;
        ChatCompletion c = client.chat().completions().create(chat("Hi", 5)
                .logitBias(ChatCompletionCreateParams.LogitBias.builder()
                        .putAdditionalProperty(String.valueOf(favourite), JsonValue.from(100)).build())
                .presencePenalty(0.5).frequencyPenalty(0.25).build());
        GenerationResult expected;
        try (Session s = server.model.newSession()) {
            expected = s.chat(List.of(Message.user("Hi")), GenerationOptions.builder().maxTokens(5)
                    .sampler(Samplers.chain().logitBias(Map.of(favourite, 100f))
                            .penalties(RequestParser.DEFAULT_PENALTY_WINDOW, 1, 0.25, 0.5).greedy()).build());
        }
        assertEquals(expected.text(), c.choices().getFirst().message().content().orElse(""));
        assertNotEquals(server.chatInProcess(List.of(Message.user("Hi")), 5).text(), expected.text(),
                "the bias changes the answer");
    }

    @Test
    void aFollowUpReusesTheCachedConversation() {
        ChatCompletion first = client.chat().completions().create(chat("Tell me", 6).build());
        String reply = first.choices().getFirst().message().content().orElse("");
        client.chat().completions().create(chat("Something unrelated entirely, in another slot", 3).build());
        ChatCompletion second = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(server.server.modelId()).addUserMessage("Tell me").addAssistantMessage(reply)
                .addUserMessage("More").maxCompletionTokens(4).temperature(0.0).build());
        long cached = second.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens().orElseThrow();
        assertTrue(cached >= first.usage().orElseThrow().promptTokens(),
                "the follow-up reused " + cached + " tokens of the first prompt's " + first.usage().orElseThrow().promptTokens());
        GenerationResult expected = server.chatInProcess(List.of(Message.user("Tell me"), Message.assistant(reply),
                Message.user("More")), 4);
        assertEquals(expected.text(), second.choices().getFirst().message().content().orElse(""));
    }

    @Test
    void concurrentClientsEachGetTheirOwnAnswer() throws Exception {
        List<String> questions = List.of("One", "Two two", "Three three three", "Four", "Five five", "Six");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                String q = questions.get(i);
                boolean streamed = i % 2 == 0;
                answers.add(pool.submit(() -> {
                    if (!streamed) {
                        return client.chat().completions().create(chat(q, 10).build()).choices().getFirst().message()
                                .content().orElse("");
                    }
                    StringBuilder sb = new StringBuilder();
                    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat(q, 10).build())) {
                        s.stream().forEach(ch -> ch.choices().forEach(c -> c.delta().content().ifPresent(sb::append)));
                    }
                    return sb.toString();
                }));
            }
            for (int i = 0; i < questions.size(); i++) {
                assertEquals(server.chatInProcess(List.of(Message.user(questions.get(i))), 10).text(), answers.get(i).get(),
                        questions.get(i));
            }
        }
    }

    @Test
    void refusalsAreTheSdksExceptions() {
        NotFoundException nf = assertThrows(NotFoundException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-9").addUserMessage("Hi").build()));
        assertEquals("model_not_found", nf.code().orElseThrow());
        BadRequestException bad = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat("Hi", 4).temperature(5.0).build()));
        assertEquals("temperature", bad.param().orElseThrow());
        BadRequestException n2 = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat("Hi", 4).n(2).build()));
        assertEquals("n", n2.param().orElseThrow());
        BadRequestException tooLong = assertThrows(BadRequestException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model(server.server.modelId()).prompt("word ".repeat(2 * TestServer.CONTEXT))
                        .maxTokens(1).build()));
        assertEquals("context_length_exceeded", tooLong.code().orElseThrow());
    }

    /** A body over the server's limit reaches the SDK as an error with the status and our message. */
    @Test
    void aTooLargeRequestIsTheSdksErrorWithTheLimit() {
        long limit = ServerOptions.defaults().maxBodyBytes();
        OpenAIServiceException e = assertThrows(OpenAIServiceException.class, () -> client.chat().completions()
                .create(chat("x".repeat((int) limit), 1).build()));
        assertEquals(413, e.statusCode());
        assertTrue(e.getMessage().contains("larger than this server accepts: 8 MiB (" + limit + " bytes)"),
                e.getMessage());
        assertEquals("request_too_large", e.code().orElseThrow());
        assertEquals("invalid_request_error", e.type().orElseThrow());
    }

    @Test
    void aClientThatLeavesMidStreamCancelsItsGenerationAndFreesTheSlot() throws Exception {
        try (TestServer one = TestServer.start(1, 4, TestServer.TRAINED_CONTEXT)) {
            OpenAIClient c = client(one);
            ChatCompletionCreateParams long_ = ChatCompletionCreateParams.builder().model(one.server.modelId())
                    .addUserMessage("Talk forever").temperature(0.0).maxCompletionTokens(4000)
                    .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build();
            int seen = 0;
            try (StreamResponse<ChatCompletionChunk> s = c.chat().completions().createStreaming(long_)) {
                Iterator<ChatCompletionChunk> it = s.stream().iterator();
                while (seen < 3 && it.hasNext()) {
                    it.next();
                    seen++;
                }
            }
            assertEquals(3, seen);
            var health = one.awaitIdle(30);
            assertEquals(0, health.at("/slots/busy").asInt(), health.toString());
            assertEquals(1, health.at("/requests/cancelled").asInt(), health.toString());
            long generated = health.at("/tokens/generated").asLong();
            assertTrue(generated < 2000, "the generation stopped early: " + generated + " tokens of 4000");
            // The slot serves the next client.
            ChatCompletion next = c.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model(one.server.modelId()).addUserMessage("Hi").maxCompletionTokens(2).temperature(0.0).build());
            assertEquals(2, next.usage().orElseThrow().completionTokens());
        }
    }

    @Test
    void beyondTheQueueA503WithAnErrorObject() throws Exception {
        try (TestServer one = TestServer.start(1, 0, TestServer.TRAINED_CONTEXT)) {
            OpenAIClient c = client(one);
            ChatCompletionCreateParams long_ = ChatCompletionCreateParams.builder().model(one.server.modelId())
                    .addUserMessage("Talk forever").temperature(0.0).maxCompletionTokens(4000)
                    .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build();
            try (StreamResponse<ChatCompletionChunk> s = c.chat().completions().createStreaming(long_)) {
                s.stream().iterator().next(); // the only slot is taken
                OpenAIServiceException busy = assertThrows(InternalServerException.class, () -> c.chat().completions()
                        .create(ChatCompletionCreateParams.builder().model(one.server.modelId()).addUserMessage("Hi")
                                .maxCompletionTokens(2).build()));
                assertEquals(503, busy.statusCode());
                assertEquals("server_busy", busy.code().orElseThrow());
            }
            assertEquals(1, one.awaitIdle(30).at("/requests/rejected").asInt());
        }
    }
}
