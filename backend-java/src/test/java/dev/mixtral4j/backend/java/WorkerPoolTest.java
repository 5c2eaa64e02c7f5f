package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyItemRunsExactlyOnceWhateverTheChunking(int threads) {
        try (WorkerPool pool = new WorkerPool(threads, "test")) {
            for (int n : new int[] {1, 2, 7, 64, 1000, 4099}) {
                for (int grain : new int[] {1, 3, 16, 5000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    AtomicInteger badWorker = new AtomicInteger(-1);
                    pool.parallelFor(n, grain, (wk, s, e) -> {
                        if (wk < 0 || wk >= threads) {
                            badWorker.set(wk);
                        }
                        for (int i = s; i < e; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " item " + i);
                    }
                    assertEquals(-1, badWorker.get(), "worker index out of range");
                }
            }
        }
    }

    @Test
    void aFailureReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
                    pool.parallelFor(100, 1, (wk, s, e) -> {
                        if (s == 57) {
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
            AtomicInteger sum = new AtomicInteger();
            pool.parallelFor(100, 1, (wk, s, e) -> sum.addAndGet(e - s));
            assertEquals(100, sum.get());
        }
    }

    @Test
    void smallLoopsBecomeOneChunkAndLargeOnesSpreadOverTheThreads() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            // a 64-wide model's projection: far below a hand-off's cost, one chunk
            assertEquals(64, pool.grain(64, 64));
            // an expert's 14336 rows of 4096: ~16 chunks per thread
            int g = pool.grain(14336, 4096);
            assertEquals(448, g);
            assertTrue(g * (long) 4096 >= WorkerPool.MIN_CHUNK_WORK);
            // never below one item, never above n
            assertEquals(1, pool.grain(10, Long.MAX_VALUE / 2));
            assertEquals(3, pool.grain(3, 0));
        }
    }

    @Test
    void aClosedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(2, "test");
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, 1, (wk, s, e) -> { }));
    }
}
