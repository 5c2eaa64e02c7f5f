package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.samples.examples.TracingBackendProvider;
import dev.mixtral4j.spi.BackendProvider;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class BackendsCommandTest {

    static List<String> providerIds() {
        return ServiceLoader.load(BackendProvider.class).stream().map(p -> p.get().id()).sorted().toList();
    }

    @Test
    void jsonListsEveryProviderOnItsOwnLine() {
        CliRun run = CliRun.of("backends", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        List<String> lines = run.out().lines().toList();
        List<String> ids = providerIds();
        assertEquals(ids.size(), lines.size(), run::toString);
        for (String id : ids) {
            assertEquals(1, lines.stream().filter(l -> l.startsWith("{\"id\":\"" + id + "\",")).count(), id + " in " + run.out());
        }
        for (String l : lines) {
            assertTrue(l.matches("\\{\"id\":\"[^\"]+\",\"description\":\".*\",\"rank\":-?\\d+,\"available\":(true|false),"
                    + "\"reason\":.*,\"devices\":\\[.*],\"tensor_types\":\\[.*]}"), l);
        }
    }

    @Test
    void availableBackendsShowTheTensorTypesTheyCompute() {
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("backends", "--json");
            String fakeLine = run.out().lines().filter(l -> l.startsWith("{\"id\":\"fake\"")).findFirst().orElseThrow();
            // The fake claims every type: all of them, by name.
            for (dev.mixtral4j.gguf.GgmlType t : dev.mixtral4j.gguf.GgmlType.values()) {
                assertTrue(fakeLine.contains("\"" + t.name() + "\""), t + " in " + fakeLine);
            }
            assertTrue(CliRun.of("backends").out().contains("    tensor types: "), run::toString);
        }
    }

    @Test
    void theExampleThirdPartyBackendIsDiscoveredAndListed() {
        assertTrue(providerIds().contains(TracingBackendProvider.ID), providerIds()::toString);
        CliRun run = CliRun.of("backends");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains(TracingBackendProvider.ID + "  rank "), run::toString);
        assertTrue(run.out().contains("example third-party backend"), run::toString);
    }

    @Test
    void theExampleWrapsAnotherBackendOnceOneIsAvailable() {
        String before = System.getProperty(TracingBackendProvider.INNER_PROPERTY);
        System.setProperty(TracingBackendProvider.INNER_PROPERTY, "fake");
        try {
            assertTrue(CliRun.of("backends").out().contains("is not available to wrap"));
            try (var _ = new FakeBackendEnabled()) {
                CliRun run = CliRun.of("backends", "--json");
                assertTrue(run.out().contains("{\"id\":\"traced\",\"description\":\"example third-party backend (samples): "
                        + "logs every forward pass of another backend\",\"rank\":-1073741824,\"available\":true,\"reason\":\"wraps fake\""),
                        run::toString);
            }
        } finally {
            if (before == null) {
                System.clearProperty(TracingBackendProvider.INNER_PROPERTY);
            } else {
                System.setProperty(TracingBackendProvider.INNER_PROPERTY, before);
            }
        }
    }

    @Test
    void autoMarksTheAvailableBackendOfHighestRank() {
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("backends");
            // Independently of Backends: the available provider of highest rank.
            String auto = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                    .filter(p -> p.availability().available())
                    .max(java.util.Comparator.comparingInt(BackendProvider::rank)).orElseThrow().id();
            assertTrue(run.out().contains(auto + " (auto)  rank"), run::toString);
            assertTrue(run.out().contains("--backend auto selects: " + auto), run::toString);
        }
    }
}
