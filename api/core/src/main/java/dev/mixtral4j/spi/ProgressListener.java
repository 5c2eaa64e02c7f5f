package dev.mixtral4j.spi;

import java.util.Objects;

/**
 * Hears how far long work of the library has come: extracting a backend's native libraries into
 * the cache on first use, uploading a model's weights to a GPU. A backend reports to
 * {@link #current()}; an application chooses the listener for the work it starts with
 * {@link #reportingTo}, for instance to draw a progress bar:
 *
 * <pre>{@code
 * Model model = ProgressListener.reportingTo(
 *         (task, done, total) -> System.err.printf("\r%s: %d%%", task, 100 * done / Math.max(1, total)),
 *         () -> Mixtral4j.load(path, LoadOptions.builder().backend("cuda").build()));
 * }</pre>
 *
 * The listener is bound to the thread running the work (a {@link ScopedValue}), not to the JVM:
 * two loads in two threads report to their own listeners, and work started elsewhere reports to
 * nobody. A listener is called on the working thread; it should return quickly.
 */
@FunctionalInterface
public interface ProgressListener {

    /** Hears nothing: what work outside {@link #reportingTo} reports to. */
    ProgressListener NONE = (task, done, total) -> { };

    /**
     * One step of a task. For one task the calls share the {@code task} text and {@code total};
     * {@code done} starts at 0, never goes down, and the last call has {@code done == total}
     * (unless the work fails).
     *
     * @param task  what is being done, for people, e.g. "extracting llama.cpp 0.5.0 libraries"
     * @param done  units done so far (bytes, for the library's own tasks)
     * @param total units in all
     */
    void progress(String task, long done, long total);

    /** The listener that {@link #reportingTo} bound for the running thread, else {@link #NONE}. */
    static ProgressListener current() {
        return ProgressScope.LISTENER.orElse(NONE);
    }

    /**
     * Runs {@code work} with {@code listener} as {@link #current()} on this thread (and nowhere
     * else), and returns its result; its exceptions pass through.
     */
    static <T, X extends Throwable> T reportingTo(ProgressListener listener, ScopedValue.CallableOp<? extends T, X> work)
            throws X {
        return ScopedValue.where(ProgressScope.LISTENER, Objects.requireNonNull(listener, "listener")).call(work);
    }
}
