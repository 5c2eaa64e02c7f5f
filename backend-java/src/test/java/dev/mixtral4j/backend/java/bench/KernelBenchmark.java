package dev.mixtral4j.backend.java.bench;

import dev.mixtral4j.backend.java.kernel.Kernels;
import dev.mixtral4j.backend.java.kernel.TensorKernel;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread, one kernel: a matrix-vector product over a weight larger than the caches
 * (14336 x 4096, an expert's gate), so the figure is the kernel's streaming rate, and a
 * matrix-matrix product of 1024 rows by 64 tokens (the prefill path), and two prefill-shaped
 * products: 1024 rows x 4096 columns x 512 tokens (an attention projection of a 512-token batch) and
 * 512 rows x 14336 columns x 128 tokens (an expert's ffn_down over the ~128 tokens a 512-token batch
 * routes to it).
 * Weight bytes / time = the memory rate one core sustains through the kernel.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class KernelBenchmark {
    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F16", "IQ4_NL", "IQ4_XS"})
    public String type;

    private Arena arena;
    private WeightMatrix w;
    private WeightMatrix small;
    private TensorKernel kernel;
    private float[] x;
    private float[] out;
    private float[] xs;
    private float[] outs;
    private float[] scratch;
    private WeightMatrix wide;
    private float[] xs512;
    private float[] outs512;
    private float[] scratch512;
    private float[] xsDown;
    private float[] outsDown;
    private float[] scratchDown;

    @Setup(Level.Trial)
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        kernel = Kernels.of(t);
        int cols = 4096;
        int rows = 14336;
        arena = Arena.ofShared();
        MemorySegment data = arena.allocate(t.bytesFor(cols) * rows, 64);
        Random rnd = new Random(1);
        byte[] buf = new byte[(int) t.bytesFor(cols)];
        for (int r = 0; r < rows; r++) {
            rnd.nextBytes(buf);
            // keep F16 scales and values finite: clear the top exponent bit of every 16-bit word
            for (int i = 1; i < buf.length; i += 2) {
                buf[i] &= 0x3F;
            }
            MemorySegment.copy(MemorySegment.ofArray(buf), 0, data, r * (long) buf.length, buf.length);
        }
        w = new WeightMatrix("w", t, cols, rows, data);
        small = new WeightMatrix("s", t, cols, 1024, data.asSlice(0, t.bytesFor(cols) * 1024));
        x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        out = new float[rows];
        xs = new float[64 * cols];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextGaussian();
        }
        outs = new float[64 * 1024];
        scratch = new float[TensorKernel.matmulScratch(cols, 64)];
        xs512 = gaussian(rnd, 512 * cols);
        outs512 = new float[512 * 1024];
        scratch512 = new float[TensorKernel.matmulScratch(cols, 512)];
        wide = new WeightMatrix("d", t, rows, 512, data.asSlice(0, t.bytesFor(rows) * 512));
        xsDown = gaussian(rnd, 128 * rows);
        outsDown = new float[128 * 512];
        scratchDown = new float[TensorKernel.matmulScratch(rows, 128)];
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matvec() {
        kernel.matvec(w, x, 0, out, 0, 0, w.rows());
        return out;
    }

    @Benchmark
    public float[] matmul64() {
        kernel.matmul(small, xs, 0, 4096, 64, outs, 0, 1024, 0, 1024, scratch);
        return outs;
    }

    @Benchmark
    public float[] matmul512() {
        kernel.matmul(small, xs512, 0, 4096, 512, outs512, 0, 1024, 0, 1024, scratch512);
        return outs512;
    }

    @Benchmark
    public float[] down128() {
        kernel.matmul(wide, xsDown, 0, 14336, 128, outsDown, 0, 512, 0, 512, scratchDown);
        return outsDown;
    }
}
