package dev.mixtral4j.gguf;

import java.util.Arrays;

/**
 * One tensor as the GGUF header describes it.
 *
 * @param name       tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param type       storage type
 * @param shape      dimensions innermost first (GGML's {@code ne}): a matrix {@code [in, out]}
 *                   stores each of its {@code out} rows as {@code in} contiguous values
 * @param dataOffset offset of the data relative to the start of the file's data section
 * @param byteSize   bytes the data occupies
 */
public record TensorInfo(String name, GgmlType type, long[] shape, long dataOffset, long byteSize) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i} (innermost first), 1 beyond the rank. */
    public long dim(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(shape, t.shape) && dataOffset == t.dataOffset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
