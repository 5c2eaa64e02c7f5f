package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CudaLibraryTest {

    @Test
    void findsAMappedLibraryByStem() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs Linux /proc");
        // the JVM always maps the C library
        Optional<String> libc = CudaLibrary.mappedPath("libc.so");
        assertTrue(libc.isPresent());
        assertTrue(Files.exists(Path.of(libc.get())), libc.get());
        assertEquals(Optional.empty(), CudaLibrary.mappedPath("libdefinitely-not-loaded.so"));
    }

    @Test
    void unknownLibraryNameResolvesToNothing() {
        assertEquals(Optional.empty(), CudaLibrary.resolveByName("libmixtral4j-no-such-driver.so.1"));
    }

    @Test
    void explicitPathThatDoesNotExistIsAReasonNotAnException() {
        Optional<String> r = CudaLibrary.tryLoad("/nonexistent/libcuda.so.1");
        assertTrue(r.isPresent());
        assertTrue(r.get().startsWith("no CUDA driver: "), r.get());
        assertTrue(r.get().contains("/nonexistent/libcuda.so.1"), r.get());
    }
}
