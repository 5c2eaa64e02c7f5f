package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.sampling.Samplers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A tiny synthetic Mixtral loaded on the java backend, served on a free loopback port, and the
 * same model answering in process (what the server must reproduce).
 */
final class TestServer implements AutoCloseable {
    /** The KV cache of the servers' slots; the file itself allows {@link #TRAINED_CONTEXT}. */
    static final int CONTEXT = 512;
    static final int TRAINED_CONTEXT = 4096;
    private static Path modelFile;

    final Model model;
    final OpenAiServer server;
    private final boolean ownsModel;

    private TestServer(Model model, OpenAiServer server, boolean ownsModel) {
        this.model = model;
        this.server = server;
        this.ownsModel = ownsModel;
    }

    static synchronized Path modelFile() {
        if (modelFile == null) {
            try {
                Path dir = Files.createTempDirectory("mixtral4j-server-test");
                dir.toFile().deleteOnExit();
                modelFile = SyntheticModel.builder().name("server").seed(11).vocabSize(400).contextLength(TRAINED_CONTEXT)
                        .write(dir.resolve("tiny-server.gguf"));
                modelFile.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return modelFile;
    }

    /**
     * The same small model with Mistral's real 32000-token vocabulary (from ../shared/vocab), so its
     * answers are made of real word pieces and rarely end by themselves; the synthetic vocabulary's
     * model when that file is absent.
     */
    static synchronized Path realVocabularyModelFile() {
        Path vocab = Path.of(System.getProperty("mixtral4j.shared", "../shared"), "vocab", "mistral-v1-vocab.gguf");
        if (!Files.isRegularFile(vocab)) {
            return modelFile();
        }
        try {
            Path dir = Files.createTempDirectory("mixtral4j-server-test");
            dir.toFile().deleteOnExit();
            // Wider than the other tests' model: its answers take long enough to be stopped midway.
            Path file = SyntheticModel.builder().name("server").seed(12).tokenizerFrom(vocab).embeddingLength(256)
                    .heads(8).kvHeads(4).feedForwardLength(512).contextLength(TRAINED_CONTEXT)
                    .write(dir.resolve("tiny-server.gguf"));
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Model loadModel(int context) throws IOException {
        return loadModel(modelFile(), context);
    }

    static Model loadModel(Path file, int context) throws IOException {
        return Mixtral4j.load(file, LoadOptions.builder().backend("java").threads(1).contextLength(context)
                .build());
    }

    static TestServer start(int parallel, int queue) throws IOException {
        return start(parallel, queue, CONTEXT);
    }

    static TestServer start(int parallel, int queue, int context) throws IOException {
        return start(parallel, queue, context, modelFile());
    }

    static TestServer start(int parallel, int queue, int context, Path file) throws IOException {
        Model m = loadModel(file, context);
        try {
            return new TestServer(m, OpenAiServer.start(m, ServerOptions.defaults().withParallel(parallel)
                    .withQueue(queue)), true);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    String baseUrl() {
        return server.baseUrl();
    }

    String root() {
        return "http://127.0.0.1:" + server.port();
    }

    /** What a greedy chat of {@code maxTokens} gives in process, in a fresh session. */
    GenerationResult chatInProcess(List<Message> conversation, int maxTokens) {
        try (Session s = model.newSession()) {
            return s.chat(conversation, GenerationOptions.builder().maxTokens(maxTokens).sampler(Samplers.greedy())
                    .build());
        }
    }

    /** What a greedy text completion of {@code maxTokens} gives in process, in a fresh session. */
    GenerationResult completeInProcess(String prompt, int maxTokens) {
        try (Session s = model.newSession()) {
            return s.generate(prompt, GenerationOptions.builder().maxTokens(maxTokens).parseSpecial(true)
                    .sampler(Samplers.greedy()).build());
        }
    }

    JsonNode health() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(root() + "/health"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until no slot is busy (a cancelled generation has let go), up to {@code seconds}. */
    JsonNode awaitIdle(int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode h = health();
        while (h.path("slots").path("busy").asInt() != 0 && System.nanoTime() < end) {
            Thread.sleep(20);
            h = health();
        }
        return h;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            if (ownsModel) {
                model.close();
            }
        }
    }
}
