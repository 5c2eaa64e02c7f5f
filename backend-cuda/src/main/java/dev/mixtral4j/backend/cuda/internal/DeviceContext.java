package dev.mixtral4j.backend.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CUDA device as a model uses it: its retained primary context and the kernel modules
 * loaded from the packaged PTX, with every function looked up by name. Calls made from any
 * thread first make the context current there ({@link #makeCurrent()}).
 */
public final class DeviceContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceContext.class);

    private final int ordinal;
    private final int device;
    private final String name;
    private final int computeMajor;
    private final int computeMinor;
    private final int maxSharedOptin;
    private final MemorySegment context;
    private final List<MemorySegment> modules = new ArrayList<>();
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private boolean closed;

    private DeviceContext(int ordinal) {
        this.ordinal = ordinal;
        this.device = CudaDriver.device(ordinal);
        this.name = CudaDriver.deviceName(device);
        this.computeMajor = CudaDriver.attribute(device, CudaDriver.attrComputeMajor());
        this.computeMinor = CudaDriver.attribute(device, CudaDriver.attrComputeMinor());
        this.maxSharedOptin = CudaDriver.attribute(device, CudaDriver.attrMaxSharedOptin());
        this.context = CudaDriver.retainPrimaryContext(device);
    }

    /** Opens device {@code ordinal} and loads every kernel module for its architecture. */
    public static DeviceContext open(int ordinal, PtxBundle ptx) {
        Optional<String> missing = CudaLibrary.load();
        if (missing.isPresent()) {
            throw new IllegalStateException(missing.get());
        }
        CudaDriver.init();
        int count = CudaDriver.deviceCount();
        if (ordinal >= count) {
            throw new IllegalArgumentException("CUDA device " + ordinal + " requested but " + count + " device(s) present");
        }
        DeviceContext d = new DeviceContext(ordinal);
        try {
            d.makeCurrent();
            int arch = ptx.archFor(d.computeMajor, d.computeMinor).orElseThrow(() -> new IllegalStateException(
                    d.description() + " is older than every packaged kernel architecture " + ptx.archs()));
            for (String module : ptx.modules()) {
                String text = ptx.ptx(module, arch);
                MemorySegment m = CudaDriver.loadModule(text, module + ".compute_" + arch);
                d.modules.add(m);
                for (String entry : PtxBundle.entries(text).keySet()) {
                    d.functions.put(entry, CudaDriver.function(m, entry));
                }
            }
            LOG.info("CUDA {}: {} kernels loaded from compute_{} PTX (nvcc {})", d.description(), d.functions.size(),
                    arch, ptx.nvccVersion());
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("CUDA context of device " + ordinal + " is closed");
        }
        CudaDriver.setCurrent(context);
    }

    public String description() {
        return "device " + ordinal + " (" + name + ", compute " + computeMajor + "." + computeMinor + ")";
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public int maxSharedOptin() {
        return maxSharedOptin;
    }

    public MemorySegment function(String entry) {
        MemorySegment f = functions.get(entry);
        if (f == null) {
            throw new IllegalStateException("kernel " + entry + " is not in the loaded PTX");
        }
        return f;
    }

    /** Lets {@code entry} use more than 48 KiB of dynamic shared memory. */
    public void allowSharedMemory(String entry, int bytes) {
        if (bytes > maxSharedOptin) {
            throw new IllegalStateException(entry + " needs " + bytes + " bytes of shared memory; "
                    + description() + " allows " + maxSharedOptin);
        }
        CudaDriver.setMaxDynamicSharedMemory(function(entry), bytes, entry);
    }

    public void launch(String entry, LaunchConfig config, MemorySegment stream, KernelArgs args) {
        CudaDriver.launch(function(entry), entry, config, stream, args.toParams());
    }

    /** Launches with arguments built in a short-lived arena. */
    public void launch(String entry, LaunchConfig config, MemorySegment stream,
                       java.util.function.Function<Arena, KernelArgs> args) {
        try (Arena a = Arena.ofConfined()) {
            launch(entry, config, stream, args.apply(a));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CudaDriver.setCurrent(context);
            for (MemorySegment m : modules) {
                CudaDriver.unloadModule(m);
            }
        } finally {
            modules.clear();
            functions.clear();
            CudaDriver.releasePrimaryContext(device);
        }
    }
}
