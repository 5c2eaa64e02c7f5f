package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.ReferenceForward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The foundation contract on llama.cpp: {@code mixtral4j eval --backend llamacpp} writes the reference's logits. */
class EvalWithLlamaCppTest {
    @TempDir
    Path dir;

    @Test
    void evalOnLlamaCppMatchesTheReferenceForward() throws IOException {
        BackendProvider llama = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.id().equals("llamacpp")).findFirst().orElse(null);
        assumeTrue(llama != null && llama.availability().available(),
                () -> "llamacpp unavailable: " + (llama == null ? "not on the class path" : llama.availability().reason()));
        Path model = Fixtures.tinyMoe(GgmlType.F32).path();
        int[] ids = {1, 42, 7, 299, 150, 3};
        Path out = dir.resolve("logits.f32");
        CliRun run = CliRun.of("eval", "--model", model.toString(), "--backend", "llamacpp", "--threads", "1",
                "--tokens", "1,42,7,299,150,3", "--logits-out", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        float[] got = EvalCommandTest.readF32(out);
        try (ModelFile file = ModelFile.open(model)) {
            int vocab = file.config().vocabSize();
            assertEquals(ids.length * vocab, got.length);
            double[][] expected = new ReferenceForward(file).logits(ids);
            for (int p = 0; p < ids.length; p++) {
                for (int v = 0; v < vocab; v++) {
                    // 2e-2: llama.cpp's flash attention (its default) reorders the softmax sums
                    double d = Math.abs(expected[p][v] - got[p * vocab + v]);
                    assertTrue(d <= 2e-2, "position " + p + " token " + v + ": " + expected[p][v] + " vs " + got[p * vocab + v]);
                }
            }
        }
    }
}
