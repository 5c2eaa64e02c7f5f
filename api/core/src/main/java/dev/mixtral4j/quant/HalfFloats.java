package dev.mixtral4j.quant;

/**
 * Conversions between float and the two 16-bit float formats GGUF stores (IEEE binary16 "F16"
 * and bfloat16 "BF16"), bit-for-bit as GGML's scalar code performs them.
 *
 * <p>Finite values and infinities round to nearest, ties to even, in both directions where
 * rounding is needed. NaNs follow GGML rather than Java: narrowing to F16 yields GGML's canonical
 * quiet NaN {@code 0x7E00} (with the sign), narrowing to BF16 keeps the top payload bits and forces
 * the quiet bit, and widening F16 keeps the payload and sets the quiet bit, as the x86 arithmetic in
 * GGML's widening does.
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    /** Widens an IEEE binary16 value (raw bits) to float. */
    public static float f16ToF32(short bits) {
        int h = bits & 0xFFFF;
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) {
            int sign = (h & 0x8000) << 16;
            return Float.intBitsToFloat(sign | 0x7FC00000 | ((h & 0x03FF) << 13));
        }
        return Float.float16ToFloat(bits);
    }

    /** Narrows a float to IEEE binary16 (raw bits), rounding to nearest even. */
    public static short f32ToF16(float value) {
        if (Float.isNaN(value)) {
            int sign = (Float.floatToRawIntBits(value) >>> 16) & 0x8000;
            return (short) (sign | 0x7E00);
        }
        return Float.floatToFloat16(value);
    }

    /** Widens a bfloat16 value (raw bits) to float: the bits are the float's upper half. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Narrows a float to bfloat16 (raw bits), rounding to nearest even; subnormals are kept. */
    public static short f32ToBf16(float value) {
        int u = Float.floatToRawIntBits(value);
        if ((u & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((u >>> 16) | 0x40);
        }
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }
}
