package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight as the forward pass sees it, whatever the file layout: {@code rows} rows of
 * {@code columns} values, each row stored contiguously as {@code type.bytesFor(columns)} bytes.
 * For a projection {@code y = W x}, columns is the input width and rows the output width.
 * A norm weight or bias is a matrix of one row.
 *
 * @param name    tensor name in the file (for an expert of a merged tensor, with {@code [e]} appended)
 * @param type    storage type
 * @param columns values per row (input width)
 * @param rows    number of rows (output width)
 * @param data    read-only slice of the mapped file holding exactly these rows
 */
public record WeightMatrix(String name, GgmlType type, int columns, int rows, MemorySegment data) {

    public WeightMatrix {
        if (data.byteSize() != type.bytesFor((long) columns) * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + " rows of "
                    + columns + " " + type + " values");
        }
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(columns);
    }

    /** The bytes of row {@code r}. */
    public MemorySegment row(int r) {
        return data.asSlice(r * rowBytes(), rowBytes());
    }

    public long elementCount() {
        return (long) columns * rows;
    }
}
