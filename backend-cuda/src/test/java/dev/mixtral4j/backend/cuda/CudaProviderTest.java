package dev.mixtral4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class CudaProviderTest {

    static boolean driverInstalled() {
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void foundByServiceLoader() {
        BackendProvider p = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.id().equals("cuda")).findFirst().orElseThrow();
        assertTrue(p instanceof CudaBackendProvider);
        assertTrue(p.rank() > 60, "a usable GPU outranks the CPU backends");
    }

    @Test
    void withoutADriverItIsUnavailableWithTheReason() {
        assumeTrue(!driverInstalled(), "a CUDA driver is installed here; this test is for machines without one");
        assumeTrue(System.getProperty("mixtral4j.cuda.driver") == null,
                "a driver library is configured (mixtral4j.cuda.driver, e.g. the CPU emulation)");
        CudaBackendProvider p = new CudaBackendProvider();
        Availability a = p.availability();
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("no CUDA driver: libcuda.so.1 not found"), a.reason());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, p::backend);
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        assertEquals(a, p.availability(), "probed once, same answer");
    }
}
