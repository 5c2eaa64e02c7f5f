package dev.mixtral4j.samples.cli;

import dev.mixtral4j.samples.testbackend.FakeBackendProvider;

/** Turns the test-only fake backend on for the duration of a try-with-resources block. */
final class FakeBackendEnabled implements AutoCloseable {
    FakeBackendEnabled() {
        System.setProperty(FakeBackendProvider.ENABLE, "true");
    }

    @Override
    public void close() {
        System.clearProperty(FakeBackendProvider.ENABLE);
    }
}
