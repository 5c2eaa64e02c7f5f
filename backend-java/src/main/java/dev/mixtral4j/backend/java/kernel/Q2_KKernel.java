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

/** Super-blocks of 256: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit values, F16 d and dmin; value = d * scale * q - dmin * min, in sub-blocks of 16. */
public final class Q2_KKernel extends ChunkedKernel {

    public Q2_KKernel() {
        super(256, 84);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int j = (e0 & 127) >> 5;
        int l0 = e0 & 31;
        int sc = src.get(ValueLayout.JAVA_BYTE, block + 8 * n + 2 * j + (l0 >> 4)) & 0xFF;
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 16 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * j).and((byte) 3);
        float d = half(src, block + 80) * (sc & 0xF);
        float m = half(src, block + 82) * (sc >> 4);
        return toFloats(q).fma(d, -m);
    }
}
