package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Skips (with the reason) tests that need llama.cpp when this build has none or it cannot load here. */
final class NativeTestSupport {
    private NativeTestSupport() {
    }

    static LlamaRuntime runtime() {
        LlamaRuntime rt = LlamaRuntime.get();
        assumeTrue(rt.available(), () -> "llama.cpp not available: " + rt.availability().reason());
        return rt;
    }

    /** A file of the fetched llama.cpp source tree, e.g. {@code models/ggml-vocab-llama-spm.gguf}. */
    static Path sourceFile(String relative) {
        String dir = System.getProperty("mixtral4j.llamacpp.dir");
        assumeTrue(dir != null, "mixtral4j.llamacpp.dir not set");
        Path p = Path.of(dir, "src", relative);
        assumeTrue(Files.isRegularFile(p), () -> p + " absent (llama.cpp not fetched: no npm?)");
        return p;
    }
}
