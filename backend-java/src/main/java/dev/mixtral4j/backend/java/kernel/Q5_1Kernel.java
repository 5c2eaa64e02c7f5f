package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.B;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.LE;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.half;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.toFloats;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Blocks of 32: F16 scale d, F16 minimum m, 32 high bits, 16 bytes of low nibbles; value = d * q + m. */
public final class Q5_1Kernel extends ChunkedKernel {

    public Q5_1Kernel() {
        super(32, 24);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 8 + (e0 & 15), LE);
        ByteVector nib = e0 < 16 ? q.and((byte) 0xF) : q.lanewise(VectorOperators.LSHR, 4);
        int qh = src.get(ValueLayout.JAVA_INT_UNALIGNED, block + 4);
        FloatVector high = HighBits.of(qh, e0);
        return high.mul(16f).add(toFloats(nib)).fma(half(src, block), half(src, block + 2));
    }
}
