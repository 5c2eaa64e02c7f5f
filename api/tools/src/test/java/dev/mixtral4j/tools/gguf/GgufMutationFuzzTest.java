package dev.mixtral4j.tools.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing: random bytes of valid files are overwritten, mostly in the header,
 * and the result is opened as a GGUF and as a model. The only exception allowed out is
 * {@link ModelFormatException}; anything else (an index error, an out-of-memory, a negative
 * array size) is a reader bug. A failure prints the seed and iteration to replay it.
 */
class GgufMutationFuzzTest {
    private static final int ITERATIONS = 2000;

    @TempDir
    Path dir;

    @Test
    void mutatedFilesFailOnlyWithModelFormatException() throws IOException {
        Path meta = dir.resolve("meta.gguf");
        try (GgufWriter w = GgufWriter.create(meta)) {
            w.putAll(GgufWriterTest.everyType());
            w.addTensor("a", GgmlType.F32, 3, 2).addTensor("q", GgmlType.Q8_0, 32, 1, 2);
            w.writeTensor("a", new float[6]);
            w.writeTensor("q", java.nio.ByteBuffer.allocate(68));
            w.finish();
        }
        Path model = SyntheticModel.builder().embeddingLength(32).heads(2).kvHeads(1).feedForwardLength(32)
                .experts(2).expertsUsed(1).vocabSize(262).layers(1).tensorType(GgmlType.Q4_0)
                .write(dir.resolve("model.gguf"));
        fuzz(Files.readAllBytes(meta), 0x5EED_0001L, ITERATIONS / 2);
        fuzz(Files.readAllBytes(model), 0x5EED_0002L, ITERATIONS / 2);
    }

    private void fuzz(byte[] original, long seed, int iterations) throws IOException {
        long headerEnd;
        Path base = Files.write(dir.resolve("base.gguf"), original);
        try (GgufFile f = GgufFile.open(base)) {
            headerEnd = f.dataOffset();
        }
        Random rnd = new Random(seed);
        Path p = dir.resolve("mutant.gguf");
        int rejected = 0;
        for (int it = 0; it < iterations; it++) {
            byte[] b = original.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = rnd.nextInt(10) < 9 ? rnd.nextInt((int) headerEnd) : rnd.nextInt(b.length);
                b[at] = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                    case 2 -> (byte) 0xFF;
                    default -> 0;
                };
            }
            if (rnd.nextInt(20) == 0) {
                b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            Files.write(p, b);
            try {
                try (GgufFile f = GgufFile.open(p)) {
                    for (TensorInfo t : f.tensors()) {
                        f.tensorData(t).byteSize();
                    }
                    f.metadata().entries().values().forEach(MetadataValue::toString);
                }
                try (ModelFile m = ModelFile.open(p)) {
                    m.tensors().validate();
                }
            } catch (ModelFormatException expected) {
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError("seed " + Long.toHexString(seed) + " iteration " + it + ": " + t, t);
            }
        }
        assertTrue(rejected > iterations / 10, "most mutants are rejected: " + rejected + " of " + iterations);
    }
}
