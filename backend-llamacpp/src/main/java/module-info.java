/** llama.cpp through java.lang.foreign. */
module dev.mixtral4j.backend.llamacpp {
    requires dev.mixtral4j.api;
}
