package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.BackendUnavailableException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BackendsTest {

    private static Backends sample() {
        return Backends.of(
                TestBackendProvider.available("java", 10),
                TestBackendProvider.unavailable("cuda", 30, "no CUDA driver: libcuda.so.1 not found"),
                new TestBackendProvider("broken", 50, () -> {
                    throw new IllegalStateException("probe exploded\nwith a second line");
                }),
                TestBackendProvider.available("llamacpp", 20))
                .withSettings(key -> null);
    }

    @Test
    void allListsEveryProviderWithReasonsAndNeverThrows() {
        List<BackendInfo> all = sample().all();
        assertEquals(List.of("broken", "cuda", "llamacpp", "java"), all.stream().map(BackendInfo::id).toList());
        BackendInfo broken = all.get(0);
        assertFalse(broken.available());
        assertEquals("availability check failed: IllegalStateException: probe exploded with a second line",
                broken.availability().reason());
        assertEquals("no CUDA driver: libcuda.so.1 not found", all.get(1).availability().reason());
        assertTrue(all.get(2).available());
        assertEquals(List.of("llamacpp", "java"), sample().available().stream().map(BackendInfo::id).toList());
    }

    @Test
    void aProviderBuiltForAnotherSpiVersionIsUnavailableWithBothVersions() {
        Backends b = Backends.of(new TestBackendProvider.OtherSpiVersion(), TestBackendProvider.available("java", 10))
                .withSettings(key -> null);
        BackendInfo elder = b.all().getFirst();
        assertEquals("elder", elder.id());
        assertFalse(elder.available(), "a provider of another SPI version must not be used");
        String reason = elder.availability().reason();
        assertTrue(reason.contains("backend SPI version " + (dev.mixtral4j.spi.SpiVersion.CURRENT - 1))
                && reason.contains("implements version " + dev.mixtral4j.spi.SpiVersion.CURRENT), reason);
        assertEquals("java", b.select("auto").id(), "auto passes over it");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> b.get("elder"));
        assertTrue(e.getMessage().contains("SPI version"), e.getMessage());
    }

    @Test
    void autoTakesTheHighestRankThatIsAvailable() {
        assertEquals("llamacpp", sample().select("auto").id());
        assertEquals("llamacpp", sample().select(null).id());
        assertEquals("java", sample().select("java").id());
    }

    @Test
    void propertyThenEnvironmentOverrideAuto() {
        Map<String, String> both = Map.of(Backends.PROPERTY, "java", Backends.ENVIRONMENT, "llamacpp");
        assertEquals("java", sample().withSettings(both::get).select("auto").id());
        Map<String, String> env = Map.of(Backends.ENVIRONMENT, "java");
        assertEquals("java", sample().withSettings(env::get).select("auto").id());
        // An explicit id beats the override.
        assertEquals("llamacpp", sample().withSettings(both::get).select("llamacpp").id());
        Map<String, String> bad = Map.of(Backends.ENVIRONMENT, "cuda");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> sample().withSettings(bad::get).select("auto"));
        assertEquals("$MIXTRAL4J_BACKEND=cuda: backend 'cuda' is unavailable: no CUDA driver: libcuda.so.1 not found",
                e.getMessage());
    }

    @Test
    void realSystemPropertyIsRead() {
        String old = System.getProperty(Backends.PROPERTY);
        System.setProperty(Backends.PROPERTY, "java");
        try {
            assertEquals("java", Backends.of(TestBackendProvider.available("java", 1),
                    TestBackendProvider.available("other", 5)).select("auto").id());
        } finally {
            if (old == null) {
                System.clearProperty(Backends.PROPERTY);
            } else {
                System.setProperty(Backends.PROPERTY, old);
            }
        }
    }

    @Test
    void getExplainsInOneLine() {
        BackendUnavailableException unknown = assertThrows(BackendUnavailableException.class, () -> sample().get("tpu"));
        assertTrue(unknown.getMessage().startsWith("unknown backend 'tpu'; known: broken ("), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("java (available: ready)"), unknown.getMessage());
        assertFalse(unknown.getMessage().contains("\n"));
        BackendUnavailableException cuda = assertThrows(BackendUnavailableException.class, () -> sample().get("cuda"));
        assertEquals("backend 'cuda' is unavailable: no CUDA driver: libcuda.so.1 not found", cuda.getMessage());
        BackendUnavailableException none = assertThrows(BackendUnavailableException.class,
                () -> Backends.of().withSettings(k -> null).select("auto"));
        assertTrue(none.getMessage().startsWith("no backend found"), none.getMessage());
        BackendUnavailableException noneAvailable = assertThrows(BackendUnavailableException.class,
                () -> Backends.of(TestBackendProvider.unavailable("x", 1, "nope")).withSettings(k -> null).select("auto"));
        assertEquals("no backend available: x (unavailable: nope)", noneAvailable.getMessage());
    }

    @Test
    void availabilityIsAskedOnceAndBackendsAreReused() {
        TestBackendProvider p = TestBackendProvider.available("java", 1);
        Backends b = Backends.of(p);
        b.all();
        b.all();
        assertSame(b.get("java"), b.get("java"));
        assertEquals(1, p.availabilityCalls());
        // Another instance is independent: no global state.
        Backends other = Backends.of(p);
        other.all();
        assertEquals(2, p.availabilityCalls());
    }

    @Test
    void duplicateIdsKeepTheFirstAndWarnOnOneLine() {
        PrintStream old = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Backends b;
        try {
            b = Backends.of(TestBackendProvider.available("java", 1), new TestBackendProvider.AlphaImpostor(),
                    TestBackendProvider.unavailable("java", 100, "second"));
        } finally {
            System.setErr(old);
        }
        assertEquals(List.of("alpha", "java"), b.ids());
        assertTrue(b.get("java").description().contains("java"));
        assertEquals(1, b.all().get(1).rank(), "the first 'java' (rank 1) won");
        String log = captured.toString(StandardCharsets.UTF_8);
        List<String> warnings = log.lines().filter(l -> l.contains("several backends with id 'java'")).toList();
        assertEquals(1, warnings.size(), log);
        assertTrue(warnings.get(0).contains("using " + TestBackendProvider.class.getName()), warnings.get(0));
    }

    private static URLClassLoader discoveryLoader() {
        URL dir = BackendsTest.class.getClassLoader().getResource("discovery/");
        return new URLClassLoader(new URL[] {dir}, BackendsTest.class.getClassLoader());
    }

    @Test
    void discoverWithAClassLoaderReportsBrokenProvidersAndDuplicates() throws Exception {
        try (URLClassLoader loader = discoveryLoader()) {
            Backends b = Backends.discover(loader).withSettings(k -> null);
            Map<String, Availability> byId = b.all().stream()
                    .collect(Collectors.toMap(BackendInfo::id, BackendInfo::availability));
            assertTrue(byId.get("alpha").available());
            assertEquals("always", byId.get("alpha").reason(), "the first alpha wins, not the impostor");
            assertEquals("no beta device: libbeta.so not found", byId.get("beta").reason());
            assertTrue(byId.get("exploding").reason().contains("driver probe crashed"));
            assertTrue(byId.get("Unconstructible").reason().contains("com/example/MissingNative"), byId.toString());
            assertTrue(byId.get("<unloadable>").reason().contains("NoSuchProvider"), byId.toString());
            assertEquals("alpha", b.select("auto").id());
        }
    }

    @Test
    void discoverUsesTheContextClassLoaderByDefault() throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader old = t.getContextClassLoader();
        try (URLClassLoader loader = discoveryLoader()) {
            t.setContextClassLoader(loader);
            assertTrue(Backends.discover().ids().contains("beta"));
        } finally {
            t.setContextClassLoader(old);
        }
        assertFalse(Backends.discover().ids().contains("beta"), "test providers do not leak onto the class path");
    }

    @Test
    void discoverInABootLayerDoesNotThrow() {
        assertFalse(Backends.discover(ModuleLayer.boot()).ids().contains("alpha"));
    }
}
