package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.fakes.FakeBackend;
import dev.mixtral4j.generation.Generation;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Model#decodeTogether} and the SPI under it ({@link BackendModel#forwardEach}, its
 * checks and lifecycle in {@code AbstractBackendModel}, and the interface's default loop), on the
 * fake backend whose logits are a pure function of the whole history: a session decoded with the
 * wrong token, position or history gives other logits.
 */
class DecodeTogetherTest {
    private static final int VOCAB = dev.mixtral4j.fakes.CharTokenizer.VOCAB;

    @TempDir
    Path dir;

    private static float[] after(int[] history) {
        return FakeBackend.hashLogits(history, VOCAB);
    }

    private static int[] plus(int[] a, int... b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void eachSessionGetsTheLogitsAfterItsOwnHistory() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeBackend::hashLogits, 64);
        try (Model m = w.load(); Session a = m.newSession(); Session b = m.newSession(); Session c = m.newSession()) {
            int[] pa = {1, 72, 105};
            int[] pb = {1, 33};
            assertArrayEquals(after(pa), a.prefill(pa), 0f, "prefill returns the logits after the prompt");
            b.prefill(pb);
            List<float[]> step = m.decodeTogether(List.of(b, a), new int[] {40, 50});
            assertEquals(2, step.size());
            assertArrayEquals(after(plus(pb, 40)), step.get(0), 0f, "row 0 is the first session listed");
            assertArrayEquals(after(plus(pa, 50)), step.get(1), 0f, "row 1 is the second");
            assertArrayEquals(plus(pa, 50), a.tokens(), "the token joins the conversation");
            assertArrayEquals(plus(pb, 40), b.tokens());
            // a session with an empty conversation decodes from position 0
            List<float[]> three = m.decodeTogether(List.of(a, b, c), new int[] {51, 41, 1});
            assertArrayEquals(after(new int[] {1}), three.get(2), 0f);
            assertArrayEquals(after(plus(pa, 50, 51)), three.get(0), 0f);
            // a generation afterwards reuses everything decoded: only the new prompt tail is computed
            w.a.clearCalls();
            a.generate(plus(a.tokens(), 52), GenerationOptions.builder().maxTokens(1).sampler(Samplers.greedy()).build(),
                    t -> { });
            assertEquals(List.of(new FakeBackend.ForwardCall("a", 5, 1)), w.a.calls());
        }
    }

    @Test
    void aPendingGeneratedTokenIsComputedFirst() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeBackend::hashLogits, 64);
        try (Model m = w.load(); Session a = m.newSession(); Session b = m.newSession()) {
            GenerationOptions one = GenerationOptions.builder().maxTokens(1).sampler(Samplers.greedy())
                    .ignoreEndOfGeneration(true).build();
            int generated = a.generate(new int[] {1, 70}, one, t -> { }).tokens()[0];
            b.prefill(new int[] {1, 80});
            List<float[]> step = m.decodeTogether(List.of(a, b), new int[] {90, 91});
            assertArrayEquals(after(new int[] {1, 70, generated, 90}), step.get(0), 0f);
            assertArrayEquals(after(new int[] {1, 80, 91}), step.get(1), 0f);
            assertArrayEquals(new int[] {1, 70, generated, 90}, a.tokens());
        }
    }

    @Test
    void badCallsAreRefusedAndChangeNothing() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeBackend::hashLogits, 64);
        try (Model m = w.load(); Model other = w.load(); Session a = m.newSession(); Session b = m.newSession();
             Session foreign = other.newSession()) {
            a.prefill(new int[] {1, 2});
            b.prefill(new int[] {1, 3});
            foreign.prefill(new int[] {1});
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(), new int[0]));
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(a, b), new int[] {4}));
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(a, a), new int[] {4, 5}));
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(a, foreign), new int[] {4, 5}));
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(a, b), new int[] {4, VOCAB}));
            Session moved = m.newSession();
            moved.prefill(new int[] {1, 9});
            Session onB = moved.transferTo("b");
            IllegalArgumentException backends = assertThrows(IllegalArgumentException.class,
                    () -> m.decodeTogether(List.of(a, onB), new int[] {4, 5}));
            assertTrue(backends.getMessage().contains("backend"), backends.getMessage());
            IllegalStateException transferred = assertThrows(IllegalStateException.class,
                    () -> m.decodeTogether(List.of(a, moved), new int[] {4, 5}));
            assertTrue(transferred.getMessage().contains("session 1"), transferred.getMessage());
            try (Generation running = b.stream(new int[] {1, 3, 4}, GenerationOptions.builder().maxTokens(3).build())) {
                IllegalStateException busy = assertThrows(IllegalStateException.class,
                        () -> m.decodeTogether(List.of(a, b), new int[] {4, 5}));
                assertTrue(busy.getMessage().contains("generation"), busy.getMessage());
            }
            assertArrayEquals(new int[] {1, 2}, a.tokens(), "refused calls leave the conversations as they were");
            assertArrayEquals(new int[] {1, 3}, b.tokens());
            onB.close();
            List<float[]> ok = m.decodeTogether(List.of(a, b), new int[] {4, 5});
            assertArrayEquals(after(new int[] {1, 2, 4}), ok.get(0), 0f);
            Session full = m.newSession(new SessionOptions(3, null, 64));
            full.prefill(new int[] {1, 2, 3});
            assertThrows(IllegalArgumentException.class, () -> m.decodeTogether(List.of(a, full), new int[] {4, 5}));
            assertArrayEquals(new int[] {1, 2, 4}, a.tokens(), "a full session refuses the step for all");
            m.close();
            assertThrows(IllegalStateException.class, () -> m.decodeTogether(List.of(a, b), new int[] {4, 5}));
        }
    }

    @Test
    void theSpiRefusesSessionsOfAnotherModelAndClosedOnes() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeBackend::hashLogits, 64);
        try (Model m = w.load()) {
            BackendModel one = m.backendModel(w.a);
            BackendModel two = w.a.load(m.file(), m.options());
            try (BackendSession s = one.newSession(m.defaultSessionOptions());
                 BackendSession t = two.newSession(m.defaultSessionOptions());
                 BackendSession closed = one.newSession(m.defaultSessionOptions())) {
                closed.close();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> one.forwardEach(List.of(s, t), new int[] {1, 2}));
                assertTrue(e.getMessage().contains("session 1"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> one.forwardEach(List.of(s, closed), new int[] {1, 2}));
                assertEquals(0, s.position());
                assertEquals(0, t.position());
            } finally {
                two.close();
            }
        }
    }

    @Test
    void aFailingStepLeavesNoSessionAdvanced() throws Exception {
        int poison = 66;
        FakeBackend.LogitsFunction f = (history, vocab) -> {
            if (history[history.length - 1] == poison) {
                throw new IllegalStateException("device lost");
            }
            return FakeBackend.hashLogits(history, vocab);
        };
        FakeWorld w = new FakeWorld(dir, f, 64);
        try (Model m = w.load()) {
            BackendModel bm = m.backendModel(w.a);
            try (BackendSession a = bm.newSession(m.defaultSessionOptions());
                 BackendSession b = bm.newSession(m.defaultSessionOptions())) {
                a.forward(new int[] {1, 2}, 0, false);
                b.forward(new int[] {1, 3, 4}, 0, false);
                // a is computed first by the default computeEach, then b fails: a counts as lost too
                assertThrows(IllegalStateException.class, () -> bm.forwardEach(List.of(a, b), new int[] {5, poison}));
                assertEquals(2, a.position(), "the step is all or nothing");
                assertEquals(3, b.position());
                Logits ok = bm.forwardEach(List.of(a, b), new int[] {5, 6});
                assertArrayEquals(after(new int[] {1, 2, 5}), ok.row(0), 0f);
                assertArrayEquals(after(new int[] {1, 3, 4, 6}), ok.row(1), 0f);
            }
        }
    }

    /** The default loop of a BackendModel that is not built on the base classes (a decorator here). */
    @Test
    void theInterfaceDefaultLoopsAndUndoesAFailedStep() throws Exception {
        int poison = 66;
        FakeBackend.LogitsFunction f = (history, vocab) -> {
            if (history[history.length - 1] == poison) {
                throw new IllegalStateException("device lost");
            }
            return FakeBackend.hashLogits(history, vocab);
        };
        FakeWorld w = new FakeWorld(dir, f, 64);
        try (Model m = w.load()) {
            BackendModel inner = m.backendModel(w.a);
            BackendModel decorator = new BackendModel() {
                @Override
                public Backend backend() {
                    return inner.backend();
                }

                @Override
                public ModelConfig config() {
                    return inner.config();
                }

                @Override
                public BackendSession newSession(SessionOptions options) {
                    return inner.newSession(options);
                }

                @Override
                public void close() {
                }
            };
            try (BackendSession a = decorator.newSession(m.defaultSessionOptions());
                 BackendSession b = decorator.newSession(m.defaultSessionOptions())) {
                a.forward(new int[] {1, 2}, 0, false);
                Logits l = decorator.forwardEach(List.of(b, a), new int[] {7, 8});
                assertArrayEquals(after(new int[] {7}), l.row(0), 0f);
                assertArrayEquals(after(new int[] {1, 2, 8}), l.row(1), 0f);
                assertThrows(IllegalStateException.class, () -> decorator.forwardEach(List.of(a, b), new int[] {9, poison}));
                assertEquals(3, a.position(), "the default truncates a session it advanced before the failure");
                assertEquals(1, b.position());
                assertThrows(IllegalArgumentException.class, () -> decorator.forwardEach(List.of(a, a), new int[] {1, 2}));
                assertThrows(IllegalArgumentException.class, () -> decorator.forwardEach(List.of(a, b), new int[] {1, -1}));
                assertEquals(3, a.position());
            }
        }
    }

    /** Close of a session in a step waits for the step, as it waits for a forward call. */
    @Test
    void closeWaitsForAStepInFlight() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeBackend::hashLogits, 64);
        try (Model m = w.load()) {
            BackendModel bm = m.backendModel(w.a);
            BackendSession a = bm.newSession(m.defaultSessionOptions());
            BackendSession b = bm.newSession(m.defaultSessionOptions());
            w.a.setDelayMillis(150);
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Logits> step = CompletableFuture.supplyAsync(() -> {
                started.countDown();
                return bm.forwardEach(List.of(a, b), new int[] {1, 2});
            });
            started.await();
            // give the step time to take the locks and start computing
            while (w.a.calls().isEmpty()) {
                Thread.onSpinWait();
            }
            b.close();
            assertEquals(2, w.a.calls().size(), "close returned only after the step computed both sessions");
            Logits l = step.get(10, TimeUnit.SECONDS);
            assertArrayEquals(after(new int[] {2}), l.row(1), 0f, "the step completed with the session it held");
            w.a.setDelayMillis(0);
            assertThrows(IllegalStateException.class, () -> bm.forwardEach(List.of(a, b), new int[] {3, 4}));
            assertFalse(((FakeBackend.FakeSession) a).closed());
            a.close();
        }
    }
}
