package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mixtral4j.Model;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.TokenListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The slots and their queue, on real sessions of the test model. */
class SlotPoolTest {
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        model = TestServer.loadModel(TestServer.CONTEXT);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static void waitForWaiters(SlotPool pool, int n) throws InterruptedException {
        for (int i = 0; i < 2000 && pool.waitingCount() < n; i++) {
            Thread.sleep(5);
        }
        assertEquals(n, pool.waitingCount());
    }

    @Test
    void waitersAreServedFirstComeFirstServedAndOneTooManyIsRefused() throws Exception {
        try (SlotPool pool = new SlotPool(model, 1, 2)) {
            Slot held = pool.acquire(new int[] {1});
            List<String> order = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> take(pool, order, "b"));
            waitForWaiters(pool, 1);
            CompletableFuture<Void> c = CompletableFuture.runAsync(() -> take(pool, order, "c"));
            waitForWaiters(pool, 2);
            ApiError full = assertThrows(ApiError.class, () -> pool.acquire(new int[] {1}));
            assertEquals(503, full.status());
            pool.release(held);
            b.get(30, TimeUnit.SECONDS);
            c.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("b", "c"), order);
            assertEquals(0, pool.busyCount());
        }
    }

    static void take(SlotPool pool, List<String> order, String name) {
        try {
            Slot s = pool.acquire(new int[] {1});
            order.add(name);
            Thread.sleep(20);
            pool.release(s);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aRequestGoesToTheSlotHoldingItsConversation() throws Exception {
        try (SlotPool pool = new SlotPool(model, 2, 4)) {
            int[] conversation = {1, 10, 11, 12, 13, 14, 15, 16};
            Slot first = pool.acquire(conversation);
            first.session.generate(conversation, GenerationOptions.builder().maxTokens(2).build(), TokenListener.none());
            pool.release(first);
            // A newcomer sharing only the first token gets the other, empty slot...
            Slot other = pool.acquire(new int[] {1, 99, 98});
            assertNotSame(first, other);
            pool.release(other);
            // Touch the conversation's slot so that it is the most recently used: least-recently-used
            // choice alone would now pick the other slot.
            assertSame(first, pool.acquire(conversation));
            pool.release(first);
            // ...and the conversation's next turn comes back to the slot that holds it.
            int[] next = new int[conversation.length + 3];
            System.arraycopy(conversation, 0, next, 0, conversation.length);
            next[conversation.length] = 20;
            next[conversation.length + 1] = 21;
            next[conversation.length + 2] = 22;
            assertSame(first, pool.acquire(next));
        }
    }
}
