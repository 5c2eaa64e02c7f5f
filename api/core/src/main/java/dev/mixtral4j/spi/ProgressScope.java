package dev.mixtral4j.spi;

/** Where {@link ProgressListener#reportingTo} keeps the listener of the running thread. */
final class ProgressScope {
    static final ScopedValue<ProgressListener> LISTENER = ScopedValue.newInstance();

    private ProgressScope() {
    }
}
