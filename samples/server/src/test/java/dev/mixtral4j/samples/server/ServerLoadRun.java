package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The server under load: {@value #CLIENTS} streaming clients on loopback against a server with
 * {@value #PARALLEL} slots in its own JVM, every third client leaving mid-stream, for a bounded
 * time. Reports requests served, errors, time to first token and tokens/s percentiles, and the
 * server's resident memory before and after, into {@code target/server-load.md}.
 *
 * <p>A benchmark, not part of {@code verify}: {@code ./mvnw -B -pl samples/server -am verify
 * -Pserver-load -Dtest=ServerLoadRun -Dsurefire.failIfNoSpecifiedTests=false
 * [-Dload.seconds=60] [-Dload.maxTokens=64] [-Dload.embedding=64]}: a synthetic Mixtral (8 experts,
 * 2 used, 2 layers) with Mistral's vocabulary from ../shared/vocab when present. It fails when a client that stays gets an error.
 */
@Tag("load")
class ServerLoadRun {
    static final int CLIENTS = 32;
    static final int PARALLEL = 4;
    static final ObjectMapper JSON = new ObjectMapper();

    record Outcome(boolean leaver, boolean ok, boolean left, String error, long ttftNanos, int tokens,
                   double tokensPerSecond) {
    }

    @Test
    void thirtyTwoStreamingClientsAgainstFourSlots() throws Exception {
        int seconds = Integer.getInteger("load.seconds", 60);
        int maxTokens = Integer.getInteger("load.maxTokens", 64);
        Path dir = Files.createTempDirectory("mixtral4j-load");
        // Small on purpose: the run measures the server (slots, queue, streaming) more than the model.
        int width = Integer.getInteger("load.embedding", 64);
        SyntheticModel.Builder spec = SyntheticModel.builder().name("load").seed(5).embeddingLength(width).layers(2)
                .heads(4).kvHeads(2).feedForwardLength(2 * width).experts(8).expertsUsed(2).contextLength(2048);
        Path vocab = Path.of(System.getProperty("mixtral4j.shared", "../shared"), "vocab", "mistral-v1-vocab.gguf");
        if (Files.isRegularFile(vocab)) {
            spec.tokenizerFrom(vocab);
        }
        Path model = spec.write(dir.resolve("load.gguf"));

        String java = ProcessHandle.current().info().command().orElse("java");
        Process server = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                LoadServerMain.class.getName(), model.toString(), "java", String.valueOf(PARALLEL), "2048")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int port = -1;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("PORT ")) {
                    port = Integer.parseInt(line.substring(5).strip());
                    break;
                }
            }
            assertTrue(port > 0, "the server did not start");
            String url = "http://127.0.0.1:" + port + "/v1/chat/completions";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            // Warm the JIT a little, then measure.
            for (int i = 0; i < 4; i++) {
                request(http, url, maxTokens, -1);
            }
            long rssBefore = rssKiB(server.pid());
            String loadBefore = Files.readString(Path.of("/proc/loadavg")).strip();

            ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int c = 0; c < CLIENTS; c++) {
                    boolean leaver = c % 3 == 0;
                    clients.submit(() -> {
                        while (System.nanoTime() < deadline) {
                            int leaveAfter = leaver ? ThreadLocalRandom.current().nextInt(3, 20) : -1;
                            outcomes.add(request(http, url, maxTokens, leaveAfter));
                        }
                    });
                }
            }
            double wall = (System.nanoTime() - start) / 1e9;
            String loadAfter = Files.readString(Path.of("/proc/loadavg")).strip();
            JsonNode health = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body());
            long rssAfter = rssKiB(server.pid());

            String report = report(new ArrayList<>(outcomes), wall, seconds, maxTokens, rssBefore, rssAfter,
                    loadBefore, loadAfter, health);
            System.out.println(report);
            Path target = Path.of("target", "server-load.md");
            Files.createDirectories(target.getParent());
            Files.writeString(target, report);

            List<Outcome> stayers = outcomes.stream().filter(o -> !o.leaver()).toList();
            List<String> errors = stayers.stream().filter(o -> !o.ok()).map(Outcome::error).toList();
            assertTrue(errors.isEmpty(), "clients that stayed got errors: " + errors);
            assertEquals(0, health.at("/slots/busy").asInt(), health.toString());
        } finally {
            server.getOutputStream().close();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroy();
            }
        }
    }

    /** One streamed chat; {@code leaveAfter} > 0 closes the connection after that many content chunks. */
    static Outcome request(HttpClient http, String url, int maxTokens, int leaveAfter) {
        boolean leaver = leaveAfter > 0;
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story, number "
                + ThreadLocalRandom.current().nextInt(1000) + "\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":" + maxTokens
                + ",\"ignore_eos\":true,\"temperature\":0.8,\"seed\":" + ThreadLocalRandom.current().nextInt() + "}";
        long t0 = System.nanoTime();
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                String text = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
                return new Outcome(leaver, false, false, r.statusCode() + " " + text, -1, 0, 0);
            }
            long first = -1;
            long last = -1;
            int chunks = 0;
            int tokens = -1;
            boolean done = false;
            try (InputStream in = r.body();
                 BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!line.startsWith("data:")) {
                        continue;
                    }
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    JsonNode chunk = JSON.readTree(data);
                    if (chunk.has("error")) {
                        return new Outcome(leaver, false, false, chunk.toString(), -1, 0, 0);
                    }
                    if (chunk.has("usage")) {
                        tokens = chunk.at("/usage/completion_tokens").asInt();
                    }
                    if (!chunk.at("/choices/0/delta/content").asText("").isEmpty()) {
                        long now = System.nanoTime();
                        if (first < 0) {
                            first = now;
                        }
                        last = now;
                        chunks++;
                        if (leaver && chunks >= leaveAfter) {
                            return new Outcome(true, true, true, null, first - t0, chunks, 0);
                        }
                    }
                }
            }
            if (!done || tokens < 0) {
                return new Outcome(leaver, false, false, "stream ended without usage and [DONE]", -1, 0, 0);
            }
            double tps = chunks > 1 && last > first ? (chunks - 1) / ((last - first) / 1e9) : 0;
            return new Outcome(leaver, true, false, null, first - t0, tokens, tps);
        } catch (IOException | RuntimeException e) {
            return new Outcome(leaver, false, false, e.toString(), -1, 0, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(leaver, false, false, e.toString(), -1, 0, 0);
        }
    }

    static long rssKiB(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static String report(List<Outcome> all, double wall, int seconds, int maxTokens, long rssBefore, long rssAfter,
                         String loadBefore, String loadAfter, JsonNode health) {
        List<Outcome> stayers = all.stream().filter(o -> !o.leaver()).toList();
        List<Outcome> leavers = all.stream().filter(Outcome::leaver).toList();
        long served = stayers.stream().filter(Outcome::ok).count();
        long stayerErrors = stayers.stream().filter(o -> !o.ok()).count();
        long left = leavers.stream().filter(Outcome::left).count();
        long leaverErrors = leavers.stream().filter(o -> !o.ok()).count();
        List<Double> ttft = new ArrayList<>(all.stream().filter(o -> o.ok() && o.ttftNanos() >= 0)
                .map(o -> o.ttftNanos() / 1e6).toList());
        Collections.sort(ttft);
        List<Double> tps = new ArrayList<>(stayers.stream().filter(o -> o.ok() && o.tokensPerSecond() > 0)
                .map(Outcome::tokensPerSecond).toList());
        Collections.sort(tps);
        long tokens = stayers.stream().filter(Outcome::ok).mapToLong(Outcome::tokens).sum();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| what | value |%n|---|---|%n"));
        sb.append(String.format(Locale.ROOT, "| clients / slots / run | %d streaming / %d / %d s (%.1f s with the last answers) |%n",
                CLIENTS, PARALLEL, seconds, wall));
        sb.append(String.format(Locale.ROOT, "| model | synthetic Mixtral, embedding %d, 2 layers, 8 experts (2 used), java backend |%n",
                Integer.getInteger("load.embedding", 64)));
        sb.append(String.format(Locale.ROOT, "| answers served to clients that stayed | %d (max_tokens %d, %d tokens in all) |%n",
                served, maxTokens, tokens));
        sb.append(String.format(Locale.ROOT, "| errors for clients that stayed | %d |%n", stayerErrors));
        sb.append(String.format(Locale.ROOT, "| clients that left mid-stream | %d (errors before leaving: %d) |%n", left, leaverErrors));
        sb.append(String.format(Locale.ROOT, "| server counters | %s |%n", health.get("requests")));
        sb.append(String.format(Locale.ROOT, "| time to first token, ms (p50 / p90 / p99 / max) | %.0f / %.0f / %.0f / %.0f |%n",
                percentile(ttft, 50), percentile(ttft, 90), percentile(ttft, 99), percentile(ttft, 100)));
        sb.append(String.format(Locale.ROOT, "| tokens/s of one answer after its first token (p10 / p50 / p90) | %.1f / %.1f / %.1f |%n",
                percentile(tps, 10), percentile(tps, 50), percentile(tps, 90)));
        sb.append(String.format(Locale.ROOT, "| tokens/s, all answers together | %.1f |%n", tokens / wall));
        sb.append(String.format(Locale.ROOT, "| server RSS before / after | %.0f MiB / %.0f MiB |%n", rssBefore / 1024.0,
                rssAfter / 1024.0));
        sb.append(String.format(Locale.ROOT, "| machine | %d cores; /proc/loadavg before: %s, after: %s |%n",
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
        return sb.toString();
    }
}
