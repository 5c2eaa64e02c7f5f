package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Sampler;
import dev.mixtral4j.spi.SamplerProvider;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link SamplerProvider}s of the built-in samplers, registered with ServiceLoader. Names and
 * parameters (what {@link Samplers#fromSpec} accepts):
 * <ul>
 *   <li>{@code greedy}</li>
 *   <li>{@code dist} — {@code seed} (default: a fresh random seed)</li>
 *   <li>{@code temperature} — {@code t}</li>
 *   <li>{@code top-k} — {@code k}</li>
 *   <li>{@code top-p} — {@code p}, {@code min_keep} (default 1)</li>
 *   <li>{@code min-p} — {@code p}, {@code min_keep} (default 1)</li>
 *   <li>{@code penalties} — {@code last_n} (default 64), {@code repeat} (1), {@code frequency} (0),
 *       {@code presence} (0)</li>
 *   <li>{@code repetition}, {@code frequency}, {@code presence} — {@code penalty}, {@code last_n}
 *       (default 64)</li>
 *   <li>{@code logit-bias} — token id = bias, e.g. {@code 2=-inf}</li>
 * </ul>
 */
public final class BuiltinSamplerProviders {
    static final int DEFAULT_LAST_N = 64;

    private BuiltinSamplerProviders() {
    }

    /** One instance of each built-in provider. */
    public static List<SamplerProvider> all() {
        return List.of(new Greedy(), new Dist(), new Temperature(), new TopK(), new TopP(), new MinP(),
                new Penalties(), new Repetition(), new Frequency(), new Presence(), new LogitBias());
    }

    private static float required(SamplerParameters p, String name, String key) {
        if (!p.values().containsKey(key)) {
            throw new IllegalArgumentException("sampler " + name + " needs parameter " + key);
        }
        return p.floatValue(key, 0f);
    }

    public static final class Greedy implements SamplerProvider {
        @Override
        public String name() {
            return "greedy";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            new SamplerParameters(name(), parameters).allowOnly();
            return new GreedySampler();
        }
    }

    public static final class Dist implements SamplerProvider {
        @Override
        public String name() {
            return "dist";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("seed");
            long seed = p.values().containsKey("seed") ? p.longValue("seed", 0) : new SecureRandom().nextLong();
            return new DistSampler(seed);
        }
    }

    public static final class Temperature implements SamplerProvider {
        @Override
        public String name() {
            return "temperature";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("t");
            return new TemperatureSampler(required(p, name(), "t"));
        }
    }

    public static final class TopK implements SamplerProvider {
        @Override
        public String name() {
            return "top-k";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("k");
            if (!parameters.containsKey("k")) {
                throw new IllegalArgumentException("sampler top-k needs parameter k");
            }
            return new TopKSampler(p.intValue("k", 0));
        }
    }

    public static final class TopP implements SamplerProvider {
        @Override
        public String name() {
            return "top-p";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("p", "min_keep");
            return new TopPSampler(required(p, name(), "p"), p.intValue("min_keep", 1));
        }
    }

    public static final class MinP implements SamplerProvider {
        @Override
        public String name() {
            return "min-p";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("p", "min_keep");
            return new MinPSampler(required(p, name(), "p"), p.intValue("min_keep", 1));
        }
    }

    public static final class Penalties implements SamplerProvider {
        @Override
        public String name() {
            return "penalties";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters)
                    .allowOnly("last_n", "repeat", "frequency", "presence");
            return new PenaltySampler(p.intValue("last_n", DEFAULT_LAST_N), p.floatValue("repeat", 1f),
                    p.floatValue("frequency", 0f), p.floatValue("presence", 0f));
        }
    }

    public static final class Repetition implements SamplerProvider {
        @Override
        public String name() {
            return "repetition";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("penalty", "last_n");
            return PenaltySampler.repetition(p.intValue("last_n", DEFAULT_LAST_N), required(p, name(), "penalty"));
        }
    }

    public static final class Frequency implements SamplerProvider {
        @Override
        public String name() {
            return "frequency";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("penalty", "last_n");
            return PenaltySampler.frequency(p.intValue("last_n", DEFAULT_LAST_N), required(p, name(), "penalty"));
        }
    }

    public static final class Presence implements SamplerProvider {
        @Override
        public String name() {
            return "presence";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters).allowOnly("penalty", "last_n");
            return PenaltySampler.presence(p.intValue("last_n", DEFAULT_LAST_N), required(p, name(), "penalty"));
        }
    }

    public static final class LogitBias implements SamplerProvider {
        @Override
        public String name() {
            return "logit-bias";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            SamplerParameters p = new SamplerParameters(name(), parameters);
            Map<Integer, Float> biases = new TreeMap<>();
            for (Map.Entry<String, String> e : parameters.entrySet()) {
                int token;
                try {
                    token = Integer.parseInt(e.getKey().trim());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("sampler logit-bias: parameter names are token ids, not '"
                            + e.getKey() + "'");
                }
                biases.put(token, p.parseFloat(e.getKey(), e.getValue()));
            }
            return new LogitBiasSampler(biases);
        }
    }
}
