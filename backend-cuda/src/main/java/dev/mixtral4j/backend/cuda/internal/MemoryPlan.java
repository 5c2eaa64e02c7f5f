package dev.mixtral4j.backend.cuda.internal;

import java.util.Locale;

/**
 * Device memory one loaded model with one session needs.
 *
 * @param weightBytes  the weights as uploaded (norms widened to F32), each tensor 256-byte aligned
 * @param kvCacheBytes keys and values of every layer for {@code contextLength} tokens
 * @param scratchBytes activations for a batch ({@link ScratchLayout})
 * @param contextLength tokens the KV cache holds
 */
public record MemoryPlan(long weightBytes, long kvCacheBytes, long scratchBytes, int contextLength) {

    public long totalBytes() {
        return weightBytes + kvCacheBytes + scratchBytes;
    }

    /** Per-session part: KV cache plus scratch. */
    public long sessionBytes() {
        return kvCacheBytes + scratchBytes;
    }

    /**
     * Throws {@link DeviceMemoryException} when {@code totalBytes() + reserveBytes} exceeds
     * {@code freeBytes}, naming what is required and what is free.
     */
    public void checkFits(long freeBytes, long reserveBytes, String device) {
        long need = totalBytes() + reserveBytes;
        if (need > freeBytes) {
            throw new DeviceMemoryException(String.format(Locale.ROOT,
                    "model does not fit on %s: it needs %s (weights %s + KV cache %s for %d tokens + scratch %s"
                            + " + reserve %s) but only %s are free; try a smaller context length or a smaller"
                            + " quantisation", device, gib(need), gib(weightBytes), gib(kvCacheBytes), contextLength,
                    gib(scratchBytes), gib(reserveBytes), gib(freeBytes)), need, freeBytes);
        }
    }

    /** Checks a new session (KV cache + scratch) against free memory. */
    public void checkSessionFits(long freeBytes, long reserveBytes, String device) {
        long need = sessionBytes() + reserveBytes;
        if (need > freeBytes) {
            throw new DeviceMemoryException(String.format(Locale.ROOT,
                    "session does not fit on %s: it needs %s (KV cache %s for %d tokens + scratch %s + reserve %s)"
                            + " but only %s are free; close other sessions or ask for a shorter context",
                    device, gib(need), gib(kvCacheBytes), contextLength, gib(scratchBytes), gib(reserveBytes),
                    gib(freeBytes)), need, freeBytes);
        }
    }

    static String gib(long bytes) {
        if (bytes < (1L << 30)) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
