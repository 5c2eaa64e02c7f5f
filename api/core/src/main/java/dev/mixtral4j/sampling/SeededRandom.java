package dev.mixtral4j.sampling;

/**
 * xoshiro256** seeded through SplitMix64: a fully specified generator, so the same seed gives the
 * same draws on every JVM and every Java version (unlike {@link java.util.Random}, whose
 * algorithm is only specified for one class and whose successors may differ).
 */
public final class SeededRandom {
    private long s0;
    private long s1;
    private long s2;
    private long s3;

    public SeededRandom(long seed) {
        long x = seed;
        x += 0x9E3779B97F4A7C15L;
        s0 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s1 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s2 = splitMix(x);
        x += 0x9E3779B97F4A7C15L;
        s3 = splitMix(x);
    }

    private SeededRandom(long s0, long s1, long s2, long s3) {
        this.s0 = s0;
        this.s1 = s1;
        this.s2 = s2;
        this.s3 = s3;
    }

    /** A generator in exactly this xoshiro256** state (for checking against published vectors). */
    static SeededRandom fromState(long s0, long s1, long s2, long s3) {
        return new SeededRandom(s0, s1, s2, s3);
    }

    /** SplitMix64's output function applied to {@code z}. */
    static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1), 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** An independent generator in the same state. */
    public SeededRandom copy() {
        return new SeededRandom(s0, s1, s2, s3);
    }
}
