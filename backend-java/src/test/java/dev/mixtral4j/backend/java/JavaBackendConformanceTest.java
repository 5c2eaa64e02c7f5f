package dev.mixtral4j.backend.java;

import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.BackendConformanceKit;
import dev.mixtral4j.testkit.Fixtures.Fixture;

/**
 * The shared conformance kit, with tolerances tighter than its defaults: this backend keeps
 * activations in F32 (it does not quantize them as llama.cpp does), so for every weight type the
 * only difference from the double-precision reference is float rounding.
 */
class JavaBackendConformanceTest extends BackendConformanceKit {
    private static final Backend BACKEND = new JavaBackendProvider().backend();

    @Override
    protected Backend backend() {
        return BACKEND;
    }

    @Override
    protected Tolerance tolerance(Fixture fixture) {
        return new Tolerance(2e-3, 1.0);
    }
}
