package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtral4j.generation.GenerationStats;
import dev.mixtral4j.generation.StopReason;

/** The JSON bodies of OpenAI's completion responses, streamed chunks and errors. */
final class ResponseJson {
    private final ObjectMapper json;
    private final String modelId;
    private final String backendId;

    ResponseJson(ObjectMapper json, String modelId, String backendId) {
        this.json = json;
        this.modelId = modelId;
        this.backendId = backendId;
    }

    /** OpenAI's two finish reasons: "length" when a limit cut the text, else "stop". */
    static String finishReason(StopReason r) {
        return r == StopReason.MAX_TOKENS || r == StopReason.CONTEXT_FULL ? "length" : "stop";
    }

    ObjectNode error(ApiError e) {
        ObjectNode root = json.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return root;
    }

    private ObjectNode envelope(String id, String object, long created) {
        ObjectNode root = json.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", modelId);
        root.put("system_fingerprint", "mixtral4j-" + backendId);
        return root;
    }

    /** A whole chat completion. */
    ObjectNode chatCompletion(String id, long created, String text, StopReason stop, GenerationStats stats) {
        ObjectNode root = envelope(id, "chat.completion", created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text);
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(stop));
        root.set("usage", usage(stats));
        root.set("timings", timings(stats));
        return root;
    }

    /** A whole text completion. */
    ObjectNode textCompletion(String id, long created, String text, StopReason stop, GenerationStats stats) {
        ObjectNode root = envelope(id, "text_completion", created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.put("text", text);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(stop));
        root.set("usage", usage(stats));
        root.set("timings", timings(stats));
        return root;
    }

    /**
     * One streamed chunk.
     *
     * @param role   the role to announce (first chat chunk), or null
     * @param text   text of this chunk, or null for none (the last chat chunk has an empty delta)
     * @param finish the finish reason (last chunk), or null
     */
    ObjectNode chunk(CompletionRequest.Kind kind, String id, long created, String role, String text, String finish) {
        boolean chat = kind == CompletionRequest.Kind.CHAT;
        ObjectNode root = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (role != null) {
                delta.put("role", role);
            }
            if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return root;
    }

    /** The chunk {@code stream_options.include_usage} asks for: no choices, the usage. */
    ObjectNode usageChunk(CompletionRequest.Kind kind, String id, long created, GenerationStats stats) {
        boolean chat = kind == CompletionRequest.Kind.CHAT;
        ObjectNode root = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
        root.putArray("choices");
        root.set("usage", usage(stats));
        return root;
    }

    ObjectNode usage(GenerationStats s) {
        ObjectNode u = json.createObjectNode();
        u.put("prompt_tokens", s.promptTokens());
        u.put("completion_tokens", s.generatedTokens());
        u.put("total_tokens", s.promptTokens() + s.generatedTokens());
        // Prompt tokens taken from the slot's KV cache instead of computed: OpenAI's name for it.
        u.putObject("prompt_tokens_details").put("cached_tokens", s.promptTokens() - s.prefilledTokens());
        return u;
    }

    /** llama.cpp server's timings object (the web chat shows tokens/s from it), with the backend. */
    ObjectNode timings(GenerationStats s) {
        ObjectNode t = json.createObjectNode();
        t.put("backend", backendId);
        t.put("cache_n", s.promptTokens() - s.prefilledTokens());
        t.put("prompt_n", s.prefilledTokens());
        t.put("prompt_ms", s.promptNanos() / 1e6);
        t.put("prompt_per_second", s.promptTokensPerSecond());
        t.put("predicted_n", s.generatedTokens());
        t.put("predicted_ms", s.generationNanos() / 1e6);
        t.put("predicted_per_second", s.generatedTokensPerSecond());
        return t;
    }

    /**
     * The {@code mixtral4j_routing} extension: the routing of the positions this request computed
     * (the prompt part not already in the slot's cache, then every generated token but the last),
     * experts best first; null when nothing was computed.
     */
    ObjectNode routing(dev.mixtral4j.routing.RoutingTrace trace) {
        ObjectNode r = json.createObjectNode();
        if (trace == null) {
            r.putNull("start_position");
            r.putArray("tokens");
            r.putArray("layers");
            return r;
        }
        r.put("start_position", trace.startPosition());
        r.put("expert_count", trace.expertCount());
        r.put("experts_used", trace.expertsUsed());
        var tokens = r.putArray("tokens");
        for (int i = 0; i < trace.tokenCount(); i++) {
            tokens.add(trace.token(i));
        }
        var layers = r.putArray("layers");
        for (int l = 0; l < trace.layerCount(); l++) {
            ObjectNode layer = layers.addObject();
            layer.put("layer", l);
            var experts = layer.putArray("experts");
            var weights = layer.putArray("weights");
            for (int i = 0; i < trace.tokenCount(); i++) {
                var e = experts.addArray();
                var w = weights.addArray();
                for (int j = 0; j < trace.expertsUsed(); j++) {
                    e.add(trace.expert(l, i, j));
                    w.add(trace.weight(l, i, j));
                }
            }
        }
        return r;
    }
}
