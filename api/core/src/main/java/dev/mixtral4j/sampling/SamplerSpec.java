package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import java.util.Objects;

/**
 * A sampler chain written as a spec whose names the discovered samplers do not all know yet,
 * e.g. one a Guice module binds: it stands in the generation options until a session resolves it
 * with its model's {@link SamplerRegistry} ({@link #resolve}). It cannot sample by itself.
 */
public final class SamplerSpec implements Sampler {
    private final String spec;
    private final String unknownName;

    SamplerSpec(String spec, String unknownName) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.unknownName = unknownName;
    }

    /** The spec's chain made with {@code registry}'s samplers. */
    public SamplerChain resolve(SamplerRegistry registry) {
        return registry.parse(spec);
    }

    public String spec() {
        return spec;
    }

    @Override
    public String name() {
        return spec;
    }

    @Override
    public void apply(Candidates candidates) {
        throw new IllegalStateException("sampler spec '" + spec + "' was not resolved: sampler '" + unknownName
                + "' is unknown to the discovered samplers; generate through a Session (it resolves specs with its "
                + "model's SamplerRegistry) or add the provider to META-INF/services");
    }

    /** Chains made from a spec always end by choosing a token ({@code dist} is appended otherwise). */
    @Override
    public boolean selectsToken() {
        return true;
    }

    @Override
    public Sampler copy() {
        return this;
    }

    @Override
    public String toString() {
        return "SamplerSpec[" + spec + "]";
    }
}
