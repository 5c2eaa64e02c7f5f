package dev.mixtral4j.fakes;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SpiVersion;
import java.util.function.Supplier;

/**
 * A provider for discovery tests: configurable id, rank and availability, whose backend is a
 * {@link FakeBackend}. The nested classes have the no-argument constructors ServiceLoader needs.
 */
public class TestBackendProvider implements BackendProvider {
    private final String id;
    private final int rank;
    private final Supplier<Availability> availability;
    private final Supplier<? extends Backend> factory;
    private int availabilityCalls;

    public TestBackendProvider(String id, int rank, Supplier<Availability> availability) {
        this(id, rank, availability, () -> new FakeBackend(id));
    }

    public TestBackendProvider(String id, int rank, Supplier<Availability> availability,
                               Supplier<? extends Backend> factory) {
        this.id = id;
        this.rank = rank;
        this.availability = availability;
        this.factory = factory;
    }

    /** A provider handing out this very backend (so a test can look at its calls). */
    public static TestBackendProvider wrapping(Backend backend, int rank) {
        return new TestBackendProvider(backend.id(), rank, () -> Availability.yes("ready"), () -> backend);
    }

    public static TestBackendProvider available(String id, int rank) {
        return new TestBackendProvider(id, rank, () -> Availability.yes("ready"));
    }

    public static TestBackendProvider unavailable(String id, int rank, String reason) {
        return new TestBackendProvider(id, rank, () -> Availability.no(reason));
    }

    public int availabilityCalls() {
        return availabilityCalls;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String description() {
        return "test backend " + id;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        availabilityCalls++;
        return availability.get();
    }

    @Override
    public Backend backend() {
        return factory.get();
    }

    public static final class Alpha extends TestBackendProvider {
        public Alpha() {
            super("alpha", 10, () -> Availability.yes("always"));
        }
    }

    public static final class Beta extends TestBackendProvider {
        public Beta() {
            super("beta", 20, () -> Availability.no("no beta device: libbeta.so not found"));
        }
    }

    public static final class Exploding extends TestBackendProvider {
        public Exploding() {
            super("exploding", 30, () -> {
                throw new IllegalStateException("driver probe crashed");
            });
        }
    }

    /** Claims "alpha" again: the first one found must win. */
    public static final class AlphaImpostor extends TestBackendProvider {
        public AlphaImpostor() {
            super("alpha", 99, () -> Availability.yes("impostor"));
        }
    }

    /** Built for an SPI version this api does not implement. */
    public static final class OtherSpiVersion extends TestBackendProvider {
        public OtherSpiVersion() {
            super("elder", 50, () -> Availability.yes("ready"));
        }

        @Override
        public int spiVersion() {
            return SpiVersion.CURRENT - 1;
        }
    }

    /** Throws from its constructor, as a provider with a missing dependency would. */
    public static final class Unconstructible extends TestBackendProvider {
        public Unconstructible() {
            super("never", 1, () -> Availability.yes("never"));
            throw new NoClassDefFoundError("com/example/MissingNative");
        }
    }
}
