package dev.mixtral4j.tools.quant;

import java.util.SplittableRandom;

/** Deterministic inputs that exercise the corners of GGML's quantizers. */
final class TestData {

    /** Magnitudes that make GGML's scales come out as whole numbers for the various bit widths. */
    private static final int[] GRIDS = {3, 4, 7, 8, 15, 16, 31, 32, 63, 127, 128};

    private TestData() {
    }

    /**
     * {@code n} values in runs of {@code run} (a multiple of every block size used), each run drawn
     * from one of several shapes: Gaussian at random scales, uniform, heavy outliers, all zero,
     * constant, one-signed, tiny (near the f16 subnormal range), large, and values on exact
     * half-steps (which make every rounding tie-break visible).
     */
    static float[] mixed(long seed, int n, int run) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int start = 0; start < n; start += run) {
            int end = Math.min(n, start + run);
            int shape = r.nextInt(13);
            int grid = GRIDS[r.nextInt(GRIDS.length)];
            double scale = Math.pow(10, r.nextDouble(-3, 1.5));
            for (int i = start; i < end; i++) {
                x[i] = (float) switch (shape) {
                    case 0, 1 -> r.nextGaussian() * scale;
                    case 2 -> r.nextDouble(-scale, scale);
                    case 3 -> r.nextInt(16) == 0 ? r.nextGaussian() * scale * 50 : r.nextGaussian() * scale;
                    case 4 -> 0.0;
                    case 5 -> scale;
                    case 6 -> Math.abs(r.nextGaussian()) * scale + scale;
                    case 7 -> -Math.abs(r.nextGaussian()) * scale;
                    case 8 -> r.nextGaussian() * 1e-6;
                    case 9 -> r.nextGaussian() * 3000;
                    case 10 -> (r.nextInt(33) - 16) * 0.5;
                    default -> (r.nextInt(4 * grid + 1) - 2 * grid) * 0.5;
                };
            }
            if (shape >= 11) {
                // Pin the extreme so the block's scale is exactly 1 and half-steps become rounding ties.
                x[start + r.nextInt(end - start)] = r.nextBoolean() ? grid : -grid;
            }
            if (shape != 4 && r.nextInt(4) == 0) {
                // Sparse zeros inside an otherwise busy block.
                for (int k = 0; k < (end - start) / 8; k++) {
                    x[start + r.nextInt(end - start)] = 0f;
                }
            }
        }
        return x;
    }

    static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }
}
