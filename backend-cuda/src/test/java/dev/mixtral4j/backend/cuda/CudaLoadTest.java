package dev.mixtral4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.backend.cuda.internal.DeviceMemoryException;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, memory checks and lifecycle on a device. Needs a GPU (or the CPU emulation). */
class CudaLoadTest {
    @TempDir
    Path dir;
    Backend backend;

    @BeforeEach
    void gpu() {
        CudaBackendProvider p = new CudaBackendProvider();
        Availability a = p.availability();
        assumeTrue(a.available(), "needs a CUDA GPU: " + a.reason());
        backend = p.backend();
    }

    @Test
    void listsTheDeviceWithItsMemory() {
        List<DeviceInfo> devices = backend.devices();
        assertTrue(!devices.isEmpty());
        DeviceInfo d = devices.getFirst();
        assertEquals(0, d.index());
        assertTrue(d.memoryBytes() > 0 && d.freeBytes() > 0 && d.freeBytes() <= d.memoryBytes(), d.toString());
    }

    @Test
    void aModelThatDoesNotFitFailsNamingRequiredAndFreeMemory() throws Exception {
        Path file = SyntheticModel.builder().tensorType(GgmlType.Q8_0).write(dir.resolve("m.gguf"));
        long free = backend.devices().getFirst().freeBytes();
        try (ModelFile m = ModelFile.open(file)) {
            LoadOptions o = LoadOptions.builder().backend("cuda").option("cuda.reserveMiB", String.valueOf(free >> 20)).build();
            DeviceMemoryException e = assertThrows(DeviceMemoryException.class, () -> backend.load(m, o));
            assertTrue(e.getMessage().startsWith("model does not fit on device 0"), e.getMessage());
            assertTrue(e.getMessage().contains("are free"), e.getMessage());
            assertTrue(e.requiredBytes() > e.freeBytes());
        }
    }

    @Test
    void anUnsupportedTypeFailsAtLoadNamingTheTensor() throws Exception {
        Path file = SyntheticModel.builder().tensorType(GgmlType.Q5_0).write(dir.resolve("q5.gguf"));
        try (ModelFile m = ModelFile.open(file)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> backend.load(m, LoadOptions.builder().backend("cuda").build()));
            assertTrue(e.getMessage().contains("Q5_0") && e.getMessage().contains("tensor "), e.getMessage());
        }
    }

    /** The upload reports its bytes to the caller's listener, from 0 up to all of them, in order. */
    @Test
    void theUploadReportsMonotonicProgressToCompletion() throws Exception {
        Path file = SyntheticModel.builder().tensorType(GgmlType.Q8_0).write(dir.resolve("progress.gguf"));
        List<long[]> steps = new java.util.ArrayList<>();
        java.util.Set<String> tasks = new java.util.LinkedHashSet<>();
        dev.mixtral4j.spi.ProgressListener recorder = (task, done, total) -> {
            tasks.add(task);
            steps.add(new long[] {done, total});
        };
        try (ModelFile m = ModelFile.open(file)) {
            BackendModel model = dev.mixtral4j.spi.ProgressListener.reportingTo(recorder,
                    () -> backend.load(m, LoadOptions.builder().backend("cuda").build()));
            model.close();
        }
        assertEquals(1, tasks.size(), tasks.toString());
        assertTrue(tasks.iterator().next().startsWith("uploading weights to "), tasks.toString());
        assertTrue(steps.size() > 10, "one step per tensor at least: " + steps.size());
        long total = steps.getFirst()[1];
        assertTrue(total > 0);
        assertEquals(0, steps.getFirst()[0]);
        long previous = 0;
        for (long[] step : steps) {
            assertEquals(total, step[1], "the total never changes");
            assertTrue(step[0] >= previous && step[0] <= total, step[0] + " after " + previous + " of " + total);
            previous = step[0];
        }
        assertEquals(total, steps.getLast()[0], "ends complete");
    }

    @Test
    void sessionsCheckInputsAndDieWithTheirModel() throws Exception {
        Path file = SyntheticModel.builder().tensorType(GgmlType.F16).write(dir.resolve("f16.gguf"));
        try (ModelFile m = ModelFile.open(file)) {
            BackendModel model = backend.load(m, LoadOptions.builder().backend("cuda").build());
            BackendSession s = model.newSession(new SessionOptions(16, null, 4));
            assertEquals(16, s.contextLength());
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[] {m.config().vocabSize()}, 0, false));
            assertThrows(IllegalArgumentException.class, () -> s.forward(new int[17], 0, false));
            assertEquals(0, s.position());
            assertEquals(1, s.forward(new int[] {1, 2, 3, 4, 5, 6}, 0, false).rows());   // two batches of 4 and 2
            assertEquals(6, s.position());
            s.truncate(2);
            assertEquals(2, s.position());
            assertEquals(3, s.forward(new int[] {7, 8, 9}, 2, true).rows());
            model.close();
            assertThrows(IllegalStateException.class, () -> s.forward(new int[] {1}, 5, false));
            s.close();
            model.close();   // idempotent
        }
    }
}
