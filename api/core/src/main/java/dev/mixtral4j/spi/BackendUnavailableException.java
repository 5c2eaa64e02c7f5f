package dev.mixtral4j.spi;

/** A backend was asked for that cannot run here; the message carries the reason. */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
