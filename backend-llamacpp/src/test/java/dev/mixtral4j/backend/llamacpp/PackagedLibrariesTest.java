package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackagedLibrariesTest {
    @Test
    void indexLinesAreValidated() {
        assertThrows(IOException.class, () -> PackagedLibraries.parse(""));
        assertThrows(IOException.class, () -> PackagedLibraries.parse("abc 12 ../../evil.so"));
        assertThrows(IOException.class, () -> PackagedLibraries.parse("abc twelve libx.so"));
    }

    @Test
    void concurrentExtractionsLeaveOneCompleteFolder(@TempDir Path cache) throws Exception {
        String platform = PackagedLibraries.platform();
        String index = PackagedLibraries.index(platform);
        assumeTrue(index != null, "this build packaged no llama.cpp libraries for " + platform);
        List<PackagedLibraries.Entry> entries = PackagedLibraries.parse(index);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Callable<Path>> jobs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                jobs.add(() -> PackagedLibraries.extract(platform, index, cache));
            }
            List<Path> dirs = new ArrayList<>();
            for (Future<Path> f : pool.invokeAll(jobs)) {
                dirs.add(f.get());
            }
            assertEquals(1, dirs.stream().distinct().count(), dirs.toString());
            Path dir = dirs.getFirst();
            for (PackagedLibraries.Entry e : entries) {
                assertEquals(e.size(), Files.size(dir.resolve(e.name())), e.name());
            }
            try (Stream<Path> left = Files.list(dir.getParent())) {
                assertEquals(List.of(dir), left.toList(), "temporary folders left behind");
            }
            assertTrue(dir.getFileName().toString().startsWith(PackagedLibraries.LLAMA_CPP_VERSION + "-" + platform + "-"));
        } finally {
            pool.shutdownNow();
        }
    }
}
