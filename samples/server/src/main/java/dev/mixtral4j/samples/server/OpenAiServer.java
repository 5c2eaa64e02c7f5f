package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtral4j.Model;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible server over one loaded model, on Helidon's web server (a virtual thread
 * per request). Endpoints: {@code GET /v1/models}, {@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code GET /health}, and the web chat at {@code /}.
 *
 * <pre>{@code
 * try (Model model = Mixtral4j.load(path);
 *      OpenAiServer server = OpenAiServer.start(model, ServerOptions.defaults().withPort(8080))) {
 *     server.awaitShutdown();
 * }
 * }</pre>
 *
 * The model stays the caller's: closing the server closes its sessions, not the model.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);

    private final Model model;
    private final ServerOptions options;
    private final String modelId;
    private final SlotPool slots;
    private final ServerStats stats = new ServerStats();
    private final ObjectMapper json = new ObjectMapper();
    private final ResponseJson responses;
    private final CompletionEndpoint completions;
    private final long created = Instant.now().getEpochSecond();
    private final byte[] webChat;
    private final WebServer server;

    private OpenAiServer(Model model, ServerOptions options) {
        this.model = model;
        this.options = options;
        this.modelId = options.modelId() != null ? options.modelId() : defaultModelId(model);
        model.tokenizer(); // fail now, with the reasons, when no tokenizer reads this file
        this.slots = new SlotPool(model, options.parallel(), options.queue());
        try {
            this.responses = new ResponseJson(json, modelId, model.backend().id());
            this.completions = new CompletionEndpoint(model, modelId, slots, stats, json, responses,
                    options.maxBodyBytes());
            this.webChat = resource("web/index.html");
            this.server = WebServer.builder()
                    .host(options.host())
                    .port(options.port())
                    .maxPayloadSize(RequestBody.drainLimit(options.maxBodyBytes()))
                    .addProtocol(Http1Config.builder().addReceiveListener(DisconnectWatch.tracker()).build())
                    .directHandlers(TransportErrors.handlers(json, responses, options.maxBodyBytes()))
                    .shutdownHook(false)
                    .routing(this::routes)
                    .build()
                    .start();
        } catch (RuntimeException | Error e) {
            slots.close();
            throw e;
        }
        LOG.info("Serving {} on http://{}:{} with {} slot(s) of {} tokens on backend {}", modelId, options.host(),
                port(), options.parallel(), slots.contextLength(), model.backend().id());
    }

    /** Starts serving {@code model}; the returned server listens until {@link #close()}. */
    public static OpenAiServer start(Model model, ServerOptions options) {
        return new OpenAiServer(model, options);
    }

    /** The model id clients use: the file name without {@code .gguf}. */
    static String defaultModelId(Model model) {
        String name = model.path().getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    public int port() {
        return server.port();
    }

    public String modelId() {
        return modelId;
    }

    /** The base URL of the OpenAI API, e.g. {@code http://127.0.0.1:8080/v1}. */
    public String baseUrl() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        if (host.equals("0.0.0.0") || host.equals("[::]")) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + port() + "/v1";
    }

    /** Blocks until the server is stopped (by {@link #close()} from another thread, or the JVM ending). */
    public void awaitShutdown() throws InterruptedException {
        while (server.isRunning()) {
            Thread.sleep(200);
        }
    }

    private void routes(HttpRouting.Builder r) {
        r.get("/", guard((req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
                    res.send(webChat);
                }))
                .get("/health", guard((req, res) -> sendJson(res, 200, health(), json)))
                .get("/v1/models", guard((req, res) -> sendJson(res, 200, models(), json)))
                .get("/v1/models/{id}", guard((req, res) -> {
                    String id = req.path().pathParameters().get("id");
                    if (!id.equals(modelId)) {
                        throw ApiError.notFound("The model '" + id + "' does not exist", "model", "model_not_found");
                    }
                    sendJson(res, 200, modelObject(), json);
                }))
                .post("/v1/chat/completions", guard((req, res) ->
                        completions.handle(req, res, CompletionRequest.Kind.CHAT)))
                .post("/v1/completions", guard((req, res) ->
                        completions.handle(req, res, CompletionRequest.Kind.TEXT)))
                .any(guard((req, res) -> {
                    throw ApiError.notFound("no endpoint " + req.prologue().method().text() + " "
                            + req.path().path(), null, "unknown_url");
                }));
    }

    /** Every request ends in an answer: refusals as OpenAI error objects, anything else as a 500. */
    private Handler guard(Handler h) {
        return (req, res) -> {
            stats.requests.incrementAndGet();
            try {
                h.handle(req, res);
            } catch (ApiError e) {
                if (e.status() != 503) {
                    stats.failed.incrementAndGet();
                }
                sendError(res, e);
            } catch (Throwable e) { // NOPMD: a request must never take the server down
                stats.failed.incrementAndGet();
                LOG.warn("request {} {} failed", req.prologue().method().text(), req.path().path(), e);
                sendError(res, ApiError.internal("the server failed on this request: " + e));
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private void sendError(ServerResponse res, ApiError e) {
        if (res.isSent()) {
            return;
        }
        try {
            if (e.status() == 413) {
                // the rest of the body is not read: the connection cannot carry another request
                res.header(HeaderNames.CONNECTION, "close");
            }
            sendJson(res, e.status(), responses.error(e), json);
        } catch (RuntimeException ignored) {
            // the client is gone
        }
    }

    static void sendJson(ServerResponse res, int status, ObjectNode body, ObjectMapper json) {
        try {
            byte[] bytes = json.writeValueAsBytes(body);
            res.status(Status.create(status));
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectNode modelObject() {
        ObjectNode m = json.createObjectNode();
        m.put("id", modelId);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "mixtral4j");
        ObjectNode meta = m.putObject("meta");
        meta.put("backend", model.backend().id());
        meta.put("n_ctx", slots.contextLength());
        meta.put("n_vocab", model.tokenizer().vocabSize());
        meta.put("architecture", model.config().architecture());
        return m;
    }

    private ObjectNode models() {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        root.putArray("data").add(modelObject());
        return root;
    }

    private ObjectNode health() {
        ObjectNode h = json.createObjectNode();
        h.put("status", "ok");
        h.put("model", modelId);
        h.put("backend", model.backend().id());
        h.put("context", slots.contextLength());
        ObjectNode s = h.putObject("slots");
        s.put("total", slots.size());
        s.put("busy", slots.busyCount());
        s.put("waiting", slots.waitingCount());
        s.put("queue", options.queue());
        ObjectNode c = h.putObject("requests");
        c.put("received", stats.requests.get());
        c.put("completed", stats.completed.get());
        c.put("cancelled", stats.cancelled.get());
        c.put("rejected", stats.rejected.get());
        c.put("failed", stats.failed.get());
        ObjectNode t = h.putObject("tokens");
        t.put("prompt", stats.promptTokens.get());
        t.put("prompt_cached", stats.cachedPromptTokens.get());
        t.put("generated", stats.generatedTokens.get());
        return h;
    }

    private static byte[] resource(String name) {
        try (InputStream in = OpenAiServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " next to " + OpenAiServer.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops listening, cancels running generations and closes the sessions (not the model). */
    @Override
    public void close() {
        try {
            server.stop();
        } finally {
            slots.close();
        }
    }
}
