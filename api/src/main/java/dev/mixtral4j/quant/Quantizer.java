package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Scalar reference quantization of floats to GGML tensor data, producing the bytes GGML's
 * {@code quantize_row_*_ref} functions (its {@code from_float_ref} type traits) produce: same scale
 * search, same rounding, same packing. This is what test fixtures and synthetic models are written
 * with. All methods are thread-safe.
 */
public final class Quantizer {

    private static final int CHUNK_BYTES = 1 << 16;

    private Quantizer() {
    }

    /** True when {@code type} can be produced by this class. */
    public static boolean supports(GgmlType type) {
        return Codecs.has(type);
    }

    /**
     * Quantizes {@code src[srcOffset .. srcOffset + count)} into {@code type.bytesFor(count)} bytes
     * written to {@code dst} at {@code dstByteOffset}.
     *
     * @param count a multiple of {@code type.blockSize()}
     * @throws UnsupportedTensorTypeException for types without a quantizer here
     * @throws IllegalArgumentException       when count is not whole blocks or {@code dst} is too small
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int count, MemorySegment dst,
            long dstByteOffset) {
        Objects.requireNonNull(dst, "dst");
        BlockCodec codec = checked(type, src, srcOffset, count);
        long byteCount = type.bytesFor(count);
        if (dstByteOffset < 0 || dstByteOffset + byteCount > dst.byteSize()) {
            throw new IllegalArgumentException(count + " " + type + " values need " + byteCount + " bytes at offset "
                    + dstByteOffset + " but the destination holds " + dst.byteSize() + " bytes");
        }
        int qk = type.blockSize();
        int blocks = count / qk;
        int blocksPerChunk = Math.max(1, CHUNK_BYTES / type.blockBytes());
        byte[] buffer = new byte[(int) Math.min(byteCount, (long) blocksPerChunk * type.blockBytes())];
        int done = 0;
        while (done < blocks) {
            int n = Math.min(blocksPerChunk, blocks - done);
            codec.encode(src, srcOffset + done * qk, n, buffer, 0);
            MemorySegment.copy(buffer, 0, dst, ValueLayout.JAVA_BYTE, dstByteOffset + (long) done * type.blockBytes(),
                    n * type.blockBytes());
            done += n;
        }
    }

    /** Quantizes {@code count} values into a new array of {@code type.bytesFor(count)} bytes. */
    public static byte[] quantize(GgmlType type, float[] src, int srcOffset, int count) {
        BlockCodec codec = checked(type, src, srcOffset, count);
        long byteCount = type.bytesFor(count);
        if (byteCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(count + " " + type + " values do not fit one byte array");
        }
        byte[] out = new byte[(int) byteCount];
        codec.encode(src, srcOffset, count / type.blockSize(), out, 0);
        return out;
    }

    /** Quantizes all of {@code src}. */
    public static byte[] quantize(GgmlType type, float[] src) {
        return quantize(type, src, 0, src.length);
    }

    private static BlockCodec checked(GgmlType type, float[] src, int srcOffset, int count) {
        Objects.requireNonNull(type, "type");
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        BlockCodec codec = Codecs.of(type, "quantization");
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " values is not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        return codec;
    }
}
