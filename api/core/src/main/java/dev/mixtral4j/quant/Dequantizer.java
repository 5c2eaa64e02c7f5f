package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Scalar reference dequantization of GGML tensor data to float, bit-for-bit as GGML's own
 * {@code dequantize_row_*} / {@code to_float} functions compute it.
 *
 * <p>Sources are little-endian byte ranges in any {@link MemorySegment} (typically a slice of a
 * mapped GGUF file; no alignment is assumed). Elements are addressed by index; the first element
 * must start a block. Work proceeds in chunks of whole blocks copied to a small heap buffer, so
 * there is no per-element allocation. All methods are thread-safe.
 */
public final class Dequantizer {

    /** Bytes copied out of the source per step: big enough to amortise the copy, small enough for L1/L2. */
    private static final int CHUNK_BYTES = 1 << 16;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequantizer() {
    }

    /** True when {@code type} can be dequantized by this class. */
    public static boolean supports(GgmlType type) {
        return Decoders.canDecode(type);
    }

    /**
     * Decodes {@code count} elements of a tensor of {@code type} whose element 0 is at byte 0 of
     * {@code src}, starting at element {@code firstElement}, into {@code dst[dstOffset ..]}.
     *
     * @param firstElement a multiple of {@code type.blockSize()}
     * @param count        any non-negative number; a partial last block is decoded in full and cut
     * @throws UnsupportedTensorTypeException for types without an implementation (IQ* other than IQ4_NL/IQ4_XS, TQ*, MXFP4, integers)
     * @throws IllegalArgumentException       when the range is not block-aligned or lies outside {@code src}
     */
    public static void dequantize(GgmlType type, MemorySegment src, long firstElement, float[] dst, int dstOffset,
            int count) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(src, "src");
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        BlockDecoder codec = Decoders.of(type);
        int qk = type.blockSize();
        if (firstElement < 0 || firstElement % qk != 0) {
            throw new IllegalArgumentException("first element " + firstElement + " does not start a " + type
                    + " block of " + qk + " values");
        }
        long blocks = (count + (long) qk - 1) / qk;
        long byteOffset = firstElement / qk * type.blockBytes();
        long byteCount = blocks * type.blockBytes();
        if (byteOffset + byteCount > src.byteSize()) {
            throw new IllegalArgumentException(type + " elements [" + firstElement + ", " + (firstElement + count)
                    + ") need bytes [" + byteOffset + ", " + (byteOffset + byteCount) + ") but the source holds "
                    + src.byteSize() + " bytes");
        }
        if (type == GgmlType.F32) {
            MemorySegment.copy(src, F32_LE, byteOffset, dst, dstOffset, count);
            return;
        }
        int fullBlocks = count / qk;
        int blocksPerChunk = Math.max(1, CHUNK_BYTES / type.blockBytes());
        byte[] buffer = new byte[(int) Math.min(byteCount, (long) blocksPerChunk * type.blockBytes())];
        int done = 0;
        while (done < fullBlocks) {
            int n = Math.min(blocksPerChunk, fullBlocks - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, byteOffset + (long) done * type.blockBytes(), buffer, 0,
                    n * type.blockBytes());
            codec.decode(buffer, 0, n, dst, dstOffset + done * qk);
            done += n;
        }
        int tail = count - fullBlocks * qk;
        if (tail > 0) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, byteOffset + (long) fullBlocks * type.blockBytes(), buffer,
                    0, type.blockBytes());
            float[] last = new float[qk];
            codec.decode(buffer, 0, 1, last, 0);
            System.arraycopy(last, 0, dst, dstOffset + fullBlocks * qk, tail);
        }
    }

    /** Decodes the first {@code count} elements of {@code src} into a new array. */
    public static float[] dequantize(GgmlType type, MemorySegment src, int count) {
        float[] out = new float[count];
        dequantize(type, src, 0, out, 0, count);
        return out;
    }

    /** Decodes whole blocks held in a byte array (e.g. the output of the tools artifact's quantizer). */
    public static float[] dequantize(GgmlType type, byte[] src, int count) {
        return dequantize(type, MemorySegment.ofArray(src), count);
    }

    /** Row {@code row} of a weight matrix as floats. */
    public static float[] dequantizeRow(WeightMatrix matrix, int row) {
        float[] out = new float[matrix.columns()];
        dequantizeRow(matrix, row, out, 0);
        return out;
    }

    /** Row {@code row} of a weight matrix decoded into {@code dst[dstOffset ..]}. */
    public static void dequantizeRow(WeightMatrix matrix, int row, float[] dst, int dstOffset) {
        Objects.checkIndex(row, matrix.rows());
        try {
            dequantize(matrix.type(), matrix.row(row), 0, dst, dstOffset, matrix.columns());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(matrix.name() + " row " + row + ": " + e.getMessage(), e);
        }
    }
}
