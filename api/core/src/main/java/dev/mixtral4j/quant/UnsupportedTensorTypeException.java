package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;

/** Thrown when asked to convert a tensor type this package has no implementation for. */
public final class UnsupportedTensorTypeException extends UnsupportedOperationException {

    private static final long serialVersionUID = 1L;

    private final transient GgmlType type;

    public UnsupportedTensorTypeException(GgmlType type, String operation) {
        super(operation + " of GGML type " + type + " (id " + type.id() + ") is not implemented by dev.mixtral4j.quant");
        this.type = type;
    }

    /** The type that was asked for. */
    public GgmlType type() {
        return type;
    }
}
