package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFeature;
import dev.mixtral4j.model.ModelFeatures;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.DeviceInfo;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The CUDA backend: our kernels (packaged PTX) driven through the CUDA driver API. */
public final class CudaBackend implements Backend {
    public static final String ID = "cuda";
    private static final Set<GgmlType> NORM_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    private final BackendProvider provider;
    private final Availability availability;
    private final PtxBundle ptx;

    public CudaBackend(BackendProvider provider, Availability availability, PtxBundle ptx) {
        this.provider = provider;
        this.availability = availability;
        this.ptx = ptx;
    }

    /**
     * Whether the backend can run here, in this order: a driver library, a device, kernels in the
     * jar for that device. Never throws.
     */
    public static Availability probe() {
        Optional<PtxBundle> bundle = PtxBundle.packaged();
        String kernels = bundle.isEmpty() ? "; also, kernels not built (this jar was built without nvcc)" : "";
        try {
            Optional<String> driver = CudaLibrary.load();
            if (driver.isPresent()) {
                return Availability.no(driver.get() + kernels);
            }
            try {
                CudaDriver.init();
            } catch (CudaException e) {
                return Availability.no("no usable CUDA device: " + e.getMessage() + kernels);
            }
            int count = CudaDriver.deviceCount();
            if (count == 0) {
                return Availability.no("no CUDA device" + kernels);
            }
            if (bundle.isEmpty()) {
                return Availability.no("kernels not built: this jar was built without nvcc, so it carries no PTX");
            }
            int dev = CudaDriver.device(0);
            int major = CudaDriver.attribute(dev, CudaDriver.attrComputeMajor());
            int minor = CudaDriver.attribute(dev, CudaDriver.attrComputeMinor());
            String name = CudaDriver.deviceName(dev);
            if (bundle.get().archFor(major, minor).isEmpty()) {
                return Availability.no(name + " has compute capability " + major + "." + minor
                        + "; the packaged kernels need at least " + bundle.get().archs().getFirst() / 10 + "."
                        + bundle.get().archs().getFirst() % 10);
            }
            int driverVersion = CudaDriver.driverVersion();
            int needed = bundle.get().requiredDriverVersion();
            if (needed > 0 && driverVersion < needed) {
                return Availability.no("the CUDA driver supports CUDA " + PtxBundle.driverVersionText(driverVersion)
                        + " but the kernels were compiled by nvcc " + bundle.get().nvccVersion()
                        + ", whose PTX needs a driver for CUDA " + PtxBundle.driverVersionText(needed)
                        + " or newer: update the driver, or rebuild backend-cuda with an older CUDA toolkit");
            }
            return Availability.yes(count + " device(s); device 0: " + name + " (compute " + major + "." + minor
                    + ", " + MemoryPlan.gib(CudaDriver.totalMemory(dev)) + "), driver for CUDA " + PtxBundle.driverVersionText(driverVersion));
        } catch (Throwable t) {   // a broken driver install must not take the caller down
            return Availability.no("CUDA driver failed: " + t + kernels);
        }
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public String description() {
        // the provider's line, and which kernels this instance runs
        return provider.description() + " (PTX" + (ptx == null ? ", not built" : " from nvcc " + ptx.nvccVersion()) + ")";
    }

    @Override
    public Availability availability() {
        return availability;
    }

    @Override
    public List<DeviceInfo> devices() {
        if (!availability.available()) {
            return List.of();
        }
        List<DeviceInfo> out = new ArrayList<>();
        int count = CudaDriver.deviceCount();
        for (int i = 0; i < count; i++) {
            int dev = CudaDriver.device(i);
            long free = -1;
            MemorySegment ctx = CudaDriver.retainPrimaryContext(dev);
            try {
                CudaDriver.setCurrent(ctx);
                free = CudaDriver.memoryInfo()[0];
            } finally {
                CudaDriver.releasePrimaryContext(dev);
            }
            out.add(new DeviceInfo(i, CudaDriver.deviceName(dev), CudaDriver.totalMemory(dev), free));
        }
        return out;
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return Set.copyOf(Kernels.WEIGHT_TYPES);
    }

    /** The router's ids and weights are copied back from the device only while a listener is attached. */
    @Override
    public boolean supportsRoutingTraces() {
        return true;
    }

    @Override
    public Availability supports(ModelFile model) {
        return checkModel(model).map(Availability::no).orElseGet(() -> Availability.yes("all tensors readable by the CUDA kernels"));
    }

    /** What the kernels compute beyond the plain recipe; every other feature is refused. */
    static final Set<ModelFeature> SUPPORTED_FEATURES = EnumSet.of(ModelFeature.SLIDING_WINDOW);

    /** Why the kernels cannot run this model, or empty when they can. Never throws. */
    public static Optional<String> checkModel(ModelFile model) {
        try {
            ModelConfig c = model.config();
            if (model.vocabularyOnlyReason() != null) {
                return Optional.of(model.vocabularyOnlyReason());
            }
            Optional<String> features = ModelFeatures.refusal(model, SUPPORTED_FEATURES, "cuda");
            if (features.isPresent()) {
                return features;
            }
            if (c.headDim() > Launches.MAX_HEAD_DIM) {
                return Optional.of("head dimension " + c.headDim() + " exceeds " + Launches.MAX_HEAD_DIM);
            }
            if (c.expertCount() > Launches.MAX_EXPERTS) {
                return Optional.of(c.expertCount() + " experts exceed " + Launches.MAX_EXPERTS);
            }
            model.tensors().validate();
            List<WeightMatrix> matrices = new ArrayList<>();
            List<WeightMatrix> norms = new ArrayList<>();
            matrices.add(model.tensors().tokenEmbedding());
            matrices.add(model.tensors().output());
            norms.add(model.tensors().outputNorm());
            for (LayerWeights l : model.tensors().layers()) {
                norms.add(l.attnNorm());
                norms.add(l.ffnNorm());
                matrices.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo()));
                if (l.router() != null) {
                    matrices.add(l.router());
                }
                matrices.addAll(l.gate());
                matrices.addAll(l.up());
                matrices.addAll(l.down());
            }
            for (WeightMatrix w : matrices) {
                if (!Kernels.WEIGHT_TYPES.contains(w.type())) {
                    return Optional.of("tensor " + w.name() + " has type " + w.type() + "; the CUDA kernels read "
                            + Kernels.WEIGHT_TYPES);
                }
                if (w.columns() % 8 != 0) {
                    return Optional.of("tensor " + w.name() + " has rows of " + w.columns()
                            + " values; the CUDA kernels need a multiple of 8");
                }
            }
            for (WeightMatrix w : norms) {
                if (!NORM_TYPES.contains(w.type())) {
                    return Optional.of("norm " + w.name() + " has type " + w.type() + "; expected one of " + NORM_TYPES);
                }
            }
            return Optional.empty();
        } catch (ModelFormatException | IllegalArgumentException | ArithmeticException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        if (!availability.available()) {
            throw new BackendUnavailableException("cuda backend unavailable: " + availability.reason());
        }
        CudaOptions o = CudaOptions.from(options);
        Optional<String> problem = checkModel(model);
        if (problem.isPresent()) {
            throw new ModelFormatException(model.path() + ": " + problem.get());
        }
        return CudaModel.load(this, model, o, ptx);
    }
}
