package dev.mixtral4j.backend.java;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.SpiVersion;

/** ServiceLoader entry of the pure-Java backend (id "java"). */
public final class JavaBackendProvider implements BackendProvider {

    @Override
    public String id() {
        return JavaBackend.ID;
    }

    @Override
    public String description() {
        return "pure-Java Mixtral forward pass with the Vector API";
    }

    /** Below native backends: chosen by "auto" when nothing faster is available. */
    @Override
    public int rank() {
        return 10;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        return checkAvailability();
    }

    @Override
    public Backend backend() {
        Availability a = availability();
        if (!a.available()) {
            throw new BackendUnavailableException(a.reason());
        }
        return new JavaBackend(this);
    }

    static Availability checkAvailability() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.no("the JVM runs without jdk.incubator.vector: start it with --add-modules jdk.incubator.vector");
        }
        try {
            return Availability.yes("CPU, " + dev.mixtral4j.backend.java.kernel.VectorSupport.F.vectorBitSize() + "-bit vectors");
        } catch (LinkageError e) {
            return Availability.no("the Vector API cannot start: " + e);
        }
    }
}
