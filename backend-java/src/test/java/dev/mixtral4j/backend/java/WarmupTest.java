package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load-time JIT warm-up leaves no trace in the model and is switched by a backend option. */
class WarmupTest {
    @TempDir
    static Path dir;

    @Test
    void warmedAndColdModelsComputeTheSameLogits() throws IOException {
        Path p = SyntheticModel.builder().fileType("Q4_0").seed(77).write(dir.resolve("warm.gguf"));
        int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6};
        try (ModelFile file = ModelFile.open(p);
             BackendModel warm = new JavaBackend(new JavaBackendProvider()).load(file, LoadOptions.builder().threads(1).build());
             BackendModel cold = new JavaBackend(new JavaBackendProvider()).load(file,
                     LoadOptions.builder().threads(1).option(Warmup.OPTION, "false").build());
             BackendSession a = warm.newSession(new SessionOptions(32, GgmlType.F32, 512));
             BackendSession b = cold.newSession(new SessionOptions(32, GgmlType.F32, 512))) {
            float[] la = a.forward(prompt, 0, true).data();
            float[] lb = b.forward(prompt, 0, true).data();
            // equal up to the rounding of code compiled at different moments (lane reductions may differ in order)
            assertArrayEquals(lb, la, 1e-4f, "the warm-up session shares nothing with the sessions that follow");
            assertEquals(prompt.length, a.position());
            assertTrue(la.length > 0);
        }
    }

    @Test
    void anUnknownWarmupValueIsRefusedNamingTheOption() throws IOException {
        Path p = SyntheticModel.builder().fileType("Q8_0").seed(78).write(dir.resolve("opt.gguf"));
        try (ModelFile file = ModelFile.open(p)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JavaBackend(new JavaBackendProvider()).load(file,
                    LoadOptions.builder().option(Warmup.OPTION, "yes").build()));
            assertTrue(e.getMessage().contains("java.warmup=yes"), e.getMessage());
        }
    }
}
