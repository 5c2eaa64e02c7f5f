package dev.mixtral4j.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtral4j.model.ModelFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the GGUF reader and the model view on top of it (Jazzer). Any
 * bytes may be offered as a model file; the only exception allowed out is
 * {@link ModelFormatException}. An index error, an out-of-memory, a negative size or an
 * {@code Error} from the mapping is a reader bug.
 *
 * <p>In a normal build this replays the seed corpus ({@code GgufReaderFuzzTestInputs}: a file
 * with every metadata type, and two tiny MoE models, merged and per-expert) and every past
 * finding; {@code -Pfuzz} runs it coverage-guided (docs/testing.md).
 */
class GgufReaderFuzzTest {
    /** One scratch file per JVM, on tmpfs where there is one: mapping a file per input is the cost. */
    private static final Path SCRATCH = scratchFile();

    @FuzzTest(maxDuration = "5m")
    void openedFilesFailOnlyWithModelFormatException(byte[] data) throws IOException {
        Files.write(SCRATCH, data);
        try (GgufFile f = GgufFile.open(SCRATCH)) {
            for (TensorInfo t : f.tensors()) {
                long end = f.absoluteOffset(t) + f.tensorData(t).byteSize();
                assertTrue(end <= f.fileSize(), () -> t + " ends at " + end + " past the file's " + f.fileSize() + " bytes");
            }
            f.metadata().entries().values().forEach(MetadataValue::toString);
        } catch (ModelFormatException expected) {
            return;
        }
        try (ModelFile m = ModelFile.open(SCRATCH)) {
            m.tensors().validate();
            m.config().toString();
        } catch (ModelFormatException expected) {
            // a readable GGUF that is not a model we can run
        }
    }

    private static Path scratchFile() {
        try {
            Path shm = Path.of("/dev/shm");
            Path p = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempFile(shm, "mixtral4j-fuzz-", ".gguf")
                    : Files.createTempFile("mixtral4j-fuzz-", ".gguf");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
