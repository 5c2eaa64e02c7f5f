package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.mixtral4j.Message;
import dev.mixtral4j.generation.CancelHandle;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationStats;
import dev.mixtral4j.generation.StopReason;
import dev.mixtral4j.sampling.Samplers;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates between LangChain4j's request/response vocabulary and Mixtral4j's: messages to
 * {@link Message}s (rendered later by the model's chat template), parameters to a sampler chain
 * in llama.cpp's order (penalties, top-k, top-p, min-p, temperature, seeded choice), and a
 * generation's outcome to a {@link TokenUsage} and a {@link FinishReason}.
 */
final class ChatRequestMapping {

    private ChatRequestMapping() {
    }

    /** The conversation; anything the model cannot read (images, tools) is refused, not dropped. */
    static List<Message> messages(List<ChatMessage> in) {
        if (in == null || in.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        List<Message> out = new ArrayList<>(in.size());
        for (ChatMessage m : in) {
            out.add(switch (m) {
                case SystemMessage s -> Message.system(s.text());
                case UserMessage u -> {
                    if (!u.hasSingleText()) {
                        throw new UnsupportedFeatureException("Mixtral4j reads text only; a user message has "
                                + u.contents().size() + " contents of kinds " + u.contents().stream()
                                .map(c -> c.type().toString()).distinct().toList());
                    }
                    yield Message.user(u.singleText());
                }
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw new UnsupportedFeatureException("Mixtral4j does not support tool calls");
                    }
                    yield Message.assistant(a.text() == null ? "" : a.text());
                }
                default -> throw new UnsupportedFeatureException("Mixtral4j does not support " + m.type()
                        + " messages");
            });
        }
        return out;
    }

    /**
     * Generation options for {@code request}, whose parameters already hold the model's defaults
     * where the request left a field unset.
     *
     * @param penaltyLastN tokens the presence/frequency/repetition penalties look back on
     */
    static GenerationOptions options(ChatRequest request, int penaltyLastN, CancelHandle cancel) {
        ChatRequestParameters p = request.parameters();
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("Mixtral4j does not support tools (" + p.toolSpecifications().size()
                    + " tool specifications in the request)");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("Mixtral4j does not constrain output to JSON");
        }
        GenerationOptions.Builder b = GenerationOptions.builder().cancel(cancel)
                .maxTokens(p.maxOutputTokens() == null ? -1 : positive("maxOutputTokens", p.maxOutputTokens()));
        if (p.stopSequences() != null) {
            b.stopStrings(p.stopSequences());
        }
        Samplers.ChainBuilder chain = Samplers.chain();
        Long seed = null;
        double minP = 0;
        double repeat = 1;
        if (p instanceof Mixtral4jChatRequestParameters m) {
            seed = m.seed();
            minP = m.minP() == null ? 0 : range("minP", m.minP(), 0, 1);
            repeat = m.repeatPenalty() == null ? 1 : m.repeatPenalty();
            if (!(repeat > 0)) {
                throw new IllegalArgumentException("repeatPenalty must be positive: " + repeat);
            }
        }
        double frequency = p.frequencyPenalty() == null ? 0 : range("frequencyPenalty", p.frequencyPenalty(), -2, 2);
        double presence = p.presencePenalty() == null ? 0 : range("presencePenalty", p.presencePenalty(), -2, 2);
        if (repeat != 1 || frequency != 0 || presence != 0) {
            chain.penalties(penaltyLastN, repeat, frequency, presence);
        }
        double temperature = p.temperature() == null ? 0.8 : range("temperature", p.temperature(), 0, 100);
        if (temperature == 0) {
            // Greedy: the other filters could not change the most likely token.
            return b.sampler(chain.greedy().build()).build();
        }
        if (p.topK() != null && p.topK() > 0) {
            chain.topK(p.topK());
        } else if (p.topK() != null && p.topK() < 0) {
            throw new IllegalArgumentException("topK must not be negative: " + p.topK());
        }
        if (p.topP() != null && range("topP", p.topP(), 0, 1) < 1) {
            chain.topP(p.topP());
        }
        if (minP > 0) {
            chain.minP(minP);
        }
        chain.temperature(temperature);
        if (seed != null) {
            chain.seed(seed);
        }
        return b.sampler(chain.build()).build();
    }

    static FinishReason finishReason(StopReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_TOKEN, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    static TokenUsage tokenUsage(GenerationStats stats) {
        return new TokenUsage(stats.promptTokens(), stats.generatedTokens());
    }

    private static int positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + v);
        }
        return v;
    }

    private static double range(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(name + " must be between " + lo + " and " + hi + ": " + v);
        }
        return v;
    }
}
