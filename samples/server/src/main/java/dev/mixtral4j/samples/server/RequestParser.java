package dev.mixtral4j.samples.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtral4j.Message;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Sampler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the fields of an OpenAI completion request, checking each: a value of the wrong type or
 * out of range is a 400 naming the parameter. Fields this server does not know are ignored, as
 * OpenAI's own clients send many. Sampling defaults are llama.cpp server's (temperature 0.8,
 * top_k 40, top_p 0.95, min_p 0.05), and so is the order of the chain: logit bias, penalties,
 * top-k, top-p, min-p, temperature, then a seeded random choice (temperature 0: greedy).
 */
final class RequestParser {
    static final double DEFAULT_TEMPERATURE = 0.8;
    static final int DEFAULT_TOP_K = 40;
    static final double DEFAULT_TOP_P = 0.95;
    static final double DEFAULT_MIN_P = 0.05;
    static final int DEFAULT_PENALTY_WINDOW = 64;

    private final int vocabSize;
    private final int contextLength;

    /**
     * @param vocabSize     token ids in logit_bias and token prompts must be below this
     * @param contextLength repeat_last_n = -1 means this many
     */
    RequestParser(int vocabSize, int contextLength) {
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
    }

    CompletionRequest parse(JsonNode body, CompletionRequest.Kind kind) {
        if (body == null || !body.isObject()) {
            throw ApiError.invalid("the request body must be a JSON object", null);
        }
        String model = optionalText(body, "model");
        List<Message> messages = null;
        String prompt = null;
        int[] promptTokens = null;
        if (kind == CompletionRequest.Kind.CHAT) {
            messages = messages(body);
        } else {
            JsonNode p = field(body, "prompt");
            if (p == null) {
                throw ApiError.invalid("'prompt' is required", "prompt");
            }
            if (p.isTextual()) {
                prompt = p.asText();
            } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
                prompt = p.get(0).asText();
            } else if (p.isArray() && p.size() == 1 && p.get(0).isArray()) {
                promptTokens = tokenIds(p.get(0));
            } else if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
                promptTokens = tokenIds(p);
            } else {
                throw ApiError.invalid("'prompt' must be a string, an array of one string or an array of token ids "
                        + "(one prompt per request)", "prompt");
            }
        }
        JsonNode n = field(body, "n");
        if (n != null && !(n.isNumber() && n.asDouble() == 1)) {
            throw ApiError.invalid("only n=1 is supported: " + n, "n");
        }
        boolean stream = booleanField(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = field(body, "stream_options");
        if (so != null) {
            if (!so.isObject()) {
                throw ApiError.invalid("'stream_options' must be an object", "stream_options");
            }
            includeUsage = booleanField(so, "include_usage", false);
        }
        return new CompletionRequest(kind, model, messages, prompt, promptTokens, stream, includeUsage,
                options(body, kind),
                booleanField(body, "mixtral4j_routing", false));
    }

    private GenerationOptions options(JsonNode body, CompletionRequest.Kind kind) {
        GenerationOptions.Builder b = GenerationOptions.builder();
        int max = -1;
        for (String name : kind == CompletionRequest.Kind.CHAT
                ? List.of("max_completion_tokens", "max_tokens", "n_predict") : List.of("max_tokens", "n_predict")) {
            if (field(body, name) != null) {
                max = intField(body, name, -1, 1, Integer.MAX_VALUE);
                break;
            }
        }
        b.maxTokens(max);
        b.stopStrings(stops(body));
        // llama.cpp's server field: keep going past end-of-generation tokens (for benchmarks, load runs).
        b.ignoreEndOfGeneration(booleanField(body, "ignore_eos", false));
        // A text prompt may hold control tokens written out ("[INST]"), as llama.cpp's server allows.
        b.parseSpecial(true);
        b.sampler(sampler(body));
        return b.build();
    }

    Sampler sampler(JsonNode body) {
        double temperature = number(body, "temperature", DEFAULT_TEMPERATURE, 0, 2);
        double topP = number(body, "top_p", DEFAULT_TOP_P, 0, 1);
        if (field(body, "top_p") != null && topP == 0) {
            throw ApiError.invalid("'top_p' must be above 0 and at most 1: 0", "top_p");
        }
        int topK = intField(body, "top_k", DEFAULT_TOP_K, 0, Integer.MAX_VALUE);
        double minP = number(body, "min_p", DEFAULT_MIN_P, 0, 1);
        double presence = number(body, "presence_penalty", 0, -2, 2);
        double frequency = number(body, "frequency_penalty", 0, -2, 2);
        double repeat = number(body, "repeat_penalty", 1, 0, Double.MAX_VALUE);
        if (field(body, "repeat_penalty") != null && repeat == 0) {
            throw ApiError.invalid("'repeat_penalty' must be positive: 0", "repeat_penalty");
        }
        int lastN = intField(body, "repeat_last_n", DEFAULT_PENALTY_WINDOW, -1, Integer.MAX_VALUE);
        if (lastN == -1) {
            lastN = contextLength;
        }
        Long seed = null;
        JsonNode s = field(body, "seed");
        if (s != null) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw ApiError.invalid("'seed' must be an integer", "seed");
            }
            seed = s.asLong();
        }
        Map<Integer, Float> bias = logitBias(body);

        Samplers.ChainBuilder chain = Samplers.chain();
        if (!bias.isEmpty()) {
            chain.logitBias(bias);
        }
        if (repeat != 1 || frequency != 0 || presence != 0) {
            chain.penalties(lastN, repeat, frequency, presence);
        }
        if (temperature == 0) {
            return chain.greedy().build();
        }
        if (topK > 0) {
            chain.topK(topK);
        }
        if (topP < 1) {
            chain.topP(topP);
        }
        if (minP > 0) {
            chain.minP(minP);
        }
        chain.temperature(temperature);
        if (seed != null) {
            chain.seed(seed);
        }
        return chain.build();
    }

    private Map<Integer, Float> logitBias(JsonNode body) {
        JsonNode lb = field(body, "logit_bias");
        Map<Integer, Float> bias = new LinkedHashMap<>();
        if (lb == null) {
            return bias;
        }
        if (!lb.isObject()) {
            throw ApiError.invalid("'logit_bias' must be an object mapping token ids to biases", "logit_bias");
        }
        for (Map.Entry<String, JsonNode> e : lb.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey().strip());
            } catch (NumberFormatException ex) {
                throw ApiError.invalid("'logit_bias' keys must be token ids: '" + e.getKey() + "'", "logit_bias");
            }
            if (id < 0 || id >= vocabSize) {
                throw ApiError.invalid("'logit_bias' token id " + id + " is outside the vocabulary of " + vocabSize
                        + " tokens", "logit_bias");
            }
            JsonNode v = e.getValue();
            if (!v.isNumber() || !(v.asDouble() >= -100 && v.asDouble() <= 100)) {
                throw ApiError.invalid("'logit_bias' values must be numbers between -100 and 100: " + v, "logit_bias");
            }
            bias.put(id, (float) v.asDouble());
        }
        return bias;
    }

    private static List<String> stops(JsonNode body) {
        JsonNode s = field(body, "stop");
        List<String> stops = new ArrayList<>();
        if (s == null) {
            return stops;
        }
        if (s.isTextual()) {
            stops.add(s.asText());
        } else if (s.isArray()) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiError.invalid("'stop' must be a string or an array of strings", "stop");
                }
                stops.add(e.asText());
            }
        } else {
            throw ApiError.invalid("'stop' must be a string or an array of strings", "stop");
        }
        for (String t : stops) {
            if (t.isEmpty()) {
                throw ApiError.invalid("'stop' strings must not be empty", "stop");
            }
        }
        return stops;
    }

    private static List<Message> messages(JsonNode body) {
        JsonNode ms = field(body, "messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            throw ApiError.invalid("'messages' must be a non-empty array", "messages");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiError.invalid(where + " must be an object", "messages");
            }
            JsonNode r = m.get("role");
            if (r == null || !r.isTextual()) {
                throw ApiError.invalid(where + ".role must be a string", "messages");
            }
            Message.Role role = switch (r.asText()) {
                case "system", "developer" -> Message.Role.SYSTEM;
                case "user" -> Message.Role.USER;
                case "assistant" -> Message.Role.ASSISTANT;
                default -> throw ApiError.invalid(where + ".role '" + r.asText()
                        + "' is not supported (system, developer, user, assistant)", "messages");
            };
            out.add(new Message(role, content(m.get("content"), where)));
        }
        return out;
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type");
                JsonNode text = part.get("text");
                if (type == null || !"text".equals(type.asText()) || text == null || !text.isTextual()) {
                    throw ApiError.invalid(where + ".content: only text parts are supported", "messages");
                }
                sb.append(text.asText());
            }
            return sb.toString();
        }
        throw ApiError.invalid(where + ".content must be a string or an array of text parts", "messages");
    }

    private int[] tokenIds(JsonNode arr) {
        if (arr.isEmpty()) {
            throw ApiError.invalid("'prompt' must not be empty", "prompt");
        }
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = arr.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= vocabSize) {
                throw ApiError.invalid("'prompt' token ids must be integers from 0 to " + (vocabSize - 1) + ": " + t,
                        "prompt");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    /** The field, or null when absent or JSON null (which clients send for "not set"). */
    static JsonNode field(JsonNode body, String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static String optionalText(JsonNode body, String name) {
        JsonNode v = field(body, name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.invalid("'" + name + "' must be a string", name);
        }
        return v.asText();
    }

    private static boolean booleanField(JsonNode body, String name, boolean absent) {
        JsonNode v = field(body, name);
        if (v == null) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiError.invalid("'" + name + "' must be true or false", name);
        }
        return v.asBoolean();
    }

    private static int intField(JsonNode body, String name, int absent, int min, int max) {
        JsonNode v = field(body, name);
        if (v == null) {
            return absent;
        }
        // 3.0 is accepted as 3, as JSON does not tell integers from decimals.
        if (!v.isNumber() || v.asDouble() != Math.rint(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            throw ApiError.invalid("'" + name + "' must be an integer " + range(min, max) + ": " + v, name);
        }
        return (int) v.asDouble();
    }

    private static double number(JsonNode body, String name, double absent, double min, double max) {
        JsonNode v = field(body, name);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiError.invalid("'" + name + "' must be a number " + range(min, max) + ": " + v, name);
        }
        return v.asDouble();
    }

    private static String range(double min, double max) {
        String lo = min == Math.rint(min) ? String.valueOf((long) min) : String.valueOf(min);
        if (max >= Integer.MAX_VALUE) {
            return "of at least " + lo;
        }
        String hi = max == Math.rint(max) ? String.valueOf((long) max) : String.valueOf(max);
        return "from " + lo + " to " + hi;
    }
}
