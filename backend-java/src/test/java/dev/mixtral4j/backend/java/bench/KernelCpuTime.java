package dev.mixtral4j.backend.java.bench;

import dev.mixtral4j.backend.java.kernel.Kernels;
import dev.mixtral4j.backend.java.kernel.TensorKernel;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A rough kernel rate in bytes per CPU-second of the measuring thread (Linux only): on a machine shared with
 * other busy processes, wall-clock JMH figures mostly measure the scheduler, thread CPU time
 * does not. Not a substitute for {@link KernelBenchmark} on a quiet machine.
 * Run: java --add-modules jdk.incubator.vector -cp ... KernelCpuTime Q4_0 Q8_0 ...
 */
public final class KernelCpuTime {
    /** Nanoseconds this thread has run on a CPU (Linux schedstat). */
    private static long cpuNanos() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split(" ")[0]);
        } catch (IOException e) {
            throw new IllegalStateException("needs Linux /proc/thread-self/schedstat", e);
        }
    }

    public static void main(String[] args) {
        int cols = 4096;
        int rows = 14336;
        for (String name : args) {
            GgmlType t = GgmlType.valueOf(name);
            TensorKernel k = Kernels.of(t);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment data = arena.allocate(t.bytesFor(cols) * rows, 64);
                Random rnd = new Random(1);
                byte[] buf = new byte[(int) t.bytesFor(cols)];
                for (int r = 0; r < rows; r++) {
                    rnd.nextBytes(buf);
                    for (int i = 1; i < buf.length; i += 2) {
                        buf[i] &= 0x3F;
                    }
                    MemorySegment.copy(MemorySegment.ofArray(buf), 0, data, r * (long) buf.length, buf.length);
                }
                WeightMatrix w = new WeightMatrix("w", t, cols, rows, data);
                float[] x = new float[cols];
                float[] out = new float[rows];
                for (int i = 0; i < cols; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                int tokens = 64;
                WeightMatrix small = new WeightMatrix("s", t, cols, 512, data.asSlice(0, t.bytesFor(cols) * 512));
                float[] xs = new float[tokens * cols];
                float[] outs = new float[tokens * 512];
                float[] scratch = new float[TensorKernel.matmulScratch(cols, tokens)];
                for (int round = 0; round < 4; round++) {
                    long c0 = cpuNanos();
                    int reps = 10;
                    for (int i = 0; i < reps; i++) {
                        k.matvec(w, x, 0, out, 0, 0, rows);
                    }
                    long c1 = cpuNanos();
                    // one matmul is ~4 ms, a single scheduler tick of schedstat's accounting: repeat it
                    int mmReps = 25;
                    for (int i = 0; i < mmReps; i++) {
                        k.matmul(small, xs, 0, cols, tokens, outs, 0, 512, 0, 512, scratch);
                    }
                    long c2 = cpuNanos();
                    double gbs = data.byteSize() * (double) reps / (c1 - c0);
                    double gmacMv = (double) rows * cols * reps / (c1 - c0);
                    double gmacMm = 512.0 * cols * tokens * mmReps / (c2 - c1);
                    System.out.printf("%-5s matvec %6.2f GB/s %6.2f GMAC/s per CPU-s | matmul x%d %6.2f GMAC/s%n",
                            name, gbs, gmacMv, tokens, gmacMm);
                }
            }
        }
    }
}
