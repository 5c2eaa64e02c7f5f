package dev.mixtral4j.samples.cli;

/** Thrown by a command for an option combination it cannot accept: exit code 2, not 1. */
public class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
