package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
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

    private static String indexOrSkip() throws IOException {
        String index = PackagedLibraries.index(PackagedLibraries.platform());
        assumeTrue(index != null, "this build packaged no llama.cpp libraries for " + PackagedLibraries.platform());
        return index;
    }

    /** A fresh cache: the extraction reports its bytes, from 0 up to all of them; a ready cache reports nothing. */
    @Test
    void extractionReportsMonotonicProgressToCompletion(@TempDir Path cache) throws Exception {
        String index = indexOrSkip();
        long total = PackagedLibraries.parse(index).stream().mapToLong(PackagedLibraries.Entry::size).sum();
        List<long[]> steps = new ArrayList<>();
        List<String> tasks = new ArrayList<>();
        dev.mixtral4j.spi.ProgressListener recorder = (task, done, all) -> {
            tasks.add(task);
            steps.add(new long[] {done, all});
        };
        Path dir = dev.mixtral4j.spi.ProgressListener.reportingTo(recorder,
                () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, cache));
        assertTrue(steps.size() > 2, "a few steps at least: " + steps.size());
        assertEquals(List.of("extracting llama.cpp " + PackagedLibraries.LLAMA_CPP_VERSION + " libraries"),
                tasks.stream().distinct().toList());
        assertEquals(0, steps.getFirst()[0]);
        long previous = 0;
        for (long[] step : steps) {
            assertEquals(total, step[1], "the total never changes");
            assertTrue(step[0] >= previous && step[0] <= total, step[0] + " after " + previous + " of " + total);
            previous = step[0];
        }
        assertEquals(total, steps.getLast()[0], "ends complete");
        assertTrue(Files.isDirectory(dir));

        steps.clear();
        assertEquals(dir, dev.mixtral4j.spi.ProgressListener.reportingTo(recorder,
                () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, cache)));
        assertEquals(0, steps.size(), "nothing to extract, nothing reported");
    }

    /** A library changed in the cache is noticed by its sha256 and the folder extracted afresh. */
    @Test
    void aTamperedLibraryIsNotLoadedButReplaced(@TempDir Path cache) throws Exception {
        String index = indexOrSkip();
        Path dir = PackagedLibraries.extract(PackagedLibraries.platform(), index, cache);
        Path lib = dir.resolve("libggml-base.so");
        byte[] bytes = Files.readAllBytes(lib);
        bytes[bytes.length / 2] ^= 1;
        Files.write(lib, bytes);
        List<PackagedLibraries.Entry> entries = PackagedLibraries.parse(index);
        assertTrue(PackagedLibraries.contentProblem(dir, entries).orElseThrow().contains("libggml-base.so has sha256"));
        assertEquals(dir, PackagedLibraries.extract(PackagedLibraries.platform(), index, cache));
        assertEquals(java.util.Optional.empty(), PackagedLibraries.contentProblem(dir, entries));
    }

    /** ggml loads every libggml-cpu-*.so in the folder: one planted there must not survive. */
    @Test
    void aPlantedCpuVariantIsNotLoaded(@TempDir Path cache) throws Exception {
        String index = indexOrSkip();
        Path dir = PackagedLibraries.extract(PackagedLibraries.platform(), index, cache);
        Files.copy(dir.resolve("libggml-cpu-x64.so"), dir.resolve("libggml-cpu-evil.so"));
        assertTrue(PackagedLibraries.contentProblem(dir, PackagedLibraries.parse(index)).orElseThrow()
                .contains("unexpected file libggml-cpu-evil.so"));
        Path again = PackagedLibraries.extract(PackagedLibraries.platform(), index, cache);
        assertFalse(Files.exists(again.resolve("libggml-cpu-evil.so")));
    }

    @Test
    void aFolderOthersCanWriteIsRefused(@TempDir Path cache) throws Exception {
        String index = indexOrSkip();
        Path dir = PackagedLibraries.extract(PackagedLibraries.platform(), index, cache);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, cache));
        assertTrue(e.getMessage().contains("writable by other users") && e.getMessage().contains(dir.toString()), e.getMessage());
    }

    /** A shared cache root: another user's folder there is never used (needs root to make one). */
    @Test
    void aFolderOfAnotherUserIsRefused(@TempDir Path cache) throws Exception {
        String index = indexOrSkip();
        assumeTrue("root".equals(System.getProperty("user.name")), "only root can give a folder to another user");
        Path dir = PackagedLibraries.extract(PackagedLibraries.platform(), index, cache);
        UserPrincipal nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(dir, nobody);
        IOException e = assertThrows(IOException.class, () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, cache));
        assertTrue(e.getMessage().contains("owned by nobody"), e.getMessage());
        Files.setOwner(dir.getParent(), nobody);
        e = assertThrows(IOException.class, () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, cache));
        assertTrue(e.getMessage().contains("refusing the cache folder") && e.getMessage().contains("owned by nobody"), e.getMessage());
    }

    @Test
    void aSharedRootMustBeSticky(@TempDir Path tmp) throws Exception {
        String index = indexOrSkip();
        Path root = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> PackagedLibraries.extract(PackagedLibraries.platform(), index, root));
        assertTrue(e.getMessage().contains("not sticky"), e.getMessage());
        new ProcessBuilder("chmod", "1777", root.toString()).inheritIO().start().waitFor();
        Path dir = PackagedLibraries.extract(PackagedLibraries.platform(), index, root);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.getParent())));
    }
}
