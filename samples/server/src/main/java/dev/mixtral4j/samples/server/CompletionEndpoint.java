package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtral4j.Model;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.generation.GeneratedToken;
import dev.mixtral4j.generation.Generation;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.StopReason;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import io.helidon.http.HeaderNames;
import java.time.Instant;
import java.util.Optional;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: parse and check the
 * request, tokenize the prompt (chat through the model's template), take a slot, generate, and
 * answer as one JSON object or as server-sent events. A streamed client that goes away cancels
 * its generation at the next token and frees the slot.
 */
final class CompletionEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionEndpoint.class);

    private final Model model;
    private final String modelId;
    private final SlotPool slots;
    private final ServerStats stats;
    private final ObjectMapper json;
    private final ResponseJson responses;
    private final RequestParser parser;
    private final long maxBodyBytes;

    CompletionEndpoint(Model model, String modelId, SlotPool slots, ServerStats stats, ObjectMapper json,
                       ResponseJson responses, long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
        this.model = model;
        this.modelId = modelId;
        this.slots = slots;
        this.stats = stats;
        this.json = json;
        this.responses = responses;
        this.parser = new RequestParser(model.tokenizer().vocabSize(), slots.contextLength());
    }

    void handle(ServerRequest req, ServerResponse res, CompletionRequest.Kind kind) throws InterruptedException {
        CompletionRequest request = parser.parse(readJson(req, json, maxBodyBytes), kind);
        if (request.model() != null && !request.model().isEmpty() && !request.model().equals(modelId)) {
            throw ApiError.notFound("The model '" + request.model() + "' does not exist; this server serves '"
                    + modelId + "'", "model", "model_not_found");
        }
        int[] prompt = promptTokens(request);
        if (prompt.length > slots.contextLength()) {
            throw ApiError.invalid("This model's context holds " + slots.contextLength() + " tokens, but the prompt "
                    + "has " + prompt.length + " tokens", kind == CompletionRequest.Kind.CHAT ? "messages" : "prompt",
                    "context_length_exceeded");
        }
        Slot slot;
        try {
            slot = slots.acquire(prompt);
        } catch (ApiError e) {
            stats.rejected.incrementAndGet();
            throw e;
        }
        try {
            String id = (kind == CompletionRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-")
                    + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            long created = Instant.now().getEpochSecond();
            if (request.stream()) {
                stream(res, request, slot, prompt, id, created);
            } else {
                complete(req, res, request, slot, prompt, id, created);
            }
        } finally {
            slots.release(slot);
        }
    }

    static JsonNode readJson(ServerRequest req, ObjectMapper json, long maxBodyBytes) {
        byte[] body = RequestBody.read(req, maxBodyBytes);
        if (body.length == 0) {
            throw ApiError.invalid("the request has no body; send a JSON object", null);
        }
        try {
            return json.readTree(body);
        } catch (JacksonException e) {
            throw ApiError.invalid("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw ApiError.invalid("the request body could not be read: " + e.getMessage(), null);
        }
    }

    private int[] promptTokens(CompletionRequest r) {
        if (r.promptTokens() != null) {
            return r.promptTokens();
        }
        int[] tokens;
        if (r.kind() == CompletionRequest.Kind.CHAT) {
            // The slot pool needs the tokens before the session: the model renders them as Session.chat does.
            try {
                tokens = model.chatTokens(r.messages(), r.options().addBos());
            } catch (RuntimeException e) {
                throw ApiError.invalid("the conversation cannot be formatted with the model's chat template: "
                        + e.getMessage(), "messages");
            }
        } else {
            tokens = model.tokenizer().encode(r.prompt(), r.options().addBos(), r.options().parseSpecial());
        }
        if (tokens.length == 0) {
            throw ApiError.invalid("the prompt is empty", "prompt");
        }
        return tokens;
    }

    /**
     * The {@code mixtral4j_routing} extension: a recorder attached to the slot's session for this
     * request only (null when not asked for).
     */
    private RoutingSubscription recordRouting(CompletionRequest request, Slot slot, RoutingRecorder recorder) {
        if (!request.routing()) {
            return null;
        }
        if (!model.config().isMoe()) {
            throw ApiError.invalid("mixtral4j_routing: this model is not a mixture of experts", "mixtral4j_routing");
        }
        if (!slot.session.backend().supportsRoutingTraces()) {
            throw ApiError.invalid("mixtral4j_routing: backend '" + slot.session.backend().id()
                    + "' does not report routing traces", "mixtral4j_routing");
        }
        return slot.session.attach(recorder);
    }

    private void complete(ServerRequest req, ServerResponse res, CompletionRequest request, Slot slot, int[] prompt,
                          String id, long created) {
        GenerationResult result;
        RoutingRecorder recorder = new RoutingRecorder();
        RoutingSubscription routing = recordRouting(request, slot, recorder);
        try (Generation g = slot.session.stream(prompt, request.options())) {
            Optional<DisconnectWatch> watch = DisconnectWatch.start(req, g::cancel);
            watch.ifPresent(w -> {
                // the watch ends with the connection (see DisconnectWatch), once the answer is out
                res.header(HeaderNames.CONNECTION, "close");
                res.whenSent(w::close);
            });
            try {
                result = g.result();
            } finally {
                watch.ifPresent(w -> {
                    if (w.clientGone()) {
                        w.close();
                    }
                });
            }
            if (watch.isPresent() && watch.get().clientGone()) {
                count(result);
                stats.cancelled.incrementAndGet();
                LOG.info("the client of {} closed its connection; generation cancelled after {} tokens", id,
                        result.stats().generatedTokens());
                try {
                    // Nobody reads it, but Helidon wants an answer from every handler (else it logs a 500);
                    // 499 is what nginx logs for a client that closed its request.
                    OpenAiServer.sendJson(res, 499, responses.error(new ApiError(499, "invalid_request_error",
                            "the client closed the connection", null, "client_closed_request")), json);
                } catch (RuntimeException ignored) {
                    // the write failed: the connection is gone
                }
                return;
            }
        } finally {
            if (routing != null) {
                routing.close();
            }
        }
        count(result);
        ObjectNode body = request.kind() == CompletionRequest.Kind.CHAT
                ? responses.chatCompletion(id, created, result.text(), result.stopReason(), result.stats())
                : responses.textCompletion(id, created, result.text(), result.stopReason(), result.stats());
        if (routing != null) {
            body.set("mixtral4j_routing", responses.routing(recorder.trace().orElse(null)));
        }
        OpenAiServer.sendJson(res, 200, body, json);
        stats.completed.incrementAndGet();
    }

    private void stream(ServerResponse res, CompletionRequest request, Slot slot, int[] prompt, String id,
                        long created) {
        CompletionRequest.Kind kind = request.kind();
        RoutingRecorder recorder = new RoutingRecorder();
        RoutingSubscription routing = recordRouting(request, slot, recorder);
        SseSink sink = res.sink(SseSink.TYPE);
        ClientEvents events = new ClientEvents(sink);
        try (routing; Generation g = slot.session.stream(prompt, request.options())) {
            if (kind == CompletionRequest.Kind.CHAT) {
                events.send(responses.chunk(kind, id, created, "assistant", "", null));
            }
            try {
                while (g.hasNext()) {
                    GeneratedToken t = g.next();
                    if (!t.text().isEmpty()) {
                        events.send(responses.chunk(kind, id, created, null, t.text(), null));
                    }
                }
            } catch (ClientGone gone) {
                g.cancel();
                GenerationResult partial = g.result();
                count(partial);
                stats.cancelled.incrementAndGet();
                LOG.debug("client went away after {} tokens; generation cancelled", partial.stats().generatedTokens());
                return;
            }
            GenerationResult result = g.result();
            count(result);
            ObjectNode last = responses.chunk(kind, id, created, null, kind == CompletionRequest.Kind.CHAT ? null : "",
                    ResponseJson.finishReason(result.stopReason()));
            last.set("timings", responses.timings(result.stats()));
            if (routing != null) {
                last.set("mixtral4j_routing", responses.routing(recorder.trace().orElse(null)));
            }
            events.send(last);
            if (request.includeUsage()) {
                events.send(responses.usageChunk(kind, id, created, result.stats()));
            }
            events.done();
            stats.completed.incrementAndGet();
        } catch (ClientGone gone) {
            stats.cancelled.incrementAndGet();
        } catch (RuntimeException | Error e) {
            // Headers are sent: the error can only go into the stream.
            stats.failed.incrementAndGet();
            LOG.warn("streamed generation failed", e);
            try {
                events.send(responses.error(ApiError.internal("generation failed: " + e.getMessage())));
            } catch (RuntimeException ignored) {
                // the client is gone too
            }
        } finally {
            events.close();
        }
    }

    private void count(GenerationResult r) {
        stats.promptTokens.addAndGet(r.stats().promptTokens());
        stats.cachedPromptTokens.addAndGet(r.stats().promptTokens() - r.stats().prefilledTokens());
        stats.generatedTokens.addAndGet(r.stats().generatedTokens());
        if (r.stopReason() == StopReason.CANCELLED) {
            LOG.debug("generation cancelled");
        }
    }

    /** The client of a stream has gone: its connection refused a write. */
    static final class ClientGone extends RuntimeException {
        ClientGone(Throwable cause) {
            super("client disconnected", cause, false, false);
        }
    }

    /** Server-sent events as OpenAI writes them: {@code data: {json}} and a final {@code data: [DONE]}. */
    final class ClientEvents {
        private final SseSink sink;

        ClientEvents(SseSink sink) {
            this.sink = sink;
        }

        void send(ObjectNode chunk) {
            String text;
            try {
                text = json.writeValueAsString(chunk);
            } catch (JacksonException e) {
                throw new IllegalStateException(e);
            }
            emit(text);
        }

        void done() {
            emit("[DONE]");
        }

        private void emit(String data) {
            try {
                // The space makes "data: ..." as OpenAI writes it; the SSE rules drop it on reading.
                sink.emit(SseEvent.create(" " + data));
            } catch (RuntimeException e) {
                throw new ClientGone(e);
            }
        }

        void close() {
            try {
                sink.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the event stream failed (client gone): {}", e.toString());
            }
        }
    }
}
