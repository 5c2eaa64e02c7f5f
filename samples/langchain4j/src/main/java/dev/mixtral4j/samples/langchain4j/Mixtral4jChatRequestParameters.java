package dev.mixtral4j.samples.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's common request parameters plus the sampler settings Mixtral4j has and
 * {@link ChatRequestParameters} does not: the seed of the random choice, min-p and the
 * repetition penalty (llama.cpp semantics). Usable as a model's defaults and per request; where
 * both are set the request wins, field by field.
 */
public final class Mixtral4jChatRequestParameters extends DefaultChatRequestParameters {
    private final Long seed;
    private final Double minP;
    private final Double repeatPenalty;

    private Mixtral4jChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repeatPenalty = builder.repeatPenalty;
    }

    /** Seed of the final random choice; null for a fresh random seed per request. */
    public Long seed() {
        return seed;
    }

    /** Drop tokens below minP times the best one's probability; null or 0: off. */
    public Double minP() {
        return minP;
    }

    /** Repetition penalty over the last tokens; null or 1: off. */
    public Double repeatPenalty() {
        return repeatPenalty;
    }

    @Override
    public Mixtral4jChatRequestParameters overrideWith(ChatRequestParameters that) {
        // The parent's version would return a plain DefaultChatRequestParameters and drop our fields.
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mixtral4jChatRequestParameters that && super.equals(that) && Objects.equals(seed, that.seed)
                && Objects.equals(minP, that.minP) && Objects.equals(repeatPenalty, that.repeatPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repeatPenalty);
    }

    @Override
    public String toString() {
        return "Mixtral4jChatRequestParameters{" + super.toString() + ", seed=" + seed + ", minP=" + minP
                + ", repeatPenalty=" + repeatPenalty + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;
        private Double minP;
        private Double repeatPenalty;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof Mixtral4jChatRequestParameters m) {
                seed = m.seed != null ? m.seed : seed;
                minP = m.minP != null ? m.minP : minP;
                repeatPenalty = m.repeatPenalty != null ? m.repeatPenalty : repeatPenalty;
            }
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repeatPenalty(Double repeatPenalty) {
            this.repeatPenalty = repeatPenalty;
            return this;
        }

        @Override
        public Mixtral4jChatRequestParameters build() {
            return new Mixtral4jChatRequestParameters(this);
        }
    }
}
