package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;

/**
 * A weight matrix (or a stack of expert matrices of one shape) in device memory.
 *
 * @param pointer     device address of expert 0, row 0
 * @param rows        output width
 * @param columns     input width
 * @param rowBytes    bytes of one stored row
 * @param expertBytes bytes of one expert's matrix (rows * rowBytes)
 * @param experts     matrices stacked back to back (1 for an ordinary weight)
 */
public record DeviceMatrix(String name, GgmlType type, long pointer, int rows, int columns, long rowBytes,
                           long expertBytes, int experts) {
}
