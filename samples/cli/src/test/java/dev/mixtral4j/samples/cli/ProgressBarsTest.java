package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.samples.testbackend.FakeBackendProvider;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bars of bench and of writing a synthetic model: stderr only, and none with --quiet. */
class ProgressBarsTest {
    @TempDir
    Path dir;
    private String before;

    @BeforeEach
    void forceBars() {
        before = System.getProperty("mixtral4j.progress");
        System.setProperty("mixtral4j.progress", "always"); // no terminal under Maven: force what a terminal gets
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty("mixtral4j.progress");
        } else {
            System.setProperty("mixtral4j.progress", before);
        }
    }

    @Test
    void benchShowsTheWriteAndTheRunsOnStderr() {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(), "--backends", "java",
                "-p", "8", "-n", "4", "-r", "2", "-t", "1", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("writing tiny-moe-2L-Q4_0.gguf"), run::toString);
        // warm-up and 2 runs for pp, the same for tg
        assertTrue(run.err().contains("bench java") && run.err().contains("6/6"), run::toString);
        assertFalse(run.out().contains("bench java") || run.out().contains("writing"), run::toString);
        // stdout stays one JSON object per line, fit for a pipe
        assertTrue(run.out().strip().startsWith("{") && run.out().strip().endsWith("}"), run::toString);
    }

    /**
     * What the library reports through its ProgressListener (here the fake backend's pretend
     * upload, as cuda reports its weights) is a bar on stderr, and nothing with --quiet.
     */
    @Test
    void workTheLibraryReportsIsABarAndNothingWithQuiet() throws Exception {
        Path model = dev.mixtral4j.tools.synthetic.SyntheticModel.builder().name("bars").write(dir.resolve("bars.gguf"));
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("generate", "-m", model.toString(), "--backend", "fake", "-n", "2", "-p", "Hi");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.err().contains(FakeBackendProvider.UPLOAD_TASK) && run.err().contains("100%")
                    && run.err().contains("3/3MiB"), run::toString);
            assertFalse(run.out().contains(FakeBackendProvider.UPLOAD_TASK), run::toString);
            CliRun quiet = CliRun.of("generate", "--quiet", "-m", model.toString(), "--backend", "fake", "-n", "2",
                    "-p", "Hi");
            assertEquals(0, quiet.exitCode(), quiet::toString);
            assertFalse(quiet.err().contains(FakeBackendProvider.UPLOAD_TASK), quiet::toString);
        }
    }

    @Test
    void quietLeavesStderrWithoutBarsOrMessages() {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("bench", "--quiet", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                "--backends", "java", "-p", "8", "-n", "2", "-r", "1", "-t", "1");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.err().replaceAll("(?m)^WARNING.*\\R", ""), run::toString);
        assertTrue(run.out().contains("pp8 t/s"), run::toString);
    }
}
