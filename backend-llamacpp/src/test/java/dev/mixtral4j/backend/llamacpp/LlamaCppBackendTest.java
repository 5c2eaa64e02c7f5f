package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.spi.TokenizerProvider;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The backend's own contract: KV cache behaviour, chunking, argument checks, native lifetimes. */
class LlamaCppBackendTest {
    private static final LoadOptions OPTIONS = LoadOptions.builder().backend("llamacpp").threads(1).build(); // ggml threads spin: 1 keeps tests fast on a busy machine
    private static final int[] PROMPT = {1, 17, 250, 3, 99, 42, 7, 128, 64, 5};

    @TempDir
    static Path dir;
    private static Backend backend;

    @BeforeAll
    static void runtime() {
        NativeTestSupport.runtime();
        backend = new LlamaCppBackendProvider().backend();
    }

    private static Path model(GgmlType type) throws IOException {
        Path p = dir.resolve("tiny-" + type + ".gguf");
        return Files.exists(p) ? p : SyntheticModel.builder().tensorType(type).seed(11).write(p);
    }

    @Test
    void providersAreFoundOnTheClassPath() {
        assertTrue(ServiceLoader.load(BackendProvider.class).stream().anyMatch(p -> p.get().id().equals("llamacpp")));
        assertTrue(ServiceLoader.load(TokenizerProvider.class).stream().anyMatch(p -> p.get().id().equals("llamacpp")));
        assertTrue(backend.devices().stream().anyMatch(d -> d.name().contains("CPU")), backend.devices().toString());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void prefillEqualsTokenByTokenDecode(GgmlType type) throws IOException {
        try (ModelFile file = ModelFile.open(model(type));
             BackendModel m = backend.load(file, OPTIONS);
             BackendSession prefill = m.newSession(new SessionOptions(64, null, 64));
             BackendSession stepwise = m.newSession(new SessionOptions(64, null, 64))) {
            Logits all = prefill.forward(PROMPT, 0, true);
            assertEquals(PROMPT.length, all.rows());
            assertEquals(file.config().vocabSize(), all.vocabSize());
            assertEquals(PROMPT.length, prefill.position());
            for (int i = 0; i < PROMPT.length; i++) {
                Logits one = stepwise.forward(new int[] {PROMPT[i]}, i, false);
                assertClose(all.row(i), one.last(), 2e-3f, type + " position " + i);
                assertEquals(all.argmax(i), one.argmax(0), type + " top-1 at position " + i);
            }
        }
    }

    @Test
    void inputsLongerThanTheBatchAreSplit() throws IOException {
        try (ModelFile file = ModelFile.open(model(GgmlType.F32));
             BackendModel m = backend.load(file, OPTIONS);
             BackendSession whole = m.newSession(new SessionOptions(64, null, 64));
             BackendSession chunked = m.newSession(new SessionOptions(64, null, 3))) {
            Logits a = whole.forward(PROMPT, 0, true);
            Logits b = chunked.forward(PROMPT, 0, true);
            assertClose(a.data(), b.data(), 1e-3f, "all logits");
            Logits lastOnly = m.newSession(new SessionOptions(64, null, 4)).forward(PROMPT, 0, false);
            assertEquals(1, lastOnly.rows());
            assertClose(a.last(), lastOnly.last(), 1e-3f, "last logits");
        }
    }

    @Test
    void truncationRewindsTheCache() throws IOException {
        try (ModelFile file = ModelFile.open(model(GgmlType.F16));
             BackendModel m = backend.load(file, OPTIONS);
             BackendSession s = m.newSession(new SessionOptions(32, GgmlType.F32, 16))) {
            Logits first = s.forward(PROMPT, 0, true);
            s.forward(new int[] {8, 9, 10}, s.position(), false);
            assertEquals(PROMPT.length + 3, s.position());
            // rewrite the tail from position 4: the cache must forget what followed
            Logits again = s.forward(java.util.Arrays.copyOfRange(PROMPT, 4, PROMPT.length), 4, true);
            assertEquals(PROMPT.length, s.position());
            for (int i = 0; i < again.rows(); i++) {
                assertClose(first.row(4 + i), again.row(i), 1e-4f, "row " + (4 + i));
            }
            s.truncate(2);
            assertEquals(2, s.position());
            assertClose(first.row(2), s.forward(new int[] {PROMPT[2]}, 2, false).last(), 1e-4f, "after truncate");
        }
    }

    @Test
    void badArgumentsNeverReachNativeCode() throws IOException {
        try (ModelFile file = ModelFile.open(model(GgmlType.F32));
             BackendModel m = backend.load(file, OPTIONS);
             BackendSession s = m.newSession(new SessionOptions(16, null, 8))) {
            int vocab = file.config().vocabSize();
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1, vocab}, 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {-1}, 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[0], 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1}, 1, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[17], 0, false));
            assertEquals(0, s.position());
            s.forward(new int[15], 0, false);
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {1, 2}, 15, false));
            assertThrows(IllegalArgumentException.class,
                    () -> m.newSession(new SessionOptions(file.config().contextLength() + 1, null, 8)));
        }
    }

    @Test
    void closingTheModelClosesItsSessionsAndCloseIsIdempotent() throws IOException {
        ModelFile file = ModelFile.open(model(GgmlType.F32));
        try (file) {
            BackendModel m = backend.load(file, OPTIONS);
            BackendSession s = m.newSession(new SessionOptions(16, null, 8));
            s.forward(new int[] {1, 2}, 0, false);
            m.close();
            assertThrows(IllegalStateException.class, () -> s.forward(new int[] {3}, 2, false));
            s.close();
            m.close();
            assertThrows(IllegalStateException.class, () -> m.newSession(new SessionOptions(16, null, 8)));
        }
    }

    @Test
    void aFileLlamaCppRefusesGivesItsReason() throws IOException {
        // a GGUF header with a version llama.cpp does not know: our reader is never involved
        Path bad = dir.resolve("refused.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> LlamaCppModel.loadNative(LlamaRuntime.get(), bad.toString(), OPTIONS, false));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("version"), "llama.cpp's reason missing: " + e.getMessage());
        Path missing = dir.resolve("absent.gguf");
        ModelFormatException e2 = assertThrows(ModelFormatException.class,
                () -> LlamaCppModel.loadNative(LlamaRuntime.get(), missing.toString(), OPTIONS, false));
        assertFalse(e2.getMessage().endsWith(": "), e2.getMessage());
    }

    @Test
    void perExpertFilesAreDeclinedWithTheReason() throws IOException {
        Path p = SyntheticModel.builder().expertLayout(SyntheticModel.ExpertLayout.PER_EXPERT).seed(3)
                .write(dir.resolve("per-expert.gguf"));
        try (ModelFile file = ModelFile.open(p)) {
            var supports = backend.supports(file);
            assertFalse(supports.available());
            assertTrue(supports.reason().contains("per-expert"), supports.reason());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> backend.load(file, OPTIONS));
            assertTrue(e.getMessage().contains("per-expert"), e.getMessage());
        }
    }

    @Test
    void slidingWindowModelsAreRefusedPastTheWindow() throws IOException {
        Path p = SyntheticModel.builder().slidingWindow(8).seed(5).write(dir.resolve("swa8.gguf"));
        try (ModelFile file = ModelFile.open(p);
             BackendModel m = backend.load(file, OPTIONS);
             BackendSession s = m.newSession(new SessionOptions(32, null, 16))) {
            s.forward(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, false);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> s.forward(new int[] {9}, 8, false));
            assertTrue(e.getMessage().contains("sliding"), e.getMessage());
            assertEquals(8, s.position());
        }
    }

    @Test
    void withoutFlashAttentionF32MatchesTheReferenceClosely() throws IOException {
        // flash attention (the default) costs F32 about 1e-2 of accuracy; off, only rounding remains
        try (ModelFile file = ModelFile.open(model(GgmlType.F32));
             BackendModel m = backend.load(file, OPTIONS.toBuilder().option(LlamaCppModel.FLASH_ATTENTION_OPTION, "off").build());
             BackendSession s = m.newSession(new SessionOptions(32, GgmlType.F32, 32))) {
            float[][] expected = new dev.mixtral4j.testkit.ReferenceForward(file).logitsAsFloat(PROMPT);
            Logits got = s.forward(PROMPT, 0, true);
            for (int i = 0; i < PROMPT.length; i++) {
                assertClose(expected[i], got.row(i), 1e-4f, "position " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (ModelFile file = ModelFile.open(model(GgmlType.F32))) {
                backend.load(file, OPTIONS.toBuilder().option(LlamaCppModel.FLASH_ATTENTION_OPTION, "maybe").build());
            }
        });
    }

    static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            float diff = Math.abs(expected[i] - actual[i]);
            if (diff > tolerance * Math.max(1, scale)) {
                assertArrayEquals(expected, actual, tolerance * Math.max(1, scale), what + ": first difference at " + i);
            }
        }
    }
}
