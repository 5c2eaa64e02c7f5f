package dev.mixtral4j.spi;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The one way Mixtral4j finds providers of its SPIs (backends, tokenizers, samplers) with
 * {@link ServiceLoader}. A provider whose class cannot be loaded or whose constructor throws is
 * returned as a failure with the error, never thrown: one broken jar on the path must not hide
 * the others.
 */
public final class Discovery {

    private Discovery() {
    }

    /**
     * One provider found: either {@code provider} is set, or {@code failure} says why it could not
     * be created.
     *
     * @param className the provider's class name, or "unknown" when the service file itself is broken
     */
    public record Found<T>(T provider, String className, Throwable failure) {
        public boolean ok() {
            return provider != null;
        }

        /** The failure on one line ("NoClassDefFoundError: x, caused by ..."). */
        public String reason() {
            return failure == null ? "" : oneLine(failure);
        }
    }

    /** Providers of {@code service} visible to {@code loader} (null: the system class loader). */
    public static <T> List<Found<T>> find(Class<T> service, ClassLoader loader) {
        return collect(ServiceLoader.load(service, loader));
    }

    /** Providers of {@code service} in a module layer and its parents. */
    public static <T> List<Found<T>> find(Class<T> service, ModuleLayer layer) {
        return collect(ServiceLoader.load(layer, service));
    }

    /** The providers that could be created, in discovery order; failures are left out. */
    public static <T> List<T> providers(List<Found<T>> found) {
        return found.stream().filter(Found::ok).map(Found::provider).toList();
    }

    private static <T> List<Found<T>> collect(ServiceLoader<T> loader) {
        List<Found<T>> found = new ArrayList<>();
        Iterator<ServiceLoader.Provider<T>> it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<T> candidate;
            try {
                if (!it.hasNext()) {
                    break;
                }
                candidate = it.next();
            } catch (ServiceConfigurationError e) {
                // A broken META-INF/services entry or a class that cannot be found: report, go on.
                found.add(new Found<>(null, "unknown", e));
                continue;
            }
            String className = candidate.type().getName();
            try {
                found.add(new Found<>(candidate.get(), className, null));
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                found.add(new Found<>(null, className, e));
            }
        }
        return found;
    }

    /** An error and its causes on one line, e.g. "ServiceConfigurationError: ..., caused by NoClassDefFoundError: x". */
    public static String oneLine(Throwable t) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 4; c = c.getCause() == c ? null : c.getCause(), depth++) {
            if (depth > 0) {
                text.append(", caused by ");
            }
            String m = c.getMessage();
            text.append(c.getClass().getSimpleName()).append(m == null || m.isBlank() ? "" : ": " + m);
        }
        return text.toString().replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
