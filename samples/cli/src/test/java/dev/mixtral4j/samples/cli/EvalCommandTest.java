package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.samples.testbackend.FakeBackendProvider;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eval contract: exactly the given ids, from position 0, every row, float32 little-endian. */
class EvalCommandTest {

    @TempDir
    Path dir;

    static float[] readF32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    static Logits direct(Backend backend, Path model, int[] ids) throws IOException {
        try (ModelFile file = ModelFile.open(model);
             BackendModel bm = backend.load(file, LoadOptions.builder().backend(backend.id()).build());
             BackendSession s = bm.newSession(new SessionOptions(64, null, 16))) {
            return s.forward(ids, 0, true);
        }
    }

    @Test
    void writesEveryPositionAsFloat32LittleEndianMatchingADirectForward() throws IOException {
        Path model = InfoCommandTest.mistralVocab();
        Path out = dir.resolve("logits.f32");
        int[] ids = {1, 851, 349, 264};
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("eval", "--model", model.toString(), "--backend", "fake",
                    "--tokens", "1,851,349,264", "--logits-out", out.toString());
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals((long) ids.length * 32000 * 4, Files.size(out));
            Logits expected = direct(new FakeBackendProvider().backend(), model, ids);
            assertArrayEquals(expected.data(), readF32(out));
            // No BOS is added: the history is exactly the given ids (the fake's logits depend on it).
            Logits withBos = direct(new FakeBackendProvider().backend(), model, new int[] {1, 1, 851, 349, 264});
            assertFalse(java.util.Arrays.equals(withBos.row(1), expected.row(0)));
            assertTrue(run.out().contains("4 positions x 32000 vocab"), run::toString);
        }
    }

    @Test
    void kvTypeAndBackendOptionsReachTheBackend() throws IOException {
        Path model = InfoCommandTest.mistralVocab();
        try (var _ = new FakeBackendEnabled()) {
            FakeBackendProvider.CALLS.clear();
            CliRun run = CliRun.of("eval", "--model", model.toString(), "--backend", "fake", "--tokens", "1,851",
                    "--kv-type", "F32", "-o", "fake.flash-attn=off", "--option", "fake.other=2",
                    "--logits-out", dir.resolve("o.f32").toString());
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(FakeBackendProvider.CALLS.stream().anyMatch(c -> c.startsWith("session")),
                    "no session opened: " + FakeBackendProvider.CALLS);
            String session = FakeBackendProvider.LAST_SESSION_SETTINGS;
            assertTrue(session.contains("kv=F32"), session);
            assertTrue(session.contains("fake.flash-attn=off") && session.contains("fake.other=2"), session);
        }
    }

    @Test
    void aBadTokenIdFailsWithOneLineNamingIt() {
        Path model = InfoCommandTest.mistralVocab();
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("eval", "--model", model.toString(), "--backend", "fake",
                    "--tokens", "1,32000", "--logits-out", dir.resolve("x.f32").toString());
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().contains("32000"), run::toString);
            assertFalse(run.err().contains("\tat "), run::toString);
        }
    }

    @Test
    void anUnknownOrUnavailableBackendIsNamedWithTheReason() {
        Path model = InfoCommandTest.mistralVocab();
        CliRun unknown = CliRun.of("eval", "--model", model.toString(), "--backend", "nope",
                "--tokens", "1", "--logits-out", dir.resolve("x.f32").toString());
        assertEquals(1, unknown.exitCode(), unknown::toString);
        assertTrue(unknown.err().contains("unknown backend 'nope'"), unknown::toString);
        // The fake is found but switched off: its reason is shown.
        CliRun off = CliRun.of("eval", "--model", model.toString(), "--backend", "fake",
                "--tokens", "1", "--logits-out", dir.resolve("x.f32").toString());
        assertEquals(1, off.exitCode(), off::toString);
        assertTrue(off.err().contains("enabled with -D" + FakeBackendProvider.ENABLE), off::toString);
    }

    @Test
    void malformedTokenListIsAUsageError() {
        CliRun run = CliRun.of("eval", "--model", "m.gguf", "--tokens", "1,x", "--logits-out", "o.f32");
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(2, CliRun.of("eval", "--model", "m.gguf", "--tokens", "1").exitCode());
    }

    @Test
    void onTheJavaBackendTheFileHoldsExactlyTheForwardPassLogits() throws IOException {
        Backend javaBackend = DemoCommandTest.javaBackend();
        Path model = dev.mixtral4j.tools.synthetic.SyntheticModel.builder().seed(11).write(dir.resolve("tiny.gguf"));
        Path out = dir.resolve("java.f32");
        int[] ids = {5, 17, 299, 0, 42};
        CliRun run = CliRun.of("eval", "--model", model.toString(), "--backend", "java",
                "--tokens", "5,17,299,0,42", "--logits-out", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals((long) ids.length * 300 * 4, Files.size(out));
        float[] got = readF32(out);
        // A backend may batch differently with other session sizes, so allow float rounding.
        Logits expected = direct(javaBackend, model, ids);
        assertArrayEquals(expected.data(), got, 1e-4f);
        // Row p is position p: the last row is what a last-token-only call returns.
        try (ModelFile file = ModelFile.open(model);
             BackendModel bm = javaBackend.load(file, LoadOptions.builder().backend("java").build());
             BackendSession s = bm.newSession(new SessionOptions(64, null, 16))) {
            float[] last = s.forward(ids, 0, false).last();
            assertArrayEquals(last, java.util.Arrays.copyOfRange(got, 4 * 300, 5 * 300), 1e-4f);
            assertTrue(java.util.Arrays.stream(ids).allMatch(i -> i < 300));
        }
    }
}
