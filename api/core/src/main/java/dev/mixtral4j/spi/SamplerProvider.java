package dev.mixtral4j.spi;

import java.util.Map;

/** Makes a named sampler from string parameters (for CLIs and config files); ServiceLoader. */
public interface SamplerProvider {

    /** The name users write, e.g. "top-k". */
    String name();

    Sampler create(Map<String, String> parameters);
}
