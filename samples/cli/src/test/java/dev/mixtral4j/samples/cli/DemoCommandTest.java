package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.samples.testbackend.FakeBackendProvider;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    @TempDir
    Path dir;

    static Backend javaBackend() {
        Backends backends = Backends.discover();
        assumeTrue(backends.available().stream().anyMatch(b -> b.id().equals("java")),
                () -> "the java backend is not available here: " + backends);
        return backends.get("java");
    }

    /** Greedy decoding written out plainly, to check what the demo printed. */
    static int[] greedy(Backend backend, Path model, int[] prompt, int n) throws IOException {
        try (ModelFile mf = ModelFile.open(model);
             BackendModel bm = backend.load(mf, LoadOptions.builder().backend(backend.id()).contextLength(64).build());
             BackendSession s = bm.newSession(new SessionOptions(64, null, 64))) {
            int[] out = new int[n];
            int next = s.forward(prompt, 0, false).argmax(0);
            for (int i = 0; i < n; i++) {
                out[i] = next;
                next = s.forward(new int[] {next}, prompt.length + i, false).argmax(0);
            }
            return out;
        }
    }

    static String row(String out, String backend) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(backend) + " +[0-9.]+ +[0-9.]+ +(\\[.*])$").matcher(out);
        assertTrue(m.find(), () -> "no result row for " + backend + " in\n" + out);
        return m.group(1);
    }

    @Test
    void syntheticDemoOnJavaPrintsTheGreedyTokens() throws IOException {
        Backend java = javaBackend();
        CliRun run = CliRun.of("demo", "--backends", "java", "--type", "F32", "-n", "5", "--cache-dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("4 layers, width 256, 8 experts (2 used), heads 8/2, vocab 1024"), run::toString);
        Matcher file = Pattern.compile("(?m)^model: +(.*\\.gguf)$").matcher(run.out());
        assertTrue(file.find(), run::toString);
        int[] expected = greedy(java, Path.of(file.group(1)), DemoCommand.PROMPT, 5);
        assertEquals(Arrays.toString(expected), row(run.out(), "java"));
        assertTrue(run.out().contains("agreement: only java ran"), run::toString);
        // The second run reuses the cached model rather than writing it again.
        CliRun again = CliRun.of("demo", "--backends", "java", "--type", "F32", "-n", "5", "--cache-dir", dir.toString());
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(!again.out().contains("writing a synthetic"), again::toString);
        assertEquals(Arrays.toString(expected), row(again.out(), "java"));
    }

    @Test
    void aGivenModelIsUsedAndTheExampleBackendAgreesWithTheOneItWraps() throws IOException {
        javaBackend();
        Path tiny = SyntheticModel.builder().seed(3).write(dir.resolve("tiny.gguf"));
        String before = System.getProperty("mixtral4j.traced.inner");
        System.setProperty("mixtral4j.traced.inner", "java");
        try {
            CliRun run = CliRun.of("demo", "--model", tiny.toString(), "--backends", "java,traced", "-n", "4");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().contains("model:  " + tiny), run::toString);
            assertEquals(row(run.out(), "java"), row(run.out(), "traced"));
            assertTrue(run.out().contains("same 4 generated tokens"), run::toString);
            assertTrue(run.out().contains("The backends agree."), run::toString);
        } finally {
            if (before == null) {
                System.clearProperty("mixtral4j.traced.inner");
            } else {
                System.setProperty("mixtral4j.traced.inner", before);
            }
        }
    }

    @Test
    void backendsThatComputeDifferentThingsAreCalledOut() throws IOException {
        javaBackend();
        Path tiny = SyntheticModel.builder().seed(3).write(dir.resolve("tiny.gguf"));
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("demo", "--model", tiny.toString(), "--backends", "java,fake", "-n", "3");
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.out().contains("DIFFERENT top-1 token at prompt position"), run::toString);
            assertTrue(run.out().contains("The backends DISAGREE"), run::toString);
        }
    }

    @Test
    void aBackendThatCannotRunTheModelIsNamedWithItsReasonNotCountedAsAFailure() throws IOException {
        javaBackend();
        Backends backends = Backends.discover();
        assumeTrue(backends.available().stream().anyMatch(b -> b.id().equals("llamacpp")), "llamacpp not available here");
        Path perExpert = SyntheticModel.builder().expertLayout(SyntheticModel.ExpertLayout.PER_EXPERT)
                .write(dir.resolve("per-expert.gguf"));
        try (ModelFile mf = ModelFile.open(perExpert)) {
            var verdict = backends.get("llamacpp").supports(mf);
            assumeTrue(!verdict.available(), "this llama.cpp runs per-expert files");
            CliRun run = CliRun.of("demo", "--model", perExpert.toString(), "--backends", "java,llamacpp", "-n", "3");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().contains("llamacpp  cannot run this model: " + verdict.reason()), run::toString);
            assertTrue(run.out().contains("agreement: only java ran"), run::toString);
            CliRun none = CliRun.of("demo", "--model", perExpert.toString(), "--backends", "llamacpp", "-n", "3");
            assertEquals(1, none.exitCode(), none::toString);
            assertTrue(none.err().contains("no available backend can run"), none::toString);
        }
    }

    @Test
    void noAvailableBackendSaysWhy() {
        CliRun run = CliRun.of("demo", "--backends", "fake", "--cache-dir", dir.toString(), "--type", "F32");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("no backend available: fake (test fake, enabled with -D" + FakeBackendProvider.ENABLE),
                run::toString);
        assertEquals(2, CliRun.of("demo", "--backends", "nope", "--cache-dir", dir.toString(), "--type", "F32").exitCode());
        assertEquals(2, CliRun.of("demo", "-n", "0").exitCode());
    }
}
