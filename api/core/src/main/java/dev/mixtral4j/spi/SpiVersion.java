package dev.mixtral4j.spi;

/**
 * The version of the backend SPI this api implements. A provider returns {@link #CURRENT} from
 * {@link BackendProvider#spiVersion()}: the constant is compiled into the provider's class, so a
 * provider built against another api keeps reporting the version it was built for, and
 * {@code Backends} lists it as unavailable with both numbers instead of failing later with a
 * {@link LinkageError} in the middle of a forward pass (SLF4J's provider check works the same way).
 *
 * <p>The number changes when a change to {@code dev.mixtral4j.spi} breaks providers compiled
 * against the previous one.
 */
public final class SpiVersion {
    /** 2: abstract session and model (lifecycle, checks, chunking), identity on the provider only. */
    public static final int CURRENT = 2;

    private SpiVersion() {
    }

    /** Null when a provider built for {@code version} can run on this api, else why not. */
    public static String mismatch(int version) {
        return version == CURRENT ? null
                : "built for backend SPI version " + version + ", but this mixtral4j-api implements version " + CURRENT
                        + ": use a build of the backend made for this api version";
    }
}
