package dev.mixtral4j.samples.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Model;
import dev.mixtral4j.ModelLoader;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.StopReason;
import dev.mixtral4j.testkit.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11's use-after-free race through the user API: {@code Model.close()} on one thread while
 * another opens a session and generates, a thousand times per backend. Before the lifecycle was
 * one mechanism this died in {@code llama_decode} (SIGSEGV) on llamacpp and threw raw
 * "Already closed" / "worker pool closed" errors on java. Now every generation either completes,
 * ends CANCELLED, or fails with an IllegalStateException saying what was closed.
 */
class ModelCloseRaceTest {

    @ParameterizedTest
    @ValueSource(strings = {"java", "llamacpp"})
    void closingAModelUnderAGeneratingThreadNeverCrashesAndFailsCleanly(String backend) throws Exception {
        Backends backends = Backends.discover();
        var info = backends.all().stream().filter(i -> i.id().equals(backend)).findFirst();
        Assumptions.assumeTrue(info.isPresent() && info.get().available(),
                () -> backend + " unavailable: " + info.map(i -> i.availability().reason()).orElse("not on the class path"));
        Path file = Fixtures.tinyMoe(dev.mixtral4j.gguf.GgmlType.F32).path();
        ModelLoader loader = ModelLoader.discover();
        LoadOptions options = LoadOptions.builder().backend(backend).threads(1).contextLength(64).batchSize(4).build();
        int iterations = Integer.getInteger("mixtral4j.closeRace.iterations", 1000);
        ExecutorService worker = Executors.newSingleThreadExecutor();
        Random random = new Random(11);
        int[] outcomes = new int[3];   // completed, cancelled, failed cleanly
        try {
            for (int i = 0; i < iterations; i++) {
                Model model = loader.load(file, options);
                CountDownLatch started = new CountDownLatch(1);
                int[] prompt = {1, 5 + i % 50, 7, 9, 11, 13};
                Future<Integer> run = worker.submit(() -> {
                    started.countDown();
                    try (Session s = model.newSession()) {
                        GenerationResult r = s.generate(prompt, GenerationOptions.builder().maxTokens(6).build(),
                                t -> { });
                        return r.stopReason() == StopReason.CANCELLED ? 1 : 0;
                    } catch (IllegalStateException e) {
                        String m = String.valueOf(e.getMessage());
                        if (!m.contains("closed") || m.startsWith("Already closed") || m.contains("worker pool")) {
                            throw new AssertionError("not a clean failure: " + e, e);
                        }
                        return 2;
                    }
                });
                started.await();
                int pause = random.nextInt(5);
                if (pause > 0) {
                    LockSupport.parkNanos(pause * 300_000L);
                }
                model.close();
                try {
                    outcomes[run.get(60, TimeUnit.SECONDS)]++;
                } catch (ExecutionException e) {
                    throw new AssertionError(backend + ", iteration " + i + ": the generating thread failed with "
                            + e.getCause(), e.getCause());
                }
            }
        } finally {
            worker.shutdownNow();
        }
        assertEquals(iterations, outcomes[0] + outcomes[1] + outcomes[2]);
        assertTrue(outcomes[1] + outcomes[2] > 0, backend + ": the close never overtook the generation in " + iterations
                + " iterations (" + List.of(outcomes[0], outcomes[1], outcomes[2]) + "): the race was not exercised");
    }
}
