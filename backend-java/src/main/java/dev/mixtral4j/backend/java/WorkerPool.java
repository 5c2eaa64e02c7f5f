package dev.mixtral4j.backend.java;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split index ranges between them. The calling thread takes part as
 * worker 0, chunks are claimed from a shared counter (so a core slowed by other processes simply
 * claims fewer), and idle workers spin briefly before parking, because a decode step issues a few
 * dozen short parallel loops per token.
 */
final class WorkerPool implements AutoCloseable {

    /** A loop body over {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    interface RangeTask {
        void run(int worker, int start, int end);
    }

    private static final int SPIN = 20_000;

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
        Job job = new Job(n, Math.max(1, grain), task, threads, Thread.currentThread());
        for (Worker w : workers) {
            w.next = job;
            LockSupport.unpark(w.thread);
        }
        job.work(0);
        job.finish();
        int spins = 0;
        while (job.active.get() > 0) {
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
        final AtomicInteger active;
        final Thread owner;
        volatile Throwable error;

        Job(int n, int grain, RangeTask task, int participants, Thread owner) {
            this.n = n;
            this.grain = grain;
            this.task = task;
            this.active = new AtomicInteger(participants);
            this.owner = owner;
        }

        void work(int worker) {
            try {
                int s;
                while (error == null && (s = next.getAndAdd(grain)) < n) {
                    task.run(worker, s, Math.min(n, s + grain));
                }
            } catch (Throwable t) {
                error = t;
            }
        }

        void finish() {
            if (active.decrementAndGet() == 0) {
                LockSupport.unpark(owner);
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
                job.finish();
            }
        }
    }
}
