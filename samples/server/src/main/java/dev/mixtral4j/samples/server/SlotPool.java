package dev.mixtral4j.samples.server;

import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server's {@code --parallel} sessions and the bounded queue in front of them. A request
 * takes the free slot whose cached conversation shares the longest start with its prompt (the
 * least recently used among equals), waits in first-come order when none is free, and is
 * refused when the queue is full.
 */
final class SlotPool implements AutoCloseable {
    private final List<Slot> slots = new ArrayList<>();
    private final int maxWaiting;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition freed = lock.newCondition();
    private int waiting;
    private long nextTicket;
    private long serving;
    private final java.util.Set<Long> abandoned = new java.util.HashSet<>();
    private long clock;
    private boolean closed;

    SlotPool(Model model, int parallel, int maxWaiting) {
        this.maxWaiting = maxWaiting;
        try {
            for (int i = 0; i < parallel; i++) {
                Session s = model.newSession();
                slots.add(new Slot(i, s));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    int size() {
        return slots.size();
    }

    int contextLength() {
        return slots.getFirst().session.contextLength();
    }

    /**
     * A slot for {@code prompt}, waiting for one if all are busy.
     *
     * @throws ApiError 503 when {@code maxWaiting} requests already wait
     */
    Slot acquire(int[] prompt) throws InterruptedException {
        lock.lock();
        try {
            ensureOpen();
            if (waiting > 0 || freeCount() == 0) {
                if (waiting >= maxWaiting) {
                    throw ApiError.busy("all " + slots.size() + " slots are busy and " + waiting
                            + " requests are waiting already; try again later");
                }
                // Tickets keep the queue first come, first served: a newcomer never overtakes.
                long ticket = nextTicket++;
                waiting++;
                try {
                    while (ticket != serving || freeCount() == 0) {
                        freed.await();
                        ensureOpen();
                    }
                } finally {
                    waiting--;
                    if (ticket == serving) {
                        serving++;
                    } else {
                        abandoned.add(ticket); // interrupted or closed before its turn
                    }
                    while (abandoned.remove(serving)) {
                        serving++;
                    }
                }
            }
            Slot best = bestFree(prompt);
            best.busy = true;
            best.lastUsed = ++clock;
            freed.signalAll();
            return best;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The free slot whose conversation shares the most with {@code prompt}, when that share is
     * worth it (at least half of what the slot holds, or half of the prompt); otherwise the least
     * recently used free slot, so that a newcomer sharing only "&lt;s&gt;[INST]" with a long cached
     * conversation does not wipe it out.
     */
    private Slot bestFree(int[] prompt) {
        Slot match = null;
        int matchPrefix = 0;
        Slot oldest = null;
        for (Slot s : slots) {
            if (s.busy) {
                continue;
            }
            if (oldest == null || s.lastUsed < oldest.lastUsed) {
                oldest = s;
            }
            int p = s.commonPrefix(prompt);
            int held = s.session.tokens().length;
            boolean worthIt = p > 0 && (2 * p >= held || 2 * p >= prompt.length);
            if (worthIt && p > matchPrefix) {
                match = s;
                matchPrefix = p;
            }
        }
        return match != null ? match : oldest;
    }

    void release(Slot slot) {
        lock.lock();
        try {
            slot.busy = false;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int busyCount() {
        lock.lock();
        try {
            return slots.size() - freeCount();
        } finally {
            lock.unlock();
        }
    }

    int waitingCount() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    private int freeCount() {
        int n = 0;
        for (Slot s : slots) {
            if (!s.busy) {
                n++;
            }
        }
        return n;
    }

    private void ensureOpen() {
        if (closed) {
            throw ApiError.busy("the server is shutting down");
        }
    }

    /** Closes every session (cancelling what runs) and wakes the waiting requests, which fail. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Slot s : slots) {
            s.session.close();
        }
    }
}
