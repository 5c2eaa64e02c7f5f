/** Mixtral4j's stable surface: user API, SPIs, GGUF, generation loop, samplers. */
module dev.mixtral4j.api {
    requires transitive org.slf4j;
    requires static com.google.guice;

    exports dev.mixtral4j;
    exports dev.mixtral4j.gguf;
    exports dev.mixtral4j.model;
    exports dev.mixtral4j.quant;
    exports dev.mixtral4j.spi;

    uses dev.mixtral4j.spi.BackendProvider;
    uses dev.mixtral4j.spi.TokenizerProvider;
    uses dev.mixtral4j.spi.SamplerProvider;
}
