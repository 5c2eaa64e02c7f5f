package dev.mixtral4j.backend.java;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.backend.java.kernel.VectorSupport;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.KvCacheSize;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Keys and values of every layer, off the Java heap (so a long context does not need a large
 * heap) and allocated in chunks of {@link #CHUNK} positions as the sequence grows (so a 32k
 * context costs memory only for the positions used). Stored as F32 or F16.
 */
final class KvCache implements AutoCloseable {
    static final int CHUNK = 256;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Arena arena = Arena.ofShared();
    private final int kvDim;
    private final boolean half;
    private final int elementBytes;
    /** [layer][chunk]: keys, values. */
    private final MemorySegment[][] keys;
    private final MemorySegment[][] values;

    KvCache(int layers, int contextLength, int kvDim, GgmlType type) {
        this.kvDim = kvDim;
        this.half = type == GgmlType.F16;
        this.elementBytes = half ? 2 : 4;
        // chunks are allocated as positions fill, but a cache that can never fit is refused now
        KvCacheSize.check(layers, kvDim, contextLength, elementBytes, KvCacheSize.availableMemory());
        int chunks = Math.toIntExact((contextLength + (long) CHUNK - 1) / CHUNK);
        this.keys = new MemorySegment[layers][chunks];
        this.values = new MemorySegment[layers][chunks];
    }

    GgmlType type() {
        return half ? GgmlType.F16 : GgmlType.F32;
    }

    /** Stores the K and V rows of {@code pos} for {@code layer}. */
    void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        int c = pos / CHUNK;
        if (keys[layer][c] == null) {
            long bytes = (long) CHUNK * kvDim * elementBytes;
            keys[layer][c] = arena.allocate(bytes, 64);
            values[layer][c] = arena.allocate(bytes, 64);
        }
        long base = (long) (pos % CHUNK) * kvDim * elementBytes;
        write(keys[layer][c], base, k, kOff);
        write(values[layer][c], base, v, vOff);
    }

    private void write(MemorySegment seg, long base, float[] src, int off) {
        if (half) {
            for (int i = 0; i < kvDim; i++) {
                seg.set(HALF, base + 2L * i, Float.floatToFloat16(src[off + i]));
            }
        } else {
            MemorySegment.copy(src, off, seg, FLOAT, base, kvDim);
        }
    }

    /** q[qOff ..+n] · key(pos)[col ..+n]. */
    float keyDot(int layer, int pos, int col, float[] q, int qOff, int n) {
        MemorySegment seg = keys[layer][pos / CHUNK];
        long base = ((long) (pos % CHUNK) * kvDim + col) * elementBytes;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        if (half) {
            for (; i <= n - L; i += L) {
                acc = VectorSupport.halvesToFloats(seg, base + 2L * i).fma(FloatVector.fromArray(F, q, qOff + i), acc);
            }
        } else {
            for (; i <= n - L; i += L) {
                acc = FloatVector.fromMemorySegment(F, seg, base + 4L * i, ByteOrder.LITTLE_ENDIAN)
                        .fma(FloatVector.fromArray(F, q, qOff + i), acc);
            }
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += read(seg, base, i) * q[qOff + i];
        }
        return sum;
    }

    /** out[outOff ..+n] += w * value(pos)[col ..+n]. */
    void addValue(int layer, int pos, int col, float w, float[] out, int outOff, int n) {
        MemorySegment seg = values[layer][pos / CHUNK];
        long base = ((long) (pos % CHUNK) * kvDim + col) * elementBytes;
        FloatVector vw = FloatVector.broadcast(F, w);
        int i = 0;
        if (half) {
            for (; i <= n - L; i += L) {
                VectorSupport.halvesToFloats(seg, base + 2L * i).fma(vw, FloatVector.fromArray(F, out, outOff + i))
                        .intoArray(out, outOff + i);
            }
        } else {
            for (; i <= n - L; i += L) {
                FloatVector.fromMemorySegment(F, seg, base + 4L * i, ByteOrder.LITTLE_ENDIAN)
                        .fma(vw, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) {
            out[outOff + i] += w * read(seg, base, i);
        }
    }

    private float read(MemorySegment seg, long base, int i) {
        return half ? Float.float16ToFloat(seg.get(HALF, base + 2L * i)) : seg.get(FLOAT, base + 4L * i);
    }

    /** Native bytes held now. */
    long allocatedBytes() {
        long n = 0;
        for (MemorySegment[] layer : keys) {
            for (MemorySegment s : layer) {
                if (s != null) {
                    n += 2 * s.byteSize();
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        arena.close();
    }
}
