package dev.mixtral4j.tools.quant.bench;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.tools.quant.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The scalar reference conversions on one 4096-value row (Mixtral's embedding width): dequantize
 * from an off-heap segment, as backends and tests read mapped files, and quantize to a byte array,
 * as fixtures and synthetic models are written. Single-threaded (one row is below the parallel
 * threshold).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class QuantBenchmark {

    static final int ROW = 4096;

    @Param({"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    public String type;

    private GgmlType ggmlType;
    private float[] values;
    private float[] out;
    private byte[] encoded;
    private Arena arena;
    private MemorySegment segment;

    @Setup(Level.Trial)
    public void setUp() {
        ggmlType = GgmlType.valueOf(type);
        SplittableRandom r = new SplittableRandom(1);
        values = new float[ROW];
        for (int i = 0; i < ROW; i++) {
            values[i] = (float) (r.nextGaussian() * 0.02);
        }
        out = new float[ROW];
        byte[] q = Quantizer.quantize(ggmlType, values);
        encoded = new byte[q.length];
        arena = Arena.ofConfined();
        segment = arena.allocate(q.length + 1L).asSlice(1);
        MemorySegment.copy(q, 0, segment, ValueLayout.JAVA_BYTE, 0, q.length);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] dequantizeRow() {
        Dequantizer.dequantize(ggmlType, segment, 0, out, 0, ROW);
        return out;
    }

    @Benchmark
    public byte[] quantizeRow() {
        Quantizer.quantize(ggmlType, values, 0, ROW, encoded, 0);
        return encoded;
    }
}
