import dev.mixtral4j.sampling.BuiltinSamplerProviders;

/** Mixtral4j's stable surface: user API, SPIs, GGUF, generation loop, samplers. */
module dev.mixtral4j.api {
    requires transitive org.slf4j;
    // Optional: only dev.mixtral4j.inject touches Guice; everything else works without it.
    requires static com.google.guice;

    exports dev.mixtral4j;
    exports dev.mixtral4j.gguf;
    exports dev.mixtral4j.model;
    exports dev.mixtral4j.quant;
    exports dev.mixtral4j.spi;
    exports dev.mixtral4j.sampling;
    exports dev.mixtral4j.generation;
    exports dev.mixtral4j.routing;
    exports dev.mixtral4j.inject;

    // Guice calls the @Provides methods of Mixtral4jModule reflectively.
    opens dev.mixtral4j.inject to com.google.guice;

    uses dev.mixtral4j.spi.BackendProvider;
    uses dev.mixtral4j.spi.TokenizerProvider;
    uses dev.mixtral4j.spi.SamplerProvider;

    provides dev.mixtral4j.spi.SamplerProvider with
            BuiltinSamplerProviders.Greedy,
            BuiltinSamplerProviders.Dist,
            BuiltinSamplerProviders.Temperature,
            BuiltinSamplerProviders.TopK,
            BuiltinSamplerProviders.TopP,
            BuiltinSamplerProviders.MinP,
            BuiltinSamplerProviders.Penalties,
            BuiltinSamplerProviders.Repetition,
            BuiltinSamplerProviders.Frequency,
            BuiltinSamplerProviders.Presence,
            BuiltinSamplerProviders.LogitBias;
}
