package dev.mixtral4j.backend.java;

import dev.mixtral4j.backend.java.kernel.Kernels;
import dev.mixtral4j.backend.java.kernel.TensorKernel;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.WeightMatrix;
import java.nio.file.Path;

/** A weight in the mapped file together with the kernel of its tensor type. */
record Weight(WeightMatrix matrix, TensorKernel kernel) {

    static Weight of(Path file, WeightMatrix m) {
        return new Weight(m, check(file, m));
    }

    /** The kernel for {@code m}, or a ModelFormatException naming the tensor when there is none. */
    static TensorKernel check(Path file, WeightMatrix m) {
        TensorKernel k = Kernels.find(m.type()).orElseThrow(() -> new ModelFormatException(
                file + ": tensor '" + m.name() + "' has type " + m.type()
                        + ", which the java backend does not compute with (supported: " + Kernels.supportedTypes() + ")"));
        if (m.columns() % m.type().blockSize() != 0) {
            throw new ModelFormatException(file + ": tensor '" + m.name() + "' rows of " + m.columns()
                    + " values are not whole " + m.type() + " blocks");
        }
        return k;
    }

    int rows() {
        return matrix.rows();
    }

    int columns() {
        return matrix.columns();
    }

    /** Row {@code r} expanded into {@code dst}. */
    void row(int r, float[] dst, int dstOff) {
        kernel.dequantize(matrix.data(), r * matrix.rowBytes(), dst, dstOff, matrix.columns());
    }

    /** Row {@code r} with two inputs, the row expanded once where the kernel can (see {@link TensorKernel#dot2}). */
    void dot2(int r, float[] x, int xOff0, int xOff1, float[] out, int out0, int out1) {
        kernel.dot2(matrix.data(), r * matrix.rowBytes(), x, xOff0, xOff1, matrix.columns(), out, out0, out1);
    }

    float dot(int r, float[] x, int xOff) {
        return kernel.dot(matrix.data(), r * matrix.rowBytes(), x, xOff, matrix.columns());
    }
}
