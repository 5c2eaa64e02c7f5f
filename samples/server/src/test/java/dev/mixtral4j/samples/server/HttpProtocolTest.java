package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtral4j.Message;
import dev.mixtral4j.generation.GenerationResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wire format, checked byte by byte with the JDK's HTTP client: error objects and their
 * statuses, the event stream's framing, and the endpoints other clients do not reach.
 */
class HttpProtocolTest {
    static TestServer server;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(2, 4);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.root() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.root() + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Asserts an OpenAI error object with this status, and returns its "error" member. */
    static JsonNode assertError(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertTrue(e != null && e.get("message").isTextual() && !e.get("message").asText().isBlank(), r.body());
        assertTrue(e.has("type") && e.has("param") && e.has("code"), r.body());
        return e;
    }

    String chat(String extra) {
        return "{\"model\":\"" + server.server.modelId() + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"
                + extra + "}";
    }

    @Test
    void malformedJsonIsA400() throws Exception {
        JsonNode e = assertError(post("/v1/chat/completions", "{\"messages\": [}"), 400);
        assertTrue(e.get("message").asText().contains("not valid JSON"), e.toString());
        assertError(post("/v1/chat/completions", ""), 400);
        assertError(post("/v1/completions", "[1,2]"), 400);
    }

    /**
     * A body over the limit, sent with a length, chunked, or only announced (100-continue), is
     * refused with an OpenAI error object naming the limit, which the client reads (a body the
     * client is still sending is read to its end first), and the server goes on serving.
     */
    @Test
    void aBodyOverTheLimitIsA413ErrorObjectNamingTheLimit() throws Exception {
        long limit = ServerOptions.defaults().maxBodyBytes();
        byte[] big = chat("").replace("\"Hi\"", "\"" + "x".repeat((int) limit) + "\"")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(server.root() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json");
        HttpResponse<String> withLength = HTTP.send(post.POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
                HttpResponse.BodyHandlers.ofString());
        // ofInputStream has no length: the JDK client sends it chunked, and Helidon counts as it reads
        HttpResponse<String> chunked = HTTP.send(post.POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(big))).build(), HttpResponse.BodyHandlers.ofString());
        // a client that asks before sending (Expect: 100-continue) is refused unread: by the handler
        // below the drain limit, by Helidon's own check (our error object all the same) above it
        HttpResponse<String> asked = HTTP.send(post.expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> askedHuge = HTTP.send(post.expectContinue(true).POST(HttpRequest.BodyPublishers
                .fromPublisher(HttpRequest.BodyPublishers.ofByteArray(big), RequestBody.drainLimit(limit) + 1)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (HttpResponse<String> r : List.of(withLength, chunked, asked, askedHuge)) {
            JsonNode e = assertError(r, 413);
            assertEquals("invalid_request_error", e.get("type").asText(), r.body());
            assertEquals("request_too_large", e.get("code").asText(), r.body());
            assertTrue(e.get("param").isNull(), r.body());
            assertTrue(e.get("message").asText().contains("8 MiB (" + limit + " bytes)"), r.body());
        }
        assertEquals(200, post("/v1/chat/completions", chat(",\"max_tokens\":1")).statusCode());
    }

    /**
     * A client that closes its connection while a non-streamed answer is generated: the generation
     * stops at once (counted as cancelled, far from its 4000 tokens) and the only slot serves the
     * next request.
     */
    @Test
    void aNonStreamedClientThatLeavesCancelsItsGenerationAndFreesTheSlot() throws Exception {
        try (TestServer one = TestServer.start(1, 4, TestServer.TRAINED_CONTEXT)) {
            byte[] body = ("{\"model\":\"" + one.server.modelId() + "\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Talk forever\"}],\"max_tokens\":4000,\"ignore_eos\":true,\"temperature\":0}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", one.server.port())) {
                java.io.OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                // close as soon as the request holds the slot (polled with one client: a few ms a look)
                long end = System.nanoTime() + 60_000_000_000L;
                boolean busy = false;
                while (!busy && System.nanoTime() < end) {
                    busy = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(one.root() + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).body()).at("/slots/busy").asInt() == 1;
                }
                assertTrue(busy, "the long request never took the slot");
            }
            JsonNode health = one.awaitIdle(30);
            assertEquals(0, health.at("/slots/busy").asInt(), health.toString());
            assertEquals(1, health.at("/requests/cancelled").asInt(), health.toString());
            long generated = health.at("/tokens/generated").asLong();
            assertTrue(generated < 2000, "the generation stopped early: " + generated + " tokens of 4000");
            HttpResponse<String> next = HTTP.send(HttpRequest.newBuilder(URI.create(one.root() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                            + "\"max_tokens\":2,\"temperature\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, next.statusCode(), next.body());
            assertEquals(2, JSON.readTree(next.body()).at("/usage/completion_tokens").asInt(), next.body());
            assertEquals("close", next.headers().firstValue("connection").orElse(""), next.headers().toString());
        }
    }

    @Test
    void unknownModelIsA404() throws Exception {
        JsonNode e = assertError(post("/v1/chat/completions",
                "{\"model\":\"gpt-7\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), 404);
        assertEquals("model_not_found", e.get("code").asText());
        assertEquals("model", e.get("param").asText());
        assertError(get("/v1/models/gpt-7"), 404);
    }

    @Test
    void badParameterValuesAre400sNamingTheParameter() throws Exception {
        String[][] cases = {
                {",\"temperature\":3", "temperature"},
                {",\"temperature\":\"hot\"", "temperature"},
                {",\"top_p\":1.5", "top_p"},
                {",\"top_k\":-1", "top_k"},
                {",\"min_p\":2", "min_p"},
                {",\"max_tokens\":0", "max_tokens"},
                {",\"max_completion_tokens\":2.5", "max_completion_tokens"},
                {",\"n\":2", "n"},
                {",\"presence_penalty\":-3", "presence_penalty"},
                {",\"frequency_penalty\":9", "frequency_penalty"},
                {",\"repeat_penalty\":0", "repeat_penalty"},
                {",\"seed\":1.5", "seed"},
                {",\"stop\":[\"\"]", "stop"},
                {",\"stop\":5", "stop"},
                {",\"logit_bias\":{\"99999\":1}", "logit_bias"},
                {",\"logit_bias\":{\"5\":500}", "logit_bias"},
                {",\"logit_bias\":{\"x\":1}", "logit_bias"},
                {",\"stream\":\"yes\"", "stream"},
        };
        for (String[] c : cases) {
            JsonNode e = assertError(post("/v1/chat/completions", chat(c[0])), 400);
            assertEquals(c[1], e.get("param").asText(), c[0] + " -> " + e);
        }
        assertEquals("messages", assertError(post("/v1/chat/completions", "{\"messages\":[]}"), 400).get("param").asText());
        assertEquals("messages", assertError(post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400).get("param").asText());
        assertEquals("prompt", assertError(post("/v1/completions", "{\"prompt\":[\"a\",\"b\"]}"), 400).get("param").asText());
        assertEquals("prompt", assertError(post("/v1/completions", "{\"prompt\":[1,99999]}"), 400).get("param").asText());
    }

    @Test
    void aPromptLongerThanTheContextIsA400() throws Exception {
        String longText = "hello world ".repeat(TestServer.CONTEXT);
        JsonNode e = assertError(post("/v1/completions", "{\"prompt\":\"" + longText + "\",\"max_tokens\":1}"), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        e = assertError(post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}"), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
    }

    @Test
    void unknownPathsAndMethodsAreOpenAiErrors() throws Exception {
        assertError(get("/v1/nothing"), 404);
        assertError(get("/v1/chat/completions"), 404);
    }

    @Test
    void theServerSurvivesEveryRefusalAndStillAnswers() throws Exception {
        malformedJsonIsA400();
        badParameterValuesAre400sNamingTheParameter();
        HttpResponse<String> ok = post("/v1/chat/completions", chat(",\"temperature\":0,\"max_tokens\":3"));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("ok", server.health().get("status").asText());
    }

    @Test
    void streamedChatIsOpenAisEventStream() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions",
                chat(",\"temperature\":0,\"max_tokens\":6,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"), r.headers().toString());
        List<String> data = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            assertTrue(block.startsWith("data: "), "each event is one data line: " + block);
            assertFalse(block.substring(6).contains("\n"), block);
            data.add(block.substring(6));
        }
        assertEquals("[DONE]", data.getLast());
        JsonNode first = JSON.readTree(data.getFirst());
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        JsonNode usage = JSON.readTree(data.get(data.size() - 2));
        assertTrue(usage.get("choices").isEmpty(), usage.toString());
        assertEquals(6, usage.at("/usage/completion_tokens").asInt());
        JsonNode last = JSON.readTree(data.get(data.size() - 3));
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        String text = data.subList(0, data.size() - 2).stream().map(d -> {
            try {
                return JSON.readTree(d).at("/choices/0/delta/content").asText("");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).collect(Collectors.joining());
        GenerationResult expected = server.chatInProcess(List.of(Message.user("Hi")), 6);
        assertEquals(expected.text(), text);
    }

    @Test
    void textCompletionWithTokenIdsAndExtraSamplerFields() throws Exception {
        HttpResponse<String> r = post("/v1/completions",
                "{\"prompt\":[1,20,30,40],\"max_tokens\":4,\"temperature\":0.7,\"top_k\":5,\"min_p\":0.1,"
                        + "\"repeat_penalty\":1.1,\"seed\":3}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(4, body.at("/usage/prompt_tokens").asInt());
        assertEquals(4, body.at("/usage/completion_tokens").asInt());
        HttpResponse<String> again = post("/v1/completions",
                "{\"prompt\":[1,20,30,40],\"max_tokens\":4,\"temperature\":0.7,\"top_k\":5,\"min_p\":0.1,"
                        + "\"repeat_penalty\":1.1,\"seed\":3}");
        assertEquals(body.at("/choices/0/text").asText(), JSON.readTree(again.body()).at("/choices/0/text").asText(),
                "the same seed gives the same text");
    }

    @Test
    void healthModelsAndTheWebChat() throws Exception {
        JsonNode h = server.health();
        assertEquals("ok", h.get("status").asText());
        assertEquals("java", h.get("backend").asText());
        assertEquals(2, h.at("/slots/total").asInt());
        JsonNode models = JSON.readTree(get("/v1/models").body());
        assertEquals("list", models.get("object").asText());
        assertEquals("tiny-server", models.at("/data/0/id").asText());
        assertEquals(200, get("/v1/models/tiny-server").statusCode());
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("mixtral4j"), page.body());
    }
}
