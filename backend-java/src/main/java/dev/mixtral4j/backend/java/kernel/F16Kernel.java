package dev.mixtral4j.backend.java.kernel;

import static dev.mixtral4j.backend.java.kernel.VectorSupport.F;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.HALF;
import static dev.mixtral4j.backend.java.kernel.VectorSupport.L;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** IEEE binary16 values, widened lane-wise (see {@link VectorSupport#halvesToFloats}). */
public final class F16Kernel extends TensorKernel {

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            VectorSupport.halvesToFloats(src, offset + 2L * i).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(HALF, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment src, long offset, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            acc0 = VectorSupport.halvesToFloats(src, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = VectorSupport.halvesToFloats(src, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = VectorSupport.halvesToFloats(src, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(src.get(HALF, offset + 2L * i)) * x[xOff + i];
        }
        return sum;
    }
}
