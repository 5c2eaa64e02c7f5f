package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GGML's own scalar conversions, called through java.lang.foreign from the prebuilt
 * {@code libggml-base.so} of llama.cpp v0.5.0: {@code ggml_get_type_traits(type)->to_float} and
 * {@code ->from_float_ref}, plus the exported {@code quantize_row_q8_K_ref} /
 * {@code dequantize_row_q8_K}, which the traits table leaves empty for Q8_K.
 *
 * <p>Used from one test thread: the library and every buffer live in confined arenas.
 */
final class GgmlNative implements AutoCloseable {

    /** {@code struct ggml_type_traits} from ggml/include/ggml.h (x86-64 System V layout). */
    static final StructLayout TRAITS = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("type_name"),
            ValueLayout.JAVA_LONG.withName("blck_size"),
            ValueLayout.JAVA_LONG.withName("blck_size_interleave"),
            ValueLayout.JAVA_LONG.withName("type_size"),
            ValueLayout.JAVA_BOOLEAN.withName("is_quantized"),
            MemoryLayout.paddingLayout(7),
            ValueLayout.ADDRESS.withName("to_float"),
            ValueLayout.ADDRESS.withName("from_float_ref"));

    private static final VarHandle TYPE_NAME = TRAITS.varHandle(MemoryLayout.PathElement.groupElement("type_name"));
    private static final VarHandle BLCK_SIZE = TRAITS.varHandle(MemoryLayout.PathElement.groupElement("blck_size"));
    private static final VarHandle TYPE_SIZE = TRAITS.varHandle(MemoryLayout.PathElement.groupElement("type_size"));
    private static final VarHandle TO_FLOAT = TRAITS.varHandle(MemoryLayout.PathElement.groupElement("to_float"));
    private static final VarHandle FROM_FLOAT =
            TRAITS.varHandle(MemoryLayout.PathElement.groupElement("from_float_ref"));

    /** Both row functions have the shape {@code void f(const void *src, void *dst, int64_t n)}. */
    private static final FunctionDescriptor ROW_FN =
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);

    private final Arena arena = Arena.ofConfined();
    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lookup;
    private final MethodHandle getTypeTraits;

    private GgmlNative(Path library) {
        lookup = SymbolLookup.libraryLookup(library, arena);
        getTypeTraits = linker.downcallHandle(lookup.findOrThrow("ggml_get_type_traits"),
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(TRAITS), ValueLayout.JAVA_INT));
    }

    /** The library, or the test is skipped with the reason. */
    static GgmlNative loadOrSkip() {
        String dir = System.getProperty("mixtral4j.llamacpp.dir");
        assumeTrue(dir != null && !dir.isBlank(), "system property mixtral4j.llamacpp.dir is not set");
        assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux")
                && System.getProperty("os.arch", "").matches("amd64|x86_64"), "libggml-base.so is linux-x64 only");
        Path library = Path.of(dir, "linux-x64", "libggml-base.so").toAbsolutePath();
        assumeTrue(Files.isRegularFile(library), library + " is absent");
        return new GgmlNative(library);
    }

    @Override
    public void close() {
        arena.close();
    }

    private MemorySegment traits(GgmlType type) {
        try {
            return (MemorySegment) getTypeTraits.invokeExact(type.id());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    String typeName(GgmlType type) {
        return ((MemorySegment) TYPE_NAME.get(traits(type), 0L)).reinterpret(64).getString(0);
    }

    long blockSize(GgmlType type) {
        return (long) BLCK_SIZE.get(traits(type), 0L);
    }

    long typeSize(GgmlType type) {
        return (long) TYPE_SIZE.get(traits(type), 0L);
    }

    private MethodHandle rowFunction(GgmlType type, VarHandle field, String fallbackSymbol) {
        MemorySegment fn = (MemorySegment) field.get(traits(type), 0L);
        if (fn.equals(MemorySegment.NULL)) {
            if (fallbackSymbol == null) {
                throw new IllegalStateException("ggml has no such function for " + type);
            }
            fn = lookup.findOrThrow(fallbackSymbol);
        }
        return linker.downcallHandle(fn, ROW_FN);
    }

    /** ggml's to_float of {@code count} elements held in {@code data}. */
    float[] toFloat(GgmlType type, byte[] data, int count) {
        String fallback = type == GgmlType.Q8_K ? "dequantize_row_q8_K" : null;
        MethodHandle fn = rowFunction(type, TO_FLOAT, fallback);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment src = call.allocate(data.length, 64);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment dst = call.allocate((long) count * Float.BYTES, 64);
            fn.invokeExact(src, dst, (long) count);
            return dst.toArray(ValueLayout.JAVA_FLOAT);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** ggml's from_float_ref of {@code values}; the output buffer starts zeroed. */
    byte[] fromFloatRef(GgmlType type, float[] values) {
        String fallback = type == GgmlType.Q8_K ? "quantize_row_q8_K_ref" : null;
        MethodHandle fn = rowFunction(type, FROM_FLOAT, fallback);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment src = call.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            MemorySegment dst = call.allocate(type.bytesFor(values.length), 64);
            fn.invokeExact(src, dst, (long) values.length);
            return dst.toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
