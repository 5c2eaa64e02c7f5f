package dev.mixtral4j.samples.cli;

import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Sampler;
import picocli.CommandLine.Option;

/**
 * Sampler options (a picocli mixin), with llama.cpp's defaults and order: repetition penalty,
 * top-k, top-p, min-p, temperature, then a seeded random choice.
 */
public final class SamplerOptions {

    @Option(names = "--temp", defaultValue = "0.8", paramLabel = "T",
            description = "Temperature; 0 means greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K", description = "Keep the K most likely tokens; 0 off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P", description = "Nucleus sampling; 1 off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P", description = "Drop tokens below P x the best one's probability; 0 off (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "X", description = "Repetition penalty; 1 off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", paramLabel = "N", description = "Tokens the repetition penalty looks back on (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", description = "Seed of the random choice (default: random).")
    Long seed;

    @Option(names = "--greedy", description = "Always take the most likely token (ignores the options above).")
    boolean greedy;

    @Option(names = "--sampler", paramLabel = "SPEC",
            description = "A whole chain as a spec, e.g. top-k:k=40,temperature:t=0.7,dist:seed=7 (overrides the options above).")
    String spec;

    Sampler sampler() {
        if (spec != null) {
            try {
                return Samplers.fromSpec(spec);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--sampler: " + e.getMessage());
            }
        }
        if (greedy || temperature <= 0) {
            return Samplers.greedy();
        }
        checkRange("--top-p", topP, 0, 1);
        checkRange("--min-p", minP, 0, 1);
        if (topK < 0 || repeatLastN < 0 || repeatPenalty <= 0) {
            throw new UsageException("--top-k and --repeat-last-n must not be negative, --repeat-penalty must be positive");
        }
        Samplers.ChainBuilder chain = Samplers.chain();
        if (repeatPenalty != 1.0) {
            chain.repetitionPenalty(repeatLastN, repeatPenalty);
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

    private static void checkRange(String name, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new UsageException(name + " must be between " + lo + " and " + hi + ": " + v);
        }
    }
}
