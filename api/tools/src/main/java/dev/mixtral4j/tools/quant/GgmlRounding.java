package dev.mixtral4j.tools.quant;

/** The rounding primitives GGML's quantizers use, reproduced exactly (including out-of-range inputs). */
final class GgmlRounding {

    /** 1.5 * 2^23: adding it leaves the rounded integer in the low mantissa bits. */
    private static final float MAGIC = 12582912f;

    private GgmlRounding() {
    }

    /**
     * GGML's {@code nearest_int}: round to nearest, ties to even, by the magic-number trick. For
     * |v| below 2^22 this equals {@code Math.rint}; beyond it the same garbage GGML gets is returned.
     */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + MAGIC) & 0x007FFFFF) - 0x00400000;
    }

    /** C's {@code roundf}: round to nearest, ties away from zero (Java's Math.round ties upwards). */
    static float roundf(float v) {
        float r = (float) Math.floor(Math.abs((double) v) + 0.5);
        return Math.copySign(r, v);
    }
}
