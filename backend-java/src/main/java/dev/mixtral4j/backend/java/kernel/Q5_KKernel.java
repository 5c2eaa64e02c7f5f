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

/** Super-blocks of 256: F16 d and dmin, 12 bytes of 6-bit scale/min pairs, 32 bytes of high bits, 128 bytes of low nibbles; value = d * scale * q - dmin * min, in sub-blocks of 32. */
public final class Q5_KKernel extends ChunkedKernel {

    public Q5_KKernel() {
        super(256, 176);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    FloatVector chunk(MemorySegment src, long block, int c) {
        int e0 = c * L;
        int j = e0 >> 6;
        int r = e0 & 63;
        int l0 = r & 31;
        int is = 2 * j + (r >> 5);
        ByteVector q = ByteVector.fromMemorySegment(B, src, block + 48 + 32 * j + l0, LE);
        ByteVector nib = r < 32 ? q.and((byte) 0xF) : q.lanewise(VectorOperators.LSHR, 4);
        ByteVector hb = ByteVector.fromMemorySegment(B, src, block + 16 + l0, LE)
                .lanewise(VectorOperators.LSHR, is).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
        long scales = block + 4;
        float d = half(src, block) * KScales.scale(src, scales, is);
        float m = half(src, block + 2) * KScales.min(src, scales, is);
        return toFloats(nib.or(hb)).fma(d, -m);
    }
}
