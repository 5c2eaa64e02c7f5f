package dev.mixtral4j.sampling.bench;

import dev.mixtral4j.sampling.SamplerChain;
import dev.mixtral4j.sampling.Samplers;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What sampling costs per generated token at Mixtral's vocabulary size: the time the generation
 * loop adds to each forward pass. Logits are Gaussian (spread 3), like a model's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SamplerChainBenchmark {

    @Param({"32000"})
    int vocab;

    @Param({"greedy", "top-k:k=40,top-p:p=0.95,temperature:t=0.7,dist:seed=7", "top-p:p=0.95,dist:seed=7",
            "min-p:p=0.05,temperature:t=0.8,dist:seed=7", "dist:seed=7",
            "penalties:last_n=64,repeat=1.1,top-k:k=40,dist:seed=7"})
    String spec;

    float[] logits;
    SamplerChain chain;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(1);
        logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (r.nextGaussian() * 3);
        }
        chain = Samplers.fromSpec(spec);
        for (int i = 0; i < 64; i++) {
            chain.accept(r.nextInt(vocab));
        }
    }

    @Benchmark
    public int sample() {
        return chain.sample(logits);
    }
}
