package dev.mixtral4j.spi;

import java.util.Arrays;

/**
 * Logits for one or more positions: {@code rows} rows of {@code vocabSize} values, flattened
 * row-major in {@code data}.
 */
public record Logits(int rows, int vocabSize, float[] data) {

    public Logits {
        if (rows <= 0 || vocabSize <= 0 || (long) rows * vocabSize != data.length) {
            throw new IllegalArgumentException(rows + " x " + vocabSize + " logits but " + data.length + " values");
        }
    }

    /** A copy of row {@code r}. */
    public float[] row(int r) {
        return Arrays.copyOfRange(data, r * vocabSize, (r + 1) * vocabSize);
    }

    /** A copy of the last row. */
    public float[] last() {
        return row(rows - 1);
    }

    /** Index of the largest value in row {@code r} (the lowest index on ties). */
    public int argmax(int r) {
        int base = r * vocabSize;
        int best = 0;
        for (int i = 1; i < vocabSize; i++) {
            if (data[base + i] > data[base + best]) {
                best = i;
            }
        }
        return best;
    }
}
