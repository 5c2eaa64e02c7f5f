package dev.mixtral4j.testkit;

import dev.mixtral4j.spi.Backend;

/** Runs the conformance kit on the reference backend, so the kit itself is exercised in api's build. */
class ReferenceBackendConformanceTest extends BackendConformanceKit {
    private static final Backend BACKEND = new ReferenceBackend();

    @Override
    protected Backend backend() {
        return BACKEND;
    }
}
