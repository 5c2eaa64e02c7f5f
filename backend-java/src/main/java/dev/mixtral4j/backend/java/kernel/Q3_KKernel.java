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

/** Super-blocks of 256: 32 bytes of high bits, 64 bytes of 2-bit values, 12 bytes of 6-bit signed scales, F16 d; value = d * (scale - 32) * (q - 4 if the high bit is clear), in sub-blocks of 16. */
public final class Q3_KKernel extends ChunkedKernel {

    public Q3_KKernel() {
        super(256, 110);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int n = e0 >> 7;
        int j = (e0 & 127) >> 5;
        int l0 = e0 & 31;
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 32 + 32 * n + l0, LE)
                .lanewise(VectorOperators.LSHR, 2 * j).and((byte) 3);
        ByteVector hm = ByteVector.fromMemorySegment(B, src, block + l0, LE)
                .lanewise(VectorOperators.LSHR, 4 * n + j).and((byte) 1).lanewise(VectorOperators.LSHL, 2);
        ByteVector v = q.add(hm).sub((byte) 4);
        float d = half(src, block + 108) * scale(src, block + 96, 8 * n + 2 * j + (l0 >> 4));
        return toFloats(v).mul(d);
    }

    /** The is-th 6-bit scale minus 32: low 4 bits from bytes 0-7, high 2 bits from bytes 8-11. */
    static int scale(MemorySegment src, long scales, int is) {
        int low = src.get(ValueLayout.JAVA_BYTE, scales + (is & 7)) & 0xFF;
        low = is < 8 ? low & 0xF : low >> 4;
        int high = (src.get(ValueLayout.JAVA_BYTE, scales + 8 + (is & 3)) & 0xFF) >> (2 * (is >> 2)) & 3;
        return (low | high << 4) - 32;
    }
}
