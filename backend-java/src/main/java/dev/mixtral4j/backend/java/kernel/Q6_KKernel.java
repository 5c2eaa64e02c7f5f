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

/** Super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 signed 8-bit scales, F16 d; value = d * scale * (q - 32), in sub-blocks of 16. */
public final class Q6_KKernel extends ChunkedKernel {

    public Q6_KKernel() {
        super(256, 210);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int r = e0 & 127;
        int k = r >> 5;
        int l0 = r & 31;
        ByteVector ql = ByteVector.fromMemorySegment(B, src, block + 64 * n + 32 * (k & 1) + l0, LE);
        ByteVector nib = k < 2 ? ql.and((byte) 0xF) : ql.lanewise(VectorOperators.LSHR, 4);
        ByteVector qh = ByteVector.fromMemorySegment(B, src, block + 128 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        int sc = src.get(ValueLayout.JAVA_BYTE, block + 192 + 8 * n + (l0 >> 4) + 2 * k);
        return toFloats(nib.or(qh).sub((byte) 32)).mul(half(src, block + 208) * sc);
    }
}
