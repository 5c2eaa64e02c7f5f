package dev.mixtral4j.quant;

/**
 * GGML's non-linear 4-bit table ({@code kvalues_iq4nl}) that IQ4_NL and IQ4_XS nibbles index: one
 * copy for the decoders here, the encoders of the tools and the kernels of a backend.
 */
public final class Iq4Table {
    private static final int[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private Iq4Table() {
    }

    /** The value code {@code q} (0-15) stands for, before the block's scale. */
    public static int value(int q) {
        return VALUES[q];
    }

    /** The 16 values in code order, a fresh copy. */
    public static int[] values() {
        return VALUES.clone();
    }
}
