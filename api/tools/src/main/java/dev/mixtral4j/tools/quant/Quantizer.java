package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.UnsupportedTensorTypeException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Scalar reference quantization of floats to GGML tensor data, producing the bytes GGML's
 * {@code quantize_row_*_ref} functions (its {@code from_float_ref} type traits) produce: same scale
 * search, same rounding, same packing. This is what test fixtures and synthetic models are written
 * with. IQ4_NL and IQ4_XS are the exception: their encoders search the scales their own way
 * (least squared error, see {@code Iq4Grid}), refuse NaN and infinities, and are not byte-identical
 * to GGML's. All methods are thread-safe. Large jobs (from 2^18 values) are split over the common
 * fork-join pool; the output does not depend on how they are split.
 */
public final class Quantizer {

    /** Bytes encoded per window before copying into a segment destination. */
    private static final int WINDOW_BYTES = 16 << 20;
    /** Below this many values a job runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 18;
    /** Values per parallel task. */
    private static final int TASK_VALUES = 1 << 16;

    private Quantizer() {
    }

    /** True when {@code type} can be produced by this class. */
    public static boolean supports(GgmlType type) {
        return Encoders.canEncode(type);
    }

    /**
     * Quantizes {@code src[srcOffset .. srcOffset + count)} into {@code type.bytesFor(count)} bytes
     * written to {@code dst} at {@code dstByteOffset}.
     *
     * @param count a multiple of {@code type.blockSize()}
     * @throws UnsupportedTensorTypeException for types without a quantizer here
     * @throws IllegalArgumentException       when count is not whole blocks or {@code dst} is too small, or
     *                                        (IQ4_NL, IQ4_XS) a value is NaN or infinite
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int count, MemorySegment dst,
            long dstByteOffset) {
        Objects.requireNonNull(dst, "dst");
        BlockEncoder codec = checked(type, src, srcOffset, count);
        long byteCount = type.bytesFor(count);
        if (dstByteOffset < 0 || dstByteOffset + byteCount > dst.byteSize()) {
            throw new IllegalArgumentException(count + " " + type + " values need " + byteCount + " bytes at offset "
                    + dstByteOffset + " but the destination holds " + dst.byteSize() + " bytes");
        }
        int qk = type.blockSize();
        int blocks = count / qk;
        int blocksPerWindow = Math.max(1, WINDOW_BYTES / type.blockBytes());
        byte[] buffer = new byte[(int) Math.min(byteCount, (long) blocksPerWindow * type.blockBytes())];
        int done = 0;
        while (done < blocks) {
            int n = Math.min(blocksPerWindow, blocks - done);
            encode(codec, src, srcOffset + done * qk, n, buffer, 0);
            // Copied from the calling thread: dst may be a segment of a confined arena.
            MemorySegment.copy(buffer, 0, dst, ValueLayout.JAVA_BYTE, dstByteOffset + (long) done * type.blockBytes(),
                    n * type.blockBytes());
            done += n;
        }
    }

    /** Quantizes {@code count} values into {@code dst[dstOffset ..]} ({@code type.bytesFor(count)} bytes). */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int count, byte[] dst, int dstOffset) {
        BlockEncoder codec = checked(type, src, srcOffset, count);
        Objects.checkFromIndexSize(dstOffset, Math.toIntExact(type.bytesFor(count)), dst.length);
        encode(codec, src, srcOffset, count / type.blockSize(), dst, dstOffset);
    }

    /**
     * Encodes whole blocks, splitting big jobs over the common fork-join pool: blocks are
     * independent, so the bytes are the same however the work is divided.
     */
    private static void encode(BlockEncoder codec, float[] src, int srcOffset, int blocks, byte[] dst, int dstOffset) {
        GgmlType type = codec.type();
        long values = (long) blocks * type.blockSize();
        if (values < PARALLEL_THRESHOLD || ForkJoinPool.getCommonPoolParallelism() < 2) {
            codec.encode(src, srcOffset, blocks, dst, dstOffset);
            return;
        }
        int blocksPerTask = Math.max(1, TASK_VALUES / type.blockSize());
        int tasks = (blocks + blocksPerTask - 1) / blocksPerTask;
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int first = t * blocksPerTask;
            int n = Math.min(blocksPerTask, blocks - first);
            codec.encode(src, srcOffset + first * type.blockSize(), n, dst, dstOffset + first * type.blockBytes());
        });
    }

    /** Quantizes {@code count} values into a new array of {@code type.bytesFor(count)} bytes. */
    public static byte[] quantize(GgmlType type, float[] src, int srcOffset, int count) {
        BlockEncoder codec = checked(type, src, srcOffset, count);
        long byteCount = type.bytesFor(count);
        if (byteCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(count + " " + type + " values do not fit one byte array");
        }
        byte[] out = new byte[(int) byteCount];
        encode(codec, src, srcOffset, count / type.blockSize(), out, 0);
        return out;
    }

    /** Quantizes all of {@code src}. */
    public static byte[] quantize(GgmlType type, float[] src) {
        return quantize(type, src, 0, src.length);
    }

    private static BlockEncoder checked(GgmlType type, float[] src, int srcOffset, int count) {
        Objects.requireNonNull(type, "type");
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        BlockEncoder codec = Encoders.of(type);
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " values is not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        return codec;
    }
}
