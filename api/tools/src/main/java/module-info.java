/**
 * Mixtral4j tooling that no runtime path needs: writing GGUF files, GGML's reference quantizers,
 * and synthetic Mixtral models for tests, demos and benchmarks. Applications do not ship it.
 */
module dev.mixtral4j.tools {
    requires transitive dev.mixtral4j.api;

    exports dev.mixtral4j.tools.gguf;
    exports dev.mixtral4j.tools.quant;
    exports dev.mixtral4j.tools.synthetic;
}
