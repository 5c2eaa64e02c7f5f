package dev.mixtral4j.backend.cuda.internal;

/** A CUDA driver call failed; the message names the call and the driver's error name and text. */
public final class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The {@code CUresult} value. */
    public int code() {
        return code;
    }
}
