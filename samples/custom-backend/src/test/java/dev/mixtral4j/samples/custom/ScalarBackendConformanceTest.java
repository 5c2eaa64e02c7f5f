package dev.mixtral4j.samples.custom;

import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.BackendConformanceKit;

/** The example backend passes the same conformance kit as the project's own backends. */
class ScalarBackendConformanceTest extends BackendConformanceKit {
    private static final Backend BACKEND = new ScalarBackendProvider().backend();

    @Override
    protected Backend backend() {
        return BACKEND;
    }

    /** Every pass is slow here, so the close race runs fewer rounds than the default. */
    @Override
    protected int closeRaceIterations() {
        return 300;
    }
}
