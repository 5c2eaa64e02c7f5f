package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.GgufRewrite;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KV cache sizes checked before llama.cpp allocates; weights read into memory survive the file changing. */
class LlamaCppSizeAndFileTest {
    private static final LoadOptions OPTIONS = LoadOptions.builder().backend("llamacpp").threads(1).build();

    @TempDir
    static Path dir;
    private static Backend backend;

    @BeforeAll
    static void runtime() {
        NativeTestSupport.runtime();
        backend = new LlamaCppBackendProvider().backend();
    }

    /** Was 68 s and 8.5 GB of native allocation before std::bad_alloc. */
    @Test
    void aKvCacheLargerThanMemoryIsRefusedBeforeAnyNativeCall() throws Exception {
        Path p = GgufRewrite.of(SyntheticModel.builder().seed(2).write(dir.resolve("plain.gguf")))
                .metadata("llama.context_length", MetadataValue.ofUint32(Integer.MAX_VALUE)).write(dir.resolve("ctx.gguf"));
        try (ModelFile m = ModelFile.open(p); BackendModel bm = backend.load(m, OPTIONS)) {
            long t0 = System.nanoTime();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bm.newSession(new SessionOptions(Integer.MAX_VALUE, null, 512)));
            assertTrue(e.getMessage().contains("KV cache of 2147483647 tokens") && e.getMessage().contains("of memory available"),
                    e.getMessage());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused without trying to allocate");
        }
    }

    /** With the weights in llama.cpp's own buffers a truncated file cannot SIGBUS the process. */
    @Test
    void weightsInMemorySurviveTheFileBeingTruncated() throws Exception {
        Path p = SyntheticModel.builder().seed(4).write(dir.resolve("shrinks.gguf"));
        int[] tokens = {1, 7, 42, 99};
        try (ModelFile m = ModelFile.open(p, true);
             BackendModel bm = backend.load(m, OPTIONS.toBuilder().weightsInMemory(true).build())) {
            float[] before;
            try (BackendSession s = bm.newSession(new SessionOptions(64, null, 16))) {
                before = s.forward(tokens, 0, true).data();
            }
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(64);
            }
            try (BackendSession s = bm.newSession(new SessionOptions(64, null, 16))) {
                assertArrayEquals(before, s.forward(tokens, 0, true).data());
            }
        }
    }
}
