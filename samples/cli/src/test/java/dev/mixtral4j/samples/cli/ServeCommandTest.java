package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.samples.server.OpenAiServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = SyntheticModel.builder().name("serve").seed(3).vocabSize(400).contextLength(256).write(dir.resolve("serve.gguf"));
    }

    static String http(String method, String url, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(60_000);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream o = c.getOutputStream()) {
                o.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return c.getResponseCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void servesTheModelUntilStopped() throws Exception {
        DemoCommandTest.javaBackend();
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of("serve", "-m", model.toString(),
                "--backend", "java", "--port", "0", "--parallel", "2", "--alias", "tiny"));
        OpenAiServer server = null;
        for (int i = 0; i < 600 && server == null && !run.isDone(); i++) {
            Thread.sleep(50);
            server = ServeCommand.RUNNING.get();
        }
        assertNotNull(server, () -> "the server did not start: " + run.getNow(null));
        String root = "http://127.0.0.1:" + server.port();
        try {
            String health = http("GET", root + "/health", null);
            assertTrue(health.startsWith("200 ") && health.contains("\"backend\":\"java\"")
                    && health.contains("\"total\":2"), health);
            String chat = http("POST", root + "/v1/chat/completions",
                    "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3}");
            assertTrue(chat.startsWith("200 ") && chat.contains("\"completion_tokens\":3"), chat);
        } finally {
            server.close();
        }
        CliRun done = run.get(60, TimeUnit.SECONDS);
        assertEquals(0, done.exitCode(), done::toString);
        assertTrue(done.out().contains("Web chat: " + root + "/"), done::toString);
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliRun run = CliRun.of("serve", "-m", model.toString(), "--parallel", "0");
        assertEquals(Mixtral4jCli.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--parallel"), run::toString);
        run = CliRun.of("serve", "-m", model.toString(), "--port", "70000");
        assertEquals(Mixtral4jCli.USAGE, run.exitCode(), run::toString);
    }
}
