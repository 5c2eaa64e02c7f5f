package dev.mixtral4j.backend.java;

import dev.mixtral4j.backend.java.kernel.Kernels;
import dev.mixtral4j.backend.java.kernel.VectorSupport;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.DeviceInfo;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The pure-Java backend: runs anywhere the Vector API does. */
public final class JavaBackend implements Backend {
    public static final String ID = "java";

    private final BackendProvider provider;

    JavaBackend(BackendProvider provider) {
        this.provider = provider;
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public List<DeviceInfo> devices() {
        Runtime rt = Runtime.getRuntime();
        return List.of(new DeviceInfo(0, "CPU (" + VectorSupport.F.vectorBitSize() + "-bit vectors, "
                + rt.availableProcessors() + " threads)", -1, -1));
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return Kernels.supportedTypes();
    }

    /** Reported from the MoE step itself: the router's choice is copied out only while a listener is attached. */
    @Override
    public boolean supportsRoutingTraces() {
        return true;
    }

    @Override
    public Availability supports(ModelFile model) {
        try {
            Optional<String> refused = JavaBackendModel.refusal(model);
            if (refused.isPresent()) {
                return Availability.no(refused.get());
            }
            // Checks the tensor table only: nothing is built for an answer.
            for (WeightMatrix m : model.tensors().allWeights()) {
                Weight.check(model.path(), m);
            }
            return Availability.yes("all tensors present with supported types and expected shapes");
        } catch (RuntimeException e) {
            return Availability.no(e.getMessage());
        }
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        return new JavaBackendModel(this, model, options);
    }
}
