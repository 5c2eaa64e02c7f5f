package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.TokenListener;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.sampling.Samplers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code mixtral4j_routing} request extension: the response carries the routing of the
 * tokens the request computed, the same the library reports in process for the same tokens.
 */
class RoutingExtensionTest {
    static TestServer server;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(1, 2);
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

    @Test
    void completionAnswersWithTheRoutingItComputed() throws Exception {
        int[] prompt = {1, 21, 57, 90, 133, 8};
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":[1,21,57,90,133,8],\"max_tokens\":3,"
                + "\"temperature\":0,\"mixtral4j_routing\":true}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode routing = JSON.readTree(r.body()).get("mixtral4j_routing");
        assertTrue(routing != null && routing.isObject(), r.body());
        int start = routing.get("start_position").asInt();
        JsonNode tokens = routing.get("tokens");
        // the prompt (from where the slot's cache differed) and the generated tokens but the last
        assertEquals(prompt.length + 2 - start, tokens.size(), r.body());
        for (int i = start; i < prompt.length; i++) {
            assertEquals(prompt[i], tokens.get(i - start).asInt());
        }
        int layers = server.model.config().blockCount();
        assertEquals(layers, routing.get("layers").size());

        // the same tokens in process, with the library's recorder
        int[] computed = new int[start + tokens.size()];
        System.arraycopy(prompt, 0, computed, 0, prompt.length);
        for (int i = prompt.length; i < computed.length; i++) {
            computed[i] = tokens.get(i - start).asInt();
        }
        RoutingRecorder recorder = new RoutingRecorder();
        try (Session s = server.model.newSession(); RoutingSubscription sub = s.attach(recorder)) {
            s.generate(computed, GenerationOptions.builder().maxTokens(1).sampler(Samplers.greedy()).build(),
                    TokenListener.none());
        }
        RoutingTrace expected = recorder.trace().orElseThrow();
        for (int l = 0; l < layers; l++) {
            JsonNode experts = routing.at("/layers/" + l + "/experts");
            JsonNode weights = routing.at("/layers/" + l + "/weights");
            for (int i = 0; i < tokens.size(); i++) {
                for (int j = 0; j < expected.expertsUsed(); j++) {
                    assertEquals(expected.expert(l, start + i, j), experts.get(i).get(j).asInt(), "layer " + l + " token " + i);
                    assertEquals(expected.weight(l, start + i, j), weights.get(i).get(j).asDouble(), 1e-5);
                }
            }
        }

        HttpResponse<String> plain = post("/v1/completions", "{\"prompt\":[1,21,57,90,133,8],\"max_tokens\":3,"
                + "\"temperature\":0}");
        assertFalse(JSON.readTree(plain.body()).has("mixtral4j_routing"), "only when asked for");
        HttpResponse<String> streamed = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Hi\"}],\"max_tokens\":2,\"stream\":true,\"mixtral4j_routing\":true}");
        assertEquals(200, streamed.statusCode(), streamed.body());
        assertTrue(streamed.body().contains("\"mixtral4j_routing\":{\"start_position\""), streamed.body());
    }
}
