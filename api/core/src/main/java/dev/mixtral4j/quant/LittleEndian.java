package dev.mixtral4j.quant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian reads and writes of GGUF block fields inside a byte array. */
final class LittleEndian {

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    static short getShort(byte[] a, int off) {
        return (short) SHORT.get(a, off);
    }

    static void putShort(byte[] a, int off, short v) {
        SHORT.set(a, off, v);
    }

    static int getInt(byte[] a, int off) {
        return (int) INT.get(a, off);
    }

    static void putInt(byte[] a, int off, int v) {
        INT.set(a, off, v);
    }

    static float getFloat(byte[] a, int off) {
        return (float) FLOAT.get(a, off);
    }

    static void putFloat(byte[] a, int off, float v) {
        FLOAT.set(a, off, v);
    }

    /** An IEEE half stored at {@code off}, widened to float as GGML widens it. */
    static float getHalf(byte[] a, int off) {
        return HalfFloats.f16ToF32(getShort(a, off));
    }

    /** Stores {@code v} as an IEEE half rounded as GGML rounds it. */
    static void putHalf(byte[] a, int off, float v) {
        putShort(a, off, HalfFloats.f32ToF16(v));
    }
}
