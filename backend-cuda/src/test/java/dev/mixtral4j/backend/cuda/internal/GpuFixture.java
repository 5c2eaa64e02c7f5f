package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.backend.cuda.CudaBackendProvider;
import dev.mixtral4j.spi.Availability;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Device 0 for kernel-level tests: allocations freed on close, launches on the legacy default
 * stream (so the synchronous copies back wait for them). Skips the calling test, with the
 * reason, where no usable GPU is present.
 */
final class GpuFixture implements AutoCloseable {
    final DeviceContext dev;
    private final List<Long> allocations = new ArrayList<>();

    private GpuFixture(DeviceContext dev) {
        this.dev = dev;
    }

    static GpuFixture openOrSkip() {
        Availability a = new CudaBackendProvider().availability();
        assumeTrue(a.available(), "needs a CUDA GPU: " + a.reason());
        DeviceContext d = DeviceContext.open(0, PtxBundle.packaged().orElseThrow());
        d.makeCurrent();
        return new GpuFixture(d);
    }

    long alloc(long bytes) {
        long p = CudaDriver.malloc(bytes, "test buffer");
        allocations.add(p);
        CudaDriver.memsetZero(p, bytes);
        return p;
    }

    long upload(byte[] data) {
        long p = alloc(data.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, 0, data.length);
            CudaDriver.copyToDevice(p, s, data.length);
        }
        return p;
    }

    long upload(float[] data) {
        long p = alloc((long) data.length * 4);
        try (Arena a = Arena.ofConfined()) {
            CudaDriver.copyToDevice(p, a.allocateFrom(ValueLayout.JAVA_FLOAT, data), (long) data.length * 4);
        }
        return p;
    }

    long upload(int[] data) {
        long p = alloc((long) data.length * 4);
        try (Arena a = Arena.ofConfined()) {
            CudaDriver.copyToDevice(p, a.allocateFrom(ValueLayout.JAVA_INT, data), (long) data.length * 4);
        }
        return p;
    }

    float[] floats(long ptr, int n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ValueLayout.JAVA_FLOAT, n);
            CudaDriver.copyToHost(s, ptr, (long) n * 4);
            return s.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    int[] ints(long ptr, int n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ValueLayout.JAVA_INT, n);
            CudaDriver.copyToHost(s, ptr, (long) n * 4);
            return s.toArray(ValueLayout.JAVA_INT);
        }
    }

    void launch(String kernel, LaunchConfig c, Function<Arena, KernelArgs> args) {
        dev.launch(kernel, c, MemorySegment.NULL, args);
    }

    @Override
    public void close() {
        for (long p : allocations) {
            CudaDriver.free(p);
        }
        dev.close();
    }
}
