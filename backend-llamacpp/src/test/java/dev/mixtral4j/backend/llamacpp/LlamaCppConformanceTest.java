package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.Fixtures.Fixture;
import dev.mixtral4j.testkit.BackendConformanceKit;

/** The shared conformance kit on llama.cpp: the fixture files load and agree with the reference. */
class LlamaCppConformanceTest extends BackendConformanceKit {
    private static Backend backend;

    @Override
    protected Backend backend() {
        if (backend == null) {
            LlamaCppBackendProvider provider = new LlamaCppBackendProvider();
            // an unavailable backend is skipped by the kit with the reason; backend() would throw
            backend = provider.availability().available() ? provider.backend() : new UnavailableBackend(provider);
        }
        return backend;
    }

    @Override
    protected LoadOptions loadOptions() {
        // one thread: ggml's worker threads spin at barriers, which crawls on a busy 2-core machine
        return LoadOptions.builder().backend(LlamaCppBackendProvider.ID).threads(1).build();
    }

    /**
     * Flash attention (llama.cpp's default "auto", on for the CPU) reorders the softmax sums: F32
     * logits then differ from the reference by up to about 1e-2 instead of 1e-5.
     */
    @Override
    protected Tolerance tolerance(Fixture fixture) {
        return fixture.weightType() == GgmlType.F32 ? new Tolerance(2e-2, 1.0) : super.tolerance(fixture);
    }

    /** llama.cpp v0.5.0 ignores llama.attention.sliding_window for llama files (the session refuses past it). */
    @Override
    protected boolean honoursSlidingWindow() {
        return false;
    }
}
