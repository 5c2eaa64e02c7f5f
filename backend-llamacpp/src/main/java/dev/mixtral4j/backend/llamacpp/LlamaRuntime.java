package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.DeviceInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The llama.cpp libraries of this process, loaded at most once. Where they come from, in order:
 * {@code -Dmixtral4j.llamacpp.path=DIR}, {@code MIXTRAL4J_LLAMACPP_PATH}, or the copy packaged in
 * this jar (extracted into the cache folder). Nothing is ever downloaded. Any failure (no library
 * for this platform, a file missing, a CPU none of ggml's variants runs on) becomes an
 * {@link Availability} with the reason; nothing here throws.
 *
 * <p>The generated bindings resolve symbols through the class loader's libraries, so the
 * libraries are loaded with {@link System#load} by absolute path, base first, before any binding
 * class is touched.
 */
final class LlamaRuntime {
    static final String PATH_PROPERTY = "mixtral4j.llamacpp.path";
    static final String PATH_ENV = "MIXTRAL4J_LLAMACPP_PATH";
    static final String NOT_PACKAGED = "llama.cpp native libraries not packaged in this build";

    private static final Logger LOG = LoggerFactory.getLogger(LlamaRuntime.class);

    private final Availability availability;
    private final Path directory;
    private final List<Device> devices;
    private final String systemInfo;
    private final CpuThreadPools threadPools;

    /** A ggml device: index into ggml's device list, its type and what it reports. */
    record Device(int index, String name, String description, int type, long totalBytes, long freeBytes) {
        boolean isGpu() {
            return type == Llama.GGML_BACKEND_DEVICE_TYPE_GPU() || type == Llama.GGML_BACKEND_DEVICE_TYPE_IGPU();
        }

        DeviceInfo info() {
            String kind = type == Llama.GGML_BACKEND_DEVICE_TYPE_CPU() ? "CPU" : isGpu() ? "GPU" : "accelerator";
            return new DeviceInfo(index, name + " (" + kind + ": " + description + ")",
                    totalBytes > 0 ? totalBytes : -1, freeBytes > 0 ? freeBytes : -1);
        }
    }

    private LlamaRuntime(Availability availability, Path directory, List<Device> devices, String systemInfo,
                         CpuThreadPools threadPools) {
        this.threadPools = threadPools;
        this.availability = availability;
        this.directory = directory;
        this.devices = List.copyOf(devices);
        this.systemInfo = systemInfo;
    }

    private static final class Holder {
        static final LlamaRuntime INSTANCE = initialise();
    }

    /** The process-wide runtime; loads the libraries on first call. */
    static LlamaRuntime get() {
        return Holder.INSTANCE;
    }

    Availability availability() {
        return availability;
    }

    boolean available() {
        return availability.available();
    }

    /** Throws {@link dev.mixtral4j.spi.BackendUnavailableException} with the reason when not available. */
    void require() {
        if (!availability.available()) {
            throw new dev.mixtral4j.spi.BackendUnavailableException("llama.cpp backend unavailable: " + availability.reason());
        }
    }

    Path directory() {
        return directory;
    }

    List<Device> devices() {
        return devices;
    }

    boolean hasGpu() {
        return devices.stream().anyMatch(Device::isGpu);
    }

    /** The CPU plugin's thread-pool functions, or null when the build has none. */
    CpuThreadPools threadPools() {
        return threadPools;
    }

    String systemInfo() {
        return systemInfo;
    }

    private static LlamaRuntime initialise() {
        Path dir;
        try {
            Optional<Path> user = userDirectory();
            if (user.isPresent()) {
                dir = user.get();
                if (!Files.isDirectory(dir)) {
                    return failed("llama.cpp library folder " + dir + " (from -D" + PATH_PROPERTY + " or " + PATH_ENV
                            + ") does not exist");
                }
            } else {
                String platform = PackagedLibraries.platform();
                String index = PackagedLibraries.index(platform);
                if (index == null) {
                    if (!PackagedLibraries.anyPackaged()) {
                        return failed(NOT_PACKAGED + " (point -D" + PATH_PROPERTY + " or " + PATH_ENV + " at a llama.cpp build)");
                    }
                    return failed("no packaged llama.cpp libraries for " + platform + " (this build has: "
                            + PackagedLibraries.packagedPlatforms() + "); point -D" + PATH_PROPERTY + " at a llama.cpp build for it");
                }
                dir = PackagedLibraries.extract(platform, index, PackagedLibraries.defaultCacheRoot());
            }
        } catch (IOException | RuntimeException e) {
            return failed("cannot prepare llama.cpp libraries: " + e.getMessage());
        }
        return load(dir.toAbsolutePath().normalize());
    }

    private static Optional<Path> userDirectory() {
        String p = System.getProperty(PATH_PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(PATH_ENV);
        }
        return p == null || p.isBlank() ? Optional.empty() : Optional.of(Path.of(p));
    }

    private static LlamaRuntime load(Path dir) {
        try {
            // dependency order: ggml-base, then ggml (the backend registry), then llama
            for (String stem : List.of("libggml-base", "libggml", "libllama")) {
                Path lib = find(dir, stem);
                if (lib == null) {
                    return failed("no " + stem + ".so in " + dir);
                }
                System.load(lib.toString());
            }
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return failed("cannot load llama.cpp from " + dir + ": " + e.getMessage());
        }
        try {
            LlamaLog.install();
            LlamaLog.startCapture();
            String said;
            try (Arena arena = Arena.ofConfined()) {
                // loads the best CPU variant this CPU supports, plus any GPU backend in the folder
                Llama.ggml_backend_load_all_from_path(arena.allocateFrom(dir.toString()));
                Llama.llama_backend_init();
            } finally {
                said = LlamaLog.stopCapture();
            }
            List<Device> devices = listDevices();
            if (devices.stream().noneMatch(d -> d.type() == Llama.GGML_BACKEND_DEVICE_TYPE_CPU())) {
                return failed("no ggml CPU backend loads from " + dir + " (is there a libggml-cpu-*.so for this CPU?)"
                        + (said.isEmpty() ? "" : ": " + said));
            }
            String sys = Llama.llama_print_system_info().reinterpret(Long.MAX_VALUE).getString(0).strip();
            String detail = "llama.cpp " + PackagedLibraries.LLAMA_CPP_VERSION + " from " + dir + "; devices: "
                    + String.join(", ", devices.stream().map(Device::name).toList());
            LOG.debug("{}; {}", detail, sys);
            return new LlamaRuntime(Availability.yes(detail), dir, devices, sys, CpuThreadPools.find());
        } catch (Throwable e) {
            // e.g. a symbol missing from a user's build of another llama.cpp version
            return failed("llama.cpp at " + dir + " is not usable: " + e);
        }
    }

    private static List<Device> listDevices() {
        List<Device> list = new ArrayList<>();
        long n = Llama.ggml_backend_dev_count();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (int i = 0; i < n; i++) {
                MemorySegment dev = Llama.ggml_backend_dev_get(i);
                Llama.ggml_backend_dev_memory(dev, free, total);
                list.add(new Device(i, cString(Llama.ggml_backend_dev_name(dev)), cString(Llama.ggml_backend_dev_description(dev)),
                        Llama.ggml_backend_dev_type(dev), total.get(ValueLayout.JAVA_LONG, 0), free.get(ValueLayout.JAVA_LONG, 0)));
            }
        }
        return list;
    }

    static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** {@code stem.so}, or a versioned {@code stem.vX.so} / {@code stem.so.N} as builds name them. */
    private static Path find(Path dir, String stem) throws IOException {
        Path plain = dir.resolve(stem + ".so");
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(stem + ".") && (n.endsWith(".so") || n.contains(".so."));
            }).sorted().findFirst().orElse(null);
        }
    }

    private static LlamaRuntime failed(String reason) {
        LOG.debug("llama.cpp unavailable: {}", reason);
        return new LlamaRuntime(Availability.no(reason), null, List.of(), "", null);
    }
}
