package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The PTX the build packaged: present where nvcc was, complete, and parsed right. */
class PtxBundleTest {

    static PtxBundle bundleOrSkip() {
        Optional<PtxBundle> b = PtxBundle.packaged();
        assumeTrue(b.isPresent(), "kernels not built: nvcc was not available when this module was built");
        return b.get();
    }

    @Test
    void everyExpectedEntryPointIsInEveryArchitecture() {
        PtxBundle b = bundleOrSkip();
        assertEquals(List.of(80, 90), b.archs());
        Map<String, List<String>> expected = Kernels.expectedEntries();
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(b.modules()), "modules in kernels.properties");
        for (int arch : b.archs()) {
            for (var e : expected.entrySet()) {
                String ptx = b.ptx(e.getKey(), arch);
                assertTrue(ptx.contains(".target sm_" + arch), e.getKey() + " PTX targets sm_" + arch);
                Set<String> present = PtxBundle.entries(ptx).keySet();
                assertEquals(new TreeSet<>(e.getValue()), new TreeSet<>(present),
                        "entry points of " + e.getKey() + ".compute_" + arch);
            }
        }
    }

    @Test
    void picksTheNewestArchitectureNotAboveTheDevice() {
        PtxBundle b = bundleOrSkip();
        assertEquals(Optional.of(80), b.archFor(8, 0));   // A100
        assertEquals(Optional.of(80), b.archFor(8, 9));   // L4 / RTX 40
        assertEquals(Optional.of(90), b.archFor(9, 0));   // H100 / H200
        assertEquals(Optional.of(90), b.archFor(12, 0));  // newer: JIT from compute_90
        assertEquals(Optional.empty(), b.archFor(7, 5));  // Turing: older than every PTX
    }

    @Test
    void driverVersionTheKernelsNeed() {
        PtxBundle b = bundleOrSkip();
        // PTX from nvcc X.Y is JIT-compiled only by drivers for CUDA X.Y or newer
        String[] v = b.nvccVersion().split("\\.");
        assertEquals(Integer.parseInt(v[0]) * 1000 + Integer.parseInt(v[1]) * 10, b.requiredDriverVersion());
        assertEquals("13.0", PtxBundle.driverVersionText(13000));
        assertEquals("12.4", PtxBundle.driverVersionText(12040));
    }

    @Test
    void parsesEntriesAndParameterTypes() {
        String ptx = """
                .version 9.0
                .target sm_80
                .visible .entry foo(
                \t.param .u64 .ptr .global .align 1 foo_param_0,
                \t.param .u32 foo_param_1,
                \t.param .f32 foo_param_2
                )
                { ret; }
                .func helper(.param .u32 x) { ret; }
                .visible .entry bar()
                { ret; }
                """;
        Map<String, List<String>> entries = PtxBundle.entries(ptx);
        assertEquals(List.of("foo", "bar"), List.copyOf(entries.keySet()));
        assertEquals(List.of("u64", "u32", "f32"), entries.get("foo"));
        assertEquals(List.of(), entries.get("bar"));
    }
}
