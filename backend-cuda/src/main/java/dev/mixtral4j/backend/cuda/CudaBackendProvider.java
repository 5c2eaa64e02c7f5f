package dev.mixtral4j.backend.cuda;

import dev.mixtral4j.backend.cuda.internal.CudaBackend;
import dev.mixtral4j.backend.cuda.internal.PtxBundle;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SpiVersion;
import dev.mixtral4j.spi.BackendUnavailableException;

/**
 * Service provider of the {@code cuda} backend. Construction is free; the driver is probed
 * once, on the first {@link #availability()} call, and a missing driver, device or kernel set is
 * reported there with the reason.
 */
public final class CudaBackendProvider implements BackendProvider {

    private static final class Probe {
        static final Availability RESULT = CudaBackend.probe();
    }

    @Override
    public String id() {
        return CudaBackend.ID;
    }

    @Override
    public String description() {
        return "NVIDIA GPUs through the CUDA driver API, Mixtral4j's own kernels";
    }

    /** Above every CPU backend: when a GPU is usable it is the one to pick. */
    @Override
    public int rank() {
        return 100;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        return Probe.RESULT;
    }

    @Override
    public Backend backend() {
        Availability a = availability();
        if (!a.available()) {
            throw new BackendUnavailableException("cuda backend unavailable: " + a.reason());
        }
        return new CudaBackend(this, a, PtxBundle.packaged().orElseThrow());
    }
}
