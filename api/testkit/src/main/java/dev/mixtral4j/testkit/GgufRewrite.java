package dev.mixtral4j.testkit;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.tools.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Copies a GGUF file with changes: metadata set or removed, tensors dropped, replaced or added.
 * Tests use it to make broken or specially-shaped variants of the fixtures (a missing tensor, a
 * wrong shape, a zeroed router, identical experts).
 */
public final class GgufRewrite {
    private final Path source;
    private final Map<String, MetadataValue> setMetadata = new LinkedHashMap<>();
    private final java.util.Set<String> dropMetadata = new java.util.HashSet<>();
    private Predicate<String> dropTensor = n -> false;
    private final Map<String, Replacement> replace = new LinkedHashMap<>();

    private record Replacement(GgmlType type, long[] shape, MemorySegment data) { }

    private GgufRewrite(Path source) {
        this.source = Objects.requireNonNull(source);
    }

    public static GgufRewrite of(Path source) {
        return new GgufRewrite(source);
    }

    /** Sets (or adds) a metadata entry. */
    public GgufRewrite metadata(String key, MetadataValue value) {
        setMetadata.put(key, value);
        return this;
    }

    public GgufRewrite removeMetadata(String key) {
        dropMetadata.add(key);
        return this;
    }

    /** Leaves out every tensor whose name matches. */
    public GgufRewrite dropTensors(Predicate<String> names) {
        dropTensor = dropTensor.or(names);
        return this;
    }

    /** Replaces (or adds, at the end) a tensor; {@code data} must have the size type and shape need. */
    public GgufRewrite tensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        replace.put(name, new Replacement(type, shape.clone(), data));
        return this;
    }

    /** Replaces (or adds) an F32 tensor. */
    public GgufRewrite tensor(String name, long[] shape, float[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return tensor(name, GgmlType.F32, shape, MemorySegment.ofArray(b.array()));
    }

    /** Writes the changed copy. */
    public Path write(Path target) throws IOException {
        try (GgufFile in = GgufFile.open(source); GgufWriter out = GgufWriter.create(target)) {
            in.metadata().entries().forEach((k, v) -> {
                if (!dropMetadata.contains(k) && !setMetadata.containsKey(k)) {
                    out.put(k, v);
                }
            });
            setMetadata.forEach(out::put);
            Map<String, Object> plan = new LinkedHashMap<>();
            for (TensorInfo t : in.tensors()) {
                if (!dropTensor.test(t.name())) {
                    plan.put(t.name(), replace.containsKey(t.name()) ? replace.get(t.name()) : t);
                }
            }
            replace.forEach(plan::putIfAbsent);
            plan.forEach((name, what) -> {
                if (what instanceof TensorInfo t) {
                    out.addTensor(name, t.type(), t.shape());
                } else {
                    Replacement r = (Replacement) what;
                    out.addTensor(name, r.type, r.shape);
                }
            });
            for (Map.Entry<String, Object> e : plan.entrySet()) {
                MemorySegment data = e.getValue() instanceof TensorInfo t ? in.tensorData(t)
                        : ((Replacement) e.getValue()).data;
                out.writeTensor(e.getKey(), data);
            }
            return out.finish();
        }
    }
}
