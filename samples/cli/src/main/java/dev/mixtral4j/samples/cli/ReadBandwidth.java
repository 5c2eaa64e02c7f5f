package dev.mixtral4j.samples.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A STREAM-like read bandwidth figure of this machine: threads summing disjoint slices of a
 * buffer far larger than any cache, the best of several passes. It is the ceiling for decode,
 * which reads every active weight once per token, so {@code bench} reports its tokens/s beside
 * it as GB/s: users of bigger machines see where decode stops scaling with threads.
 */
final class ReadBandwidth {
    private static final int PASSES = 5;

    private final long[] buffer;

    /** A buffer of {@code bytes} (capped at a quarter of the heap), filled so no page is left untouched. */
    ReadBandwidth(long bytes) {
        long cap = Runtime.getRuntime().maxMemory() / 4;
        int longs = (int) Math.min(Integer.MAX_VALUE - 8L, Math.max(1 << 20, Math.min(bytes, cap) / 8));
        buffer = new long[longs];
        for (int i = 0; i < longs; i++) {
            buffer[i] = i;
        }
    }

    long bufferBytes() {
        return buffer.length * 8L;
    }

    /** Bytes per second that {@code threads} threads read together, best of a few passes. */
    double bytesPerSecond(int threads) {
        double best = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            long[] sums = new long[threads];
            List<Thread> workers = new ArrayList<>(threads);
            int slice = buffer.length / threads;
            long t0 = System.nanoTime();
            for (int w = 0; w < threads; w++) {
                int from = w * slice;
                int to = w == threads - 1 ? buffer.length : from + slice;
                int id = w;
                workers.add(Thread.ofPlatform().start(() -> sums[id] = sum(buffer, from, to)));
            }
            for (Thread t : workers) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while measuring read bandwidth", e);
                }
            }
            long nanos = System.nanoTime() - t0;
            long check = 0;
            for (long s : sums) {
                check += s;
            }
            // the sum of 0..n-1 proves every element was read (and keeps the JIT from dropping the loop)
            long n = buffer.length;
            if (check != (n - 1) * n / 2) {
                throw new IllegalStateException("read bandwidth pass summed " + check + ", expected " + (n - 1) * n / 2);
            }
            best = Math.max(best, bufferBytes() / (nanos / 1e9));
        }
        return best;
    }

    private static long sum(long[] a, int from, int to) {
        long s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s;
    }
}
