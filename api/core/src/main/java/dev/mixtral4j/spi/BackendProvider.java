package dev.mixtral4j.spi;

/**
 * Service-provider entry point of a backend, found with {@link java.util.ServiceLoader}
 * ({@code provides dev.mixtral4j.spi.BackendProvider with ...} or META-INF/services).
 * Implementations must have a public no-argument constructor, must be cheap to construct and
 * must never throw from {@link #availability()}: a missing driver or library is reported there.
 * The provider is where a backend's identity lives: {@link Backend#id()} and
 * {@link Backend#description()} return its values.
 */
public interface BackendProvider {

    /** Short stable id users select by, e.g. "java", "llamacpp", "cuda". */
    String id();

    /** One line for humans. */
    String description();

    /** Preference for "auto" selection among available backends: higher wins. */
    int rank();

    /**
     * The SPI version this provider was compiled against: return {@link SpiVersion#CURRENT} (the
     * constant is inlined at compile time, so it records the api the provider was built with).
     * A provider of another version is listed as unavailable, with both versions as the reason.
     */
    int spiVersion();

    /** Whether this backend can run here; never throws. */
    Availability availability();

    /**
     * The backend itself. May be called only when {@link #availability()} says available;
     * otherwise throws {@link BackendUnavailableException} carrying the reason.
     */
    Backend backend();
}
