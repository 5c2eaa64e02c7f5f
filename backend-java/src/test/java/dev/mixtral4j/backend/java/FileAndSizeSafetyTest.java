package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MappedFileChangedException;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.GgufRewrite;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sizes from the file are computed in long and checked; a mapped file changing under us is an exception. */
class FileAndSizeSafetyTest {
    private static final int[] TOKENS = {1, 5, 9, 200, 17};

    @TempDir
    Path dir;

    private final Backend java = new JavaBackendProvider().backend();

    /** Was NegativeArraySizeException (the KV chunk count overflowed an int). */
    @Test
    void aKvCacheLargerThanMemoryIsRefusedWithBothFigures() throws Exception {
        Path p = GgufRewrite.of(Fixtures.tinyMoe(GgmlType.F32).path())
                .metadata("llama.context_length", MetadataValue.ofUint32(Integer.MAX_VALUE)).write(dir.resolve("ctx.gguf"));
        try (ModelFile m = ModelFile.open(p); BackendModel bm = java.load(m, LoadOptions.defaults())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bm.newSession(new SessionOptions(Integer.MAX_VALUE, GgmlType.F32, 512)));
            assertTrue(e.getMessage().matches(".*KV cache of 2147483647 tokens .* needs .* \\(\\d+ bytes\\), more than the .* of memory available.*"),
                    e.getMessage());
        }
    }

    /** Was OutOfMemoryError: the layer list was sized by block_count before any tensor was looked up. */
    @Test
    void aHugeBlockCountEndsAtTheFirstMissingLayer() throws Exception {
        Path p = GgufRewrite.of(Fixtures.tinyMoe(GgmlType.F32).path())
                .metadata("llama.block_count", MetadataValue.ofUint32(Integer.MAX_VALUE)).write(dir.resolve("layers.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            Availability a = java.supports(m);
            assertFalse(a.available());
            assertTrue(a.reason().contains("blk.2."), a.reason());
        }
    }

    private static float[] run(BackendModel bm) {
        try (BackendSession s = bm.newSession(new SessionOptions(64, GgmlType.F32, 16))) {
            return s.forward(TOKENS, 0, true).data();
        }
    }

    private static void truncate(Path p, long size) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Was InternalError (an Error) from the faulting mapped access. */
    @Test
    void aFileTruncatedWhileMappedIsAnExceptionNamingIt() throws Exception {
        Path p = Files.copy(Fixtures.tinyMoe(GgmlType.F32).path(), dir.resolve("shrinks.gguf"));
        try (ModelFile m = ModelFile.open(p); BackendModel bm = java.load(m, LoadOptions.defaults())) {
            run(bm);
            truncate(p, m.gguf().dataOffset() + 4096);
            MappedFileChangedException e = assertThrows(MappedFileChangedException.class, () -> run(bm));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("weightsInMemory"), e.getMessage());
        }
    }

    @Test
    void weightsReadIntoMemoryDoNotCareWhatHappensToTheFile() throws Exception {
        Path p = Files.copy(Fixtures.tinyMoe(GgmlType.F32).path(), dir.resolve("copy.gguf"));
        try (ModelFile m = ModelFile.open(p, true); BackendModel bm = java.load(m, LoadOptions.defaults())) {
            assertFalse(m.gguf().segment().isMapped());
            float[] before = run(bm);
            truncate(p, 100);
            // not bit-equal: the first run may be interpreted and the second compiled (other lane sums)
            assertArrayEquals(before, run(bm), 1e-4f);
        }
    }
}
