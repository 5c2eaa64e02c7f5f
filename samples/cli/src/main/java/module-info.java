/**
 * The mixtral4j command line and examples. Backends are reached only through ServiceLoader:
 * this module requires none of them.
 */
module dev.mixtral4j.samples {
    requires dev.mixtral4j.api;
    requires dev.mixtral4j.tokenizer;
    // demo and bench write synthetic models.
    requires dev.mixtral4j.tools;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires dev.mixtral4j.samples.server;

    uses dev.mixtral4j.spi.BackendProvider;
    uses dev.mixtral4j.spi.TokenizerProvider;
    uses dev.mixtral4j.spi.SamplerProvider;

    // The example third-party backend (a decorator that logs another backend's forward passes).
    provides dev.mixtral4j.spi.BackendProvider with dev.mixtral4j.samples.examples.TracingBackendProvider;

    // picocli reads the command classes' annotations and fields reflectively.
    opens dev.mixtral4j.samples.cli to info.picocli;
}
