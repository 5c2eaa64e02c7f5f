package dev.mixtral4j.generation;

import dev.mixtral4j.sampling.SamplerRegistry;
import dev.mixtral4j.sampling.SamplerSpec;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Sampler;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How to generate. Immutable; the sampler given here is a template that every generation copies,
 * so the same options give the same tokens each time they are used (same seed, fresh penalties).
 *
 * @param maxTokens    most tokens to generate; -1 for no limit but the context
 * @param sampler      the chain that picks each token (must end by selecting one: greedy, dist)
 * @param stopStrings  texts that end the generation; they are not emitted, and text that could still
 *                     become one is held back until it cannot
 * @param stopTokens   token ids that end the generation (besides the tokenizer's end-of-generation ones)
 * @param addBos       prepend the BOS token when encoding a text prompt
 * @param parseSpecial turn control-token text (e.g. "[INST]") of a text prompt into control tokens;
 *                     leave false for untrusted text (chat always parses its own template)
 * @param cancel       checked between steps, or null (sessions also offer {@code cancel()})
 * @param ignoreEndOfGeneration keep going past the tokenizer's end-of-generation tokens (for
 *                     benchmarks that need exactly {@code maxTokens}); user stop tokens still stop
 */
public record GenerationOptions(int maxTokens, Sampler sampler, List<String> stopStrings, Set<Integer> stopTokens,
                                boolean addBos, boolean parseSpecial, CancelHandle cancel,
                                boolean ignoreEndOfGeneration) {

    public static final int DEFAULT_MAX_TOKENS = 256;

    public GenerationOptions {
        if (maxTokens < -1 || maxTokens == 0) {
            throw new IllegalArgumentException("maxTokens must be positive or -1 (no limit): " + maxTokens);
        }
        if (sampler == null) {
            throw new IllegalArgumentException("sampler must not be null");
        }
        if (!sampler.selectsToken()) {
            throw new IllegalArgumentException("sampler " + sampler.name() + " does not select a token; end the chain "
                    + "with greedy or dist");
        }
        for (String s : stopStrings) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        stopStrings = List.copyOf(stopStrings);
        stopTokens = Set.copyOf(stopTokens);
    }

    /**
     * These options with a sampler spec that named samplers unknown at build time made from
     * {@code registry}'s samplers; the options themselves when there is none.
     *
     * @throws IllegalArgumentException naming a sampler {@code registry} does not know either
     */
    public GenerationOptions resolveSamplers(SamplerRegistry registry) {
        return sampler instanceof SamplerSpec spec ? toBuilder().sampler(spec.resolve(registry)).build() : this;
    }

    /** Greedy decoding of up to {@value #DEFAULT_MAX_TOKENS} tokens. */
    public static GenerationOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTokens = maxTokens;
        b.sampler = sampler;
        b.stopStrings.addAll(stopStrings);
        b.stopTokens.addAll(stopTokens);
        b.addBos = addBos;
        b.parseSpecial = parseSpecial;
        b.cancel = cancel;
        b.ignoreEndOfGeneration = ignoreEndOfGeneration;
        return b;
    }

    public static final class Builder {
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private Sampler sampler = Samplers.greedy();
        private final List<String> stopStrings = new ArrayList<>();
        private final Set<Integer> stopTokens = new LinkedHashSet<>();
        private boolean addBos = true;
        private boolean parseSpecial;
        private CancelHandle cancel;
        private boolean ignoreEndOfGeneration;

        private Builder() {
        }

        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /** Builds the chain now: {@code .sampler(Samplers.chain().topK(40).temperature(0.7).seed(7))}. */
        public Builder sampler(Samplers.ChainBuilder chain) {
            this.sampler = chain.build();
            return this;
        }

        /**
         * A chain written as a spec, see {@link Samplers#fromSpec(String)}. Names the discovered
         * samplers do not know (e.g. samplers bound with Guice) are looked up when a session
         * generates, in its model's {@link dev.mixtral4j.sampling.SamplerRegistry}.
         */
        public Builder sampler(String spec) {
            this.sampler = Samplers.parseLenient(spec);
            return this;
        }

        public Builder stopString(String stop) {
            this.stopStrings.add(stop);
            return this;
        }

        public Builder stopStrings(List<String> stops) {
            this.stopStrings.addAll(stops);
            return this;
        }

        public Builder stopToken(int token) {
            this.stopTokens.add(token);
            return this;
        }

        public Builder addBos(boolean addBos) {
            this.addBos = addBos;
            return this;
        }

        public Builder parseSpecial(boolean parseSpecial) {
            this.parseSpecial = parseSpecial;
            return this;
        }

        public Builder cancel(CancelHandle cancel) {
            this.cancel = cancel;
            return this;
        }

        public Builder ignoreEndOfGeneration(boolean ignore) {
            this.ignoreEndOfGeneration = ignore;
            return this;
        }

        public GenerationOptions build() {
            return new GenerationOptions(maxTokens, sampler, stopStrings, stopTokens, addBos, parseSpecial,
                    cancel, ignoreEndOfGeneration);
        }
    }
}
