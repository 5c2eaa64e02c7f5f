package dev.mixtral4j.spi;

/**
 * A compute device a backend can use.
 *
 * @param index       backend-specific device index
 * @param name        e.g. "NVIDIA H100 80GB HBM3" or "CPU (AVX2, 8 threads)"
 * @param memoryBytes total device memory, or -1 when not meaningful
 * @param freeBytes   free device memory at query time, or -1
 */
public record DeviceInfo(int index, String name, long memoryBytes, long freeBytes) {
}
