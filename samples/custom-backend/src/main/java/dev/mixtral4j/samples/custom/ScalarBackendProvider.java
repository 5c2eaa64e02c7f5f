package dev.mixtral4j.samples.custom;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SpiVersion;

/**
 * The service entry of the example backend (id {@value #ID}): registered in module-info.java
 * ({@code provides dev.mixtral4j.spi.BackendProvider with ...}) and in
 * META-INF/services/dev.mixtral4j.spi.BackendProvider for the class path. Its rank is the lowest,
 * so "auto" never picks it: ask for it with {@code --backend scalar}.
 */
public final class ScalarBackendProvider implements BackendProvider {
    public static final String ID = "scalar";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "example third-party backend: Mixtral's forward pass in plain scalar Java (slow, readable)";
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
        return Availability.yes("runs on any JVM");
    }

    @Override
    public Backend backend() {
        return new ScalarBackend(this);
    }
}
