package dev.mixtral4j.spi;

/**
 * Whether a backend can run on this machine, and if not, why, in words a user can act on
 * (e.g. "no CUDA driver: libcuda.so.1 not found").
 */
public record Availability(boolean available, String reason) {

    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }

    @Override
    public String toString() {
        return (available ? "available" : "unavailable") + (reason == null || reason.isEmpty() ? "" : ": " + reason);
    }
}
