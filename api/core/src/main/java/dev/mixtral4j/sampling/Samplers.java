package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Sampler;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Entry point for sampler chains.
 *
 * <pre>{@code
 * SamplerChain chain = Samplers.chain().topK(40).topP(0.95).temperature(0.7).seed(7).build();
 * SamplerChain same  = Samplers.fromSpec("top-k:k=40,top-p:p=0.95,temperature:t=0.7,dist:seed=7");
 * }</pre>
 */
public final class Samplers {

    private Samplers() {
    }

    public static ChainBuilder chain() {
        return new ChainBuilder();
    }

    /** Always the most likely token. */
    public static SamplerChain greedy() {
        return new SamplerChain(List.of(new GreedySampler()));
    }

    /**
     * Parses a chain written as comma-separated {@code name:key=value} items, e.g.
     * {@code "top-k:k=40,top-p:p=0.95,temperature:t=0.7,dist:seed=7"}. Further parameters of the
     * same sampler follow as bare {@code key=value} items ({@code "penalties:last_n=64,repeat=1.1"});
     * {@code ;} separates like {@code ,}. When the last sampler does not choose a token,
     * {@code dist} with a random seed is appended. Names come from
     * {@link SamplerRegistry#discover()} (built-ins and ServiceLoader providers).
     *
     * @throws IllegalArgumentException naming the faulty item, sampler or parameter
     */
    public static SamplerChain fromSpec(String spec) {
        return SamplerRegistry.discover().parse(spec);
    }

    /**
     * {@link #fromSpec} when the discovered samplers know every name; else a {@link SamplerSpec}
     * that a session resolves with its model's registry (samplers bound with Guice). Syntax errors
     * are thrown at once either way.
     */
    public static Sampler parseLenient(String spec) {
        try {
            return fromSpec(spec);
        } catch (UnknownSamplerException e) {
            return new SamplerSpec(spec, e.name());
        }
    }

    /** Builds a chain in the order the methods are called; ends with dist or greedy. */
    public static final class ChainBuilder {
        private final List<Sampler> steps = new ArrayList<>();
        private OptionalLong seed = OptionalLong.empty();

        private ChainBuilder() {
        }

        public ChainBuilder add(Sampler sampler) {
            if (!steps.isEmpty() && steps.getLast().selectsToken()) {
                throw new IllegalStateException("nothing may follow " + steps.getLast().name() + " in a chain");
            }
            steps.add(sampler);
            return this;
        }

        public ChainBuilder topK(int k) {
            return add(new TopKSampler(k));
        }

        public ChainBuilder topP(double p) {
            return add(new TopPSampler((float) p));
        }

        public ChainBuilder minP(double p) {
            return add(new MinPSampler((float) p));
        }

        public ChainBuilder temperature(double t) {
            return add(new TemperatureSampler((float) t));
        }

        /** Repetition penalty over the last {@code lastN} tokens (llama.cpp semantics). */
        public ChainBuilder repetitionPenalty(int lastN, double penalty) {
            return add(PenaltySampler.repetition(lastN, (float) penalty));
        }

        public ChainBuilder frequencyPenalty(int lastN, double penalty) {
            return add(PenaltySampler.frequency(lastN, (float) penalty));
        }

        public ChainBuilder presencePenalty(int lastN, double penalty) {
            return add(PenaltySampler.presence(lastN, (float) penalty));
        }

        public ChainBuilder penalties(int lastN, double repetition, double frequency, double presence) {
            return add(new PenaltySampler(lastN, (float) repetition, (float) frequency, (float) presence));
        }

        public ChainBuilder logitBias(Map<Integer, Float> biases) {
            return add(new LogitBiasSampler(biases));
        }

        /** Seed of the final random choice (added by {@link #build()} unless greedy/dist was). */
        public ChainBuilder seed(long seed) {
            this.seed = OptionalLong.of(seed);
            return this;
        }

        /** Ends the chain with a seeded random choice. */
        public ChainBuilder dist(long seed) {
            return add(new DistSampler(seed));
        }

        /** Ends the chain by taking the most likely token. */
        public ChainBuilder greedy() {
            return add(new GreedySampler());
        }

        /**
         * The chain. Without an explicit final {@code greedy()}/{@code dist(...)}, an empty chain
         * becomes greedy and any other ends with dist, seeded by {@link #seed} or randomly.
         */
        public SamplerChain build() {
            List<Sampler> all = new ArrayList<>(steps);
            if (all.isEmpty()) {
                all.add(new GreedySampler());
            } else if (!all.getLast().selectsToken()) {
                all.add(new DistSampler(seed.orElseGet(() -> new SecureRandom().nextLong())));
            }
            return new SamplerChain(all);
        }
    }
}
