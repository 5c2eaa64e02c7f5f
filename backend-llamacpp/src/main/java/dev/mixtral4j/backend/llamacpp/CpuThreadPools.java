package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.ggml_threadpool_params;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * ggml CPU thread pools, one per context, as llama-bench and llama-cli attach them. Without one,
 * a ggml CPU build without OpenMP (the packaged one) starts and stops its worker threads on every
 * graph computation, which on a small model costs more than the computation itself.
 * {@code ggml_threadpool_new/free} live in the CPU backend plugin chosen at run time, so they are
 * found with {@code ggml_backend_reg_get_proc_address} rather than generated.
 */
final class CpuThreadPools {
    private final MethodHandle create;
    private final MethodHandle free;

    private CpuThreadPools(MethodHandle create, MethodHandle free) {
        this.create = create;
        this.free = free;
    }

    /** The CPU plugin's pool functions, or null when the loaded build does not offer them. */
    static CpuThreadPools find() {
        MemorySegment dev = Llama.ggml_backend_dev_by_type(Llama.GGML_BACKEND_DEVICE_TYPE_CPU());
        if (dev.equals(MemorySegment.NULL)) {
            return null;
        }
        MemorySegment reg = Llama.ggml_backend_dev_backend_reg(dev);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment newFn = Llama.ggml_backend_reg_get_proc_address(reg, arena.allocateFrom("ggml_threadpool_new"));
            MemorySegment freeFn = Llama.ggml_backend_reg_get_proc_address(reg, arena.allocateFrom("ggml_threadpool_free"));
            if (newFn.equals(MemorySegment.NULL) || freeFn.equals(MemorySegment.NULL)) {
                return null;
            }
            Linker linker = Linker.nativeLinker();
            return new CpuThreadPools(
                    linker.downcallHandle(newFn, FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                    linker.downcallHandle(freeFn, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)));
        }
    }

    /** A new pool of {@code threads} workers with ggml's default settings, or NULL if ggml refused. */
    MemorySegment create(int threads) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = ggml_threadpool_params.allocate(arena);
            Llama.ggml_threadpool_params_init(params, threads);
            return (MemorySegment) create.invokeExact(params);
        } catch (Throwable t) {
            throw new IllegalStateException("ggml_threadpool_new failed", t);
        }
    }

    void free(MemorySegment pool) {
        try {
            free.invokeExact(pool);
        } catch (Throwable t) {
            throw new IllegalStateException("ggml_threadpool_free failed", t);
        }
    }
}
