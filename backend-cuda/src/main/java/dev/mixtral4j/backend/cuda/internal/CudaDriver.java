package dev.mixtral4j.backend.cuda.internal;

import static dev.mixtral4j.backend.cuda.internal.ffi.cuda_h.*;

import dev.mixtral4j.backend.cuda.internal.ffi.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The CUDA driver calls the backend makes, each checked: a failing call throws
 * {@link CudaException} naming the call and the driver's error name and description. Callers
 * must have loaded the library first ({@link CudaLibrary#load()}).
 */
public final class CudaDriver {
    private CudaDriver() {
    }

    public static void check(int result, String call) {
        if (result != CUDA_SUCCESS()) {
            throw new CudaException(call + " failed: " + errorName(result) + " (" + errorString(result) + ")", result);
        }
    }

    public static String errorName(int result) {
        return errorText(result, true);
    }

    public static String errorString(int result) {
        return errorText(result, false);
    }

    private static String errorText(int result, boolean name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            int r = name ? cuGetErrorName(result, p) : cuGetErrorString(result, p);
            MemorySegment s = p.get(ValueLayout.ADDRESS, 0);
            if (r != CUDA_SUCCESS() || s.equals(MemorySegment.NULL)) {
                return "CUresult " + result;
            }
            return s.reinterpret(4096).getString(0, StandardCharsets.UTF_8);
        }
    }

    public static void init() {
        check(cuInit(0), "cuInit");
    }

    public static int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            check(cuDriverGetVersion(v), "cuDriverGetVersion");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public static int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            check(cuDeviceGetCount(n), "cuDeviceGetCount");
            return n.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public static int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(ValueLayout.JAVA_INT);
            check(cuDeviceGet(d, ordinal), "cuDeviceGet(" + ordinal + ")");
            return d.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public static String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check(cuDeviceGetName(buf, 256, device), "cuDeviceGetName");
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    public static long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(ValueLayout.JAVA_LONG);
            check(cuDeviceTotalMem_v2(b, device), "cuDeviceTotalMem");
            return b.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    public static int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Retains the device's primary context (released with {@link #releasePrimaryContext}). */
    public static MemorySegment retainPrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(cuDevicePrimaryCtxRetain(p, device), "cuDevicePrimaryCtxRetain");
            return p.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void releasePrimaryContext(int device) {
        check(cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease");
    }

    public static void setCurrent(MemorySegment context) {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** {free, total} bytes of the current context's device. */
    public static long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment t = a.allocate(ValueLayout.JAVA_LONG);
            check(cuMemGetInfo_v2(f, t), "cuMemGetInfo");
            return new long[] {f.get(ValueLayout.JAVA_LONG, 0), t.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    public static long malloc(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            check(cuMemAlloc_v2(p, Math.max(bytes, 1)), "cuMemAlloc(" + bytes + " bytes for " + what + ")");
            return p.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    public static void free(long pointer) {
        check(cuMemFree_v2(pointer), "cuMemFree");
    }

    public static void copyToDevice(long dst, MemorySegment src, long bytes) {
        check(cuMemcpyHtoD_v2(dst, src, bytes), "cuMemcpyHtoD");
    }

    public static void copyToDeviceAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        check(cuMemcpyHtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyHtoDAsync");
    }

    public static void copyToHostAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        check(cuMemcpyDtoHAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
    }

    public static void copyToHost(MemorySegment dst, long src, long bytes) {
        check(cuMemcpyDtoH_v2(dst, src, bytes), "cuMemcpyDtoH");
    }

    public static void memsetZero(long dst, long bytes) {
        check(cuMemsetD8_v2(dst, (byte) 0, bytes), "cuMemsetD8");
    }

    public static MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(cuStreamCreate(p, CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            return p.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void synchronize(MemorySegment stream) {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    public static void destroyStream(MemorySegment stream) {
        check(cuStreamDestroy_v2(stream), "cuStreamDestroy");
    }

    public static MemorySegment createEvent() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(cuEventCreate(p, CU_EVENT_DEFAULT()), "cuEventCreate");
            return p.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void recordEvent(MemorySegment event, MemorySegment stream) {
        check(cuEventRecord(event, stream), "cuEventRecord");
    }

    public static float elapsedMillis(MemorySegment start, MemorySegment end) {
        check(cuEventSynchronize(end), "cuEventSynchronize");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(ValueLayout.JAVA_FLOAT);
            check(cuEventElapsedTime_v2(ms, start, end), "cuEventElapsedTime");
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    public static void destroyEvent(MemorySegment event) {
        check(cuEventDestroy_v2(event), "cuEventDestroy");
    }

    /** Loads a PTX module (JIT-compiled by the driver for the current device). */
    public static MemorySegment loadModule(String ptx, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocateFrom(ptx, StandardCharsets.US_ASCII);  // NUL-terminated
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(cuModuleLoadData(p, image), "cuModuleLoadData(" + name + ")");
            return p.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void unloadModule(MemorySegment module) {
        check(cuModuleUnload(module), "cuModuleUnload");
    }

    public static MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            check(cuModuleGetFunction(p, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return p.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void setMaxDynamicSharedMemory(MemorySegment function, int bytes, String name) {
        check(cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES(), bytes),
                "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + ")");
    }

    public static void launch(MemorySegment function, String name, LaunchConfig c, MemorySegment stream, MemorySegment params) {
        check(cuLaunchKernel(function, c.gridX(), c.gridY(), c.gridZ(), c.blockX(), c.blockY(), c.blockZ(),
                c.sharedBytes(), stream, params, MemorySegment.NULL), "cuLaunchKernel(" + name + " " + c + ")");
    }

    /** Attribute ids, re-exported so callers need not import the generated class. */
    public static int attrComputeMajor() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR();
    }

    public static int attrComputeMinor() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR();
    }

    public static int attrMultiprocessors() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT();
    }

    public static int attrMaxSharedOptin() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN();
    }

    public static int attrBusWidth() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH();
    }

    public static int attrMemoryClockKhz() {
        return cuda_h.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE();
    }
}
