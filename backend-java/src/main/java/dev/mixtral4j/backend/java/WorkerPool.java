package dev.mixtral4j.backend.java;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split index ranges between them. The calling thread takes part as
 * worker 0, chunks are claimed from a shared counter (so a core slowed by other processes simply
 * claims fewer), and idle workers spin briefly before parking, because a decode step issues a few
 * dozen short parallel loops per token.
 *
 * <p>A loop is finished when all its items are done, not when every worker has checked in: a
 * worker that wakes up late (descheduled on a busy machine, or still parked) finds nothing left
 * to claim and the caller never waits for it. Loops too small to repay a hand-off to another core
 * run on the caller alone ({@link #grain}).
 */
final class WorkerPool implements AutoCloseable {

    /** A loop body over {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    interface RangeTask {
        void run(int worker, int start, int end);
    }

    private static final int SPIN = 20_000;

    /**
     * Multiply-adds below which a chunk is not worth handing to another thread: waking a worker
     * and collecting its result costs microseconds, a few tens of thousands of multiply-adds.
     */
    static final long MIN_CHUNK_WORK = 1 << 16;

    private final int threads;
    private final Worker[] workers;
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread t = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(workers[i]);
            workers[i].thread = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * The chunk size for {@code n} items of {@code workPerItem} multiply-adds each: about 16
     * chunks per thread so a slowed core claims fewer, but never chunks smaller than
     * {@link #MIN_CHUNK_WORK}, so a small loop becomes one chunk and runs on the caller.
     */
    int grain(int n, long workPerItem) {
        long byWork = (MIN_CHUNK_WORK + Math.max(1, workPerItem) - 1) / Math.max(1, workPerItem);
        long bySpread = (n + threads * 16L - 1) / (threads * 16L);
        return (int) Math.min(Math.max(1, n), Math.max(byWork, bySpread));
    }

    /** Runs {@code task} over {@code [0, n)} in chunks of {@code grain}, returning when all are done. */
    void parallelFor(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("worker pool closed");
        }
        if (threads == 1 || n <= grain) {
            task.run(0, 0, n);
            return;
        }
        Job job = new Job(n, Math.max(1, grain), task, Thread.currentThread());
        for (Worker w : workers) {
            w.next = job;
            LockSupport.unpark(w.thread);
        }
        job.work(0);
        int spins = 0;
        while (job.remaining.get() > 0) {
            if (spins++ < SPIN) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        Throwable error = job.error;
        if (error instanceof RuntimeException e) {
            throw e;
        }
        if (error instanceof Error e) {
            throw e;
        }
        if (error != null) {
            throw new IllegalStateException(error);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    private static final class Job {
        final int n;
        final int grain;
        final RangeTask task;
        final AtomicInteger next = new AtomicInteger();
        /** Items not yet done; the owner returns when it reaches zero. */
        final AtomicInteger remaining;
        final Thread owner;
        volatile Throwable error;

        Job(int n, int grain, RangeTask task, Thread owner) {
            this.n = n;
            this.grain = grain;
            this.task = task;
            this.remaining = new AtomicInteger(n);
            this.owner = owner;
        }

        /** Claims and runs chunks until none is left; after a failure chunks are only counted off. */
        void work(int worker) {
            int s;
            while ((s = next.getAndAdd(grain)) < n) {
                int end = Math.min(n, s + grain);
                try {
                    if (error == null) {
                        task.run(worker, s, end);
                    }
                } catch (Throwable t) {
                    error = t;
                }
                if (remaining.addAndGet(s - end) == 0 && Thread.currentThread() != owner) {
                    LockSupport.unpark(owner);
                }
            }
        }
    }

    private final class Worker implements Runnable {
        final int index;
        Thread thread;
        volatile Job next;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            Job last = null;
            while (true) {
                Job job;
                int spins = 0;
                while ((job = next) == last) {
                    if (closed) {
                        return;
                    }
                    if (spins++ < SPIN) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                last = job;
                job.work(index);
            }
        }
    }
}
