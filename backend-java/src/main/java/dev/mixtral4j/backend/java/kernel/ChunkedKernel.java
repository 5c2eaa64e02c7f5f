package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A block-quantized type whose kernels are built from one primitive: decoding the {@code c}-th
 * run of {@link VectorSupport#L} consecutive values of a block straight into float lanes, scale
 * applied. Block sizes (32 or 256) are multiples of L, so a row is a whole number of runs.
 */
abstract class ChunkedKernel extends TensorKernel {
    private final int blockSize;
    private final int blockBytes;
    private final int chunks;

    ChunkedKernel(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.chunks = blockSize / L;
    }

    /** True where the type has a hand-scheduled path for 16-lane (AVX-512) vectors. */
    static final boolean WIDE = L == 16;

    /** Values {@code c*L .. c*L+L-1} of the block stored at {@code block}, dequantized. */
    abstract FloatVector chunk(MemorySegment src, long block, int c);

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        chunkedDequantize(src, offset, dst, dstOff, n);
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        return chunkedDot(src, offset, x, xOff, n);
    }

    /** The generic path, built on {@link #chunk}: any vector width. */
    final void chunkedDequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        checkBlocks(n);
        int blocks = n / blockSize;
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            int base = dstOff + b * blockSize;
            for (int c = 0; c < chunks; c++) {
                chunk(src, block, c).intoArray(dst, base + c * L);
            }
        }
    }

    /** The generic path, built on {@link #chunk}: any vector width. */
    final float chunkedDot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        checkBlocks(n);
        int blocks = n / blockSize;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            int base = xOff + b * blockSize;
            for (int c = 0; c < chunks; c += 2) {
                acc0 = chunk(src, block, c).fma(FloatVector.fromArray(F, x, base + c * L), acc0);
                acc1 = chunk(src, block, c + 1).fma(FloatVector.fromArray(F, x, base + (c + 1) * L), acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
