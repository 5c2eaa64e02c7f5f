package dev.mixtral4j.backend.cuda.internal;

/** The model or session does not fit in the device's free memory. */
public final class DeviceMemoryException extends RuntimeException {
    private final long requiredBytes;
    private final long freeBytes;

    public DeviceMemoryException(String message, long requiredBytes, long freeBytes) {
        super(message);
        this.requiredBytes = requiredBytes;
        this.freeBytes = freeBytes;
    }

    public long requiredBytes() {
        return requiredBytes;
    }

    public long freeBytes() {
        return freeBytes;
    }
}
