/**
 * llama.cpp through java.lang.foreign: a {@link dev.mixtral4j.spi.BackendProvider} (id
 * "llamacpp") and a {@link dev.mixtral4j.spi.TokenizerProvider} (id "llamacpp"). Nothing is
 * exported: the providers are reached through ServiceLoader, and the jextract bindings stay internal.
 */
module dev.mixtral4j.backend.llamacpp {
    requires dev.mixtral4j.api;
    requires org.slf4j;

    provides dev.mixtral4j.spi.BackendProvider with dev.mixtral4j.backend.llamacpp.LlamaCppBackendProvider;
    provides dev.mixtral4j.spi.TokenizerProvider with dev.mixtral4j.backend.llamacpp.LlamaCppTokenizerProvider;
}
