package dev.mixtral4j.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The size of a session's KV cache, computed in {@code long} (a context near 2^31 tokens times the
 * layers overflows an int many times over), and the check every backend makes before allocating
 * one: a cache larger than the memory available is refused with both figures, instead of an
 * {@link OutOfMemoryError}, a negative array size or a minute of native allocation ending in
 * {@code bad_alloc}.
 */
public final class KvCacheSize {
    private KvCacheSize() {
    }

    /**
     * Bytes of keys and values for every layer and position; {@link Long#MAX_VALUE} when that
     * does not fit in a long.
     */
    public static long bytes(ModelConfig c, long contextLength, long bytesPerElement) {
        return bytes(c.blockCount(), c.kvDim(), contextLength, bytesPerElement);
    }

    /** The same from the figures: layers, key/value width per position, positions, bytes per value. */
    public static long bytes(long layers, long kvDim, long contextLength, long bytesPerElement) {
        try {
            long perPosition = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(2L, layers), kvDim), bytesPerElement);
            return Math.multiplyExact(perPosition, contextLength);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Memory a new allocation can get without swapping: {@code MemAvailable} of
     * {@code /proc/meminfo} on Linux, or {@link Long#MAX_VALUE} where it is not known (then only
     * the allocation itself can fail).
     */
    public static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] f = line.substring("MemAvailable:".length()).strip().split("\\s+");
                    return Long.parseLong(f[0]) * (f.length > 1 && f[1].equalsIgnoreCase("kB") ? 1024 : 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: unknown
        }
        return Long.MAX_VALUE;
    }

    /**
     * Throws {@link IllegalArgumentException} when a cache of {@code contextLength} positions needs
     * more than {@code available} bytes, naming both.
     */
    public static void check(ModelConfig c, long contextLength, long bytesPerElement, long available) {
        check(c.blockCount(), c.kvDim(), contextLength, bytesPerElement, available);
    }

    /** The same from the figures. */
    public static void check(long layers, long kvDim, long contextLength, long bytesPerElement, long available) {
        long need = bytes(layers, kvDim, contextLength, bytesPerElement);
        if (need > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "a KV cache of %d tokens (%d layers, %d key/value values of %d bytes per token, keys and values) "
                            + "needs %s, more than the %s of memory available; use a shorter context length",
                    contextLength, layers, kvDim, bytesPerElement, describe(need), describe(available)));
        }
    }

    /** Checks against {@link #availableMemory()}. */
    public static void check(ModelConfig c, long contextLength, long bytesPerElement) {
        check(c, contextLength, bytesPerElement, availableMemory());
    }

    static String describe(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 2^63 bytes";
        }
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], bytes);
    }
}
