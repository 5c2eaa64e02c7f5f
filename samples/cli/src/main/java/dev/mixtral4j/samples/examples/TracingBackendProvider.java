package dev.mixtral4j.samples.examples;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.Discovery;
import dev.mixtral4j.spi.SpiVersion;
import java.util.Comparator;
import java.util.Optional;

/**
 * An example of a third-party backend: a decorator that runs every call on another backend and
 * logs each forward pass (tokens, positions, time). It shows the whole SPI a backend implements
 * ({@link BackendProvider} → {@link Backend} → model → session) and how it is registered: in
 * {@code module-info.java} ({@code provides dev.mixtral4j.spi.BackendProvider with ...}) and in
 * {@code META-INF/services/dev.mixtral4j.spi.BackendProvider} for the class path.
 *
 * <p>It wraps the backend named by {@code -Dmixtral4j.traced.inner=ID}, or else the best
 * available other backend. Its rank is the lowest, so "auto" never picks it: ask for it with
 * {@code --backend traced}.
 */
public final class TracingBackendProvider implements BackendProvider {
    public static final String ID = "traced";
    public static final String INNER_PROPERTY = "mixtral4j.traced.inner";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "example third-party backend (samples): logs every forward pass of another backend";
    }

    @Override
    public int rank() {
        return Integer.MIN_VALUE / 2;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        try {
            return inner().map(p -> Availability.yes("wraps " + p.id()))
                    .orElseGet(() -> Availability.no(System.getProperty(INNER_PROPERTY) != null
                            ? "backend '" + System.getProperty(INNER_PROPERTY) + "' (from -D" + INNER_PROPERTY + ") is not available to wrap"
                            : "nothing to wrap: no other backend is available"));
        } catch (RuntimeException | java.util.ServiceConfigurationError e) {
            return Availability.no("cannot look for a backend to wrap: " + e.getMessage());
        }
    }

    @Override
    public Backend backend() {
        BackendProvider inner = inner().orElseThrow(() -> new BackendUnavailableException(availability().reason()));
        return new TracingBackend(this, inner.backend());
    }

    /** The wrapped provider: the one named by the property, else the best available other one. */
    private static Optional<BackendProvider> inner() {
        String wanted = System.getProperty(INNER_PROPERTY);
        return Discovery.providers(Discovery.find(BackendProvider.class, Thread.currentThread().getContextClassLoader()))
                .stream()
                .filter(p -> !(p instanceof TracingBackendProvider))
                .filter(p -> wanted == null || p.id().equalsIgnoreCase(wanted))
                .filter(p -> p.availability().available())
                .max(Comparator.comparingInt(BackendProvider::rank));
    }
}
