package dev.mixtral4j.quant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian reads and writes of GGUF block fields inside a byte array. Public because the
 * block encoders of mixtral4j-tools write the same fields the decoders here read.
 */
public final class LittleEndian {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static short getShort(byte[] a, int off) {
        return (short) SHORT.get(a, off);
    }

    public static void putShort(byte[] a, int off, short v) {
        SHORT.set(a, off, v);
    }

    public static int getInt(byte[] a, int off) {
        return (int) INT.get(a, off);
    }

    public static void putInt(byte[] a, int off, int v) {
        INT.set(a, off, v);
    }

    public static float getFloat(byte[] a, int off) {
        return (float) FLOAT.get(a, off);
    }

    public static void putFloat(byte[] a, int off, float v) {
        FLOAT.set(a, off, v);
    }

    /** An IEEE half stored at {@code off}, widened to float as GGML widens it. */
    public static float getHalf(byte[] a, int off) {
        return HalfFloats.f16ToF32(getShort(a, off));
    }

    /** Stores {@code v} as an IEEE half rounded as GGML rounds it. */
    public static void putHalf(byte[] a, int off, float v) {
        putShort(a, off, HalfFloats.f32ToF16(v));
    }
}
