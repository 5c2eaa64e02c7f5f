package dev.mixtral4j.backend.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code void** kernelParams} array of {@code cuLaunchKernel}: each argument is written to
 * its own slot and the array holds the slots' addresses, in the kernel's parameter order. The
 * typed adders keep a Java {@code int} from silently standing in for a {@code long long}.
 */
public final class KernelArgs {
    private final List<MemorySegment> slots = new ArrayList<>();
    private final List<String> kinds = new ArrayList<>();
    private final Arena arena;

    public KernelArgs(Arena arena) {
        this.arena = arena;
    }

    /** A device pointer ({@code CUdeviceptr}, 0 for nullptr). */
    public KernelArgs ptr(long devicePointer) {
        return add(arena.allocateFrom(ValueLayout.JAVA_LONG, devicePointer), "ptr");
    }

    /** A C {@code int}. */
    public KernelArgs i32(int value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_INT, value), "i32");
    }

    /** A C {@code long long}. */
    public KernelArgs i64(long value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_LONG, value), "i64");
    }

    /** A C {@code float}. */
    public KernelArgs f32(float value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_FLOAT, value), "f32");
    }

    private KernelArgs add(MemorySegment slot, String kind) {
        slots.add(slot);
        kinds.add(kind);
        return this;
    }

    public int size() {
        return slots.size();
    }

    /** "ptr,i32,..." in order, for checks against a kernel's signature. */
    public String signature() {
        return String.join(",", kinds);
    }

    /** The pointer array to pass as {@code kernelParams}. */
    public MemorySegment toParams() {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, Math.max(1, slots.size()));
        for (int i = 0; i < slots.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, slots.get(i));
        }
        return array;
    }
}
