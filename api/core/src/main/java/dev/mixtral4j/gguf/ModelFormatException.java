package dev.mixtral4j.gguf;

/**
 * A model file is malformed, hostile, or asks for something this library cannot represent.
 * The message names the file, and where it applies the tensor, key and byte offset at fault.
 */
public class ModelFormatException extends RuntimeException {
    private final long offset;

    public ModelFormatException(String message) {
        this(message, -1, null);
    }

    public ModelFormatException(String message, long offset) {
        this(message, offset, null);
    }

    public ModelFormatException(String message, long offset, Throwable cause) {
        super(offset >= 0 ? message + " (at byte offset " + offset + ")" : message, cause);
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found, or -1 when it is not about one place. */
    public long offset() {
        return offset;
    }
}
