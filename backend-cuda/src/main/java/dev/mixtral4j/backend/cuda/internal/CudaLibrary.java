package dev.mixtral4j.backend.cuda.internal;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds and loads the CUDA driver library ({@code libcuda.so.1}) on first use.
 *
 * <p>The jextract bindings ({@code internal.ffi.cuda_h}) are generated without {@code --library}
 * and resolve symbols through the class loader's lookup, so nothing touches the driver until a
 * function is first called. Here we ask the dynamic linker for {@code libcuda.so.1} by name (its
 * usual search: ld.so.cache, LD_LIBRARY_PATH), read the path it mapped from
 * {@code /proc/self/maps}, and {@link System#load} that path so the bindings see it. A machine
 * without a driver gets a reason instead of an exception out of class initialisation.
 */
public final class CudaLibrary {
    /** Overrides the search: absolute path of the driver library. */
    public static final String PATH_PROPERTY = "mixtral4j.cuda.driver";
    static final String LIBRARY_NAME = "libcuda.so.1";

    private static volatile Optional<String> failure;

    private CudaLibrary() {
    }

    /** Loads the driver once; empty when loaded, else why not (e.g. "no CUDA driver: libcuda.so.1 not found"). */
    public static synchronized Optional<String> load() {
        if (failure == null) {
            failure = tryLoad(System.getProperty(PATH_PROPERTY));
        }
        return failure;
    }

    /** Whether {@link #load()} succeeded. */
    public static boolean isLoaded() {
        return load().isEmpty();
    }

    static Optional<String> tryLoad(String explicitPath) {
        try {
            if (explicitPath != null && !explicitPath.isBlank()) {
                if (!Files.isRegularFile(Path.of(explicitPath))) {
                    return Optional.of("no CUDA driver: " + PATH_PROPERTY + "=" + explicitPath + " does not exist");
                }
                System.load(explicitPath);
                return Optional.empty();
            }
            Optional<String> resolved = resolveByName(LIBRARY_NAME);
            if (resolved.isEmpty()) {
                return Optional.of("no CUDA driver: " + LIBRARY_NAME + " not found");
            }
            System.load(resolved.get());
            return Optional.empty();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Optional.of("no CUDA driver: " + LIBRARY_NAME + " could not be loaded: " + e.getMessage());
        }
    }

    /**
     * The absolute path the dynamic linker maps for {@code name}, or empty when it finds none.
     * The library stays mapped (global arena): the driver is never unloaded anyway.
     */
    static Optional<String> resolveByName(String name) {
        try {
            SymbolLookup.libraryLookup(name, Arena.global());
        } catch (IllegalArgumentException notFound) {
            return Optional.empty();
        }
        // The mapping shows the symlink's target (libcuda.so.<driver version>): match the stem.
        return mappedPath(name.substring(0, name.indexOf(".so") + 3));
    }

    /**
     * Where a loaded library whose file name starts with {@code stem} is mapped from, per
     * {@code /proc/self/maps}.
     */
    static Optional<String> mappedPath(String stem) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/maps"));
            for (String line : lines) {
                int slash = line.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String path = line.substring(slash).trim();
                if (Path.of(path).getFileName().toString().startsWith(stem)) {
                    return Optional.of(path);
                }
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
