package dev.mixtral4j.tools.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path dir;

    /** One value of every type, at the edges of each range, and nested arrays. */
    static Map<String, MetadataValue> everyType() {
        Map<String, MetadataValue> m = new LinkedHashMap<>();
        m.put("u8", new MetadataValue(GgufValueType.UINT8, 255));
        m.put("i8", new MetadataValue(GgufValueType.INT8, -128));
        m.put("u16", new MetadataValue(GgufValueType.UINT16, 65535));
        m.put("i16", new MetadataValue(GgufValueType.INT16, -32768));
        m.put("u32", new MetadataValue(GgufValueType.UINT32, 0xFFFF_FFFFL));
        m.put("i32", new MetadataValue(GgufValueType.INT32, Integer.MIN_VALUE));
        m.put("f32", new MetadataValue(GgufValueType.FLOAT32, -1.5e-7f));
        m.put("bool.t", new MetadataValue(GgufValueType.BOOL, true));
        m.put("bool.f", new MetadataValue(GgufValueType.BOOL, false));
        m.put("str", new MetadataValue(GgufValueType.STRING, "héllo ▁wörld \u0000 end"));
        m.put("str.empty", new MetadataValue(GgufValueType.STRING, ""));
        m.put("u64", new MetadataValue(GgufValueType.UINT64, -1L));
        m.put("i64", new MetadataValue(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("f64", new MetadataValue(GgufValueType.FLOAT64, Math.PI));
        m.put("a.u8", arr(GgufValueType.UINT8, new int[] {0, 1, 255}));
        m.put("a.i8", arr(GgufValueType.INT8, new int[] {-128, 127}));
        m.put("a.u16", arr(GgufValueType.UINT16, new int[] {65535}));
        m.put("a.i16", arr(GgufValueType.INT16, new int[] {-1, 2}));
        m.put("a.u32", arr(GgufValueType.UINT32, new long[] {0, 0xFFFF_FFFFL}));
        m.put("a.i32", arr(GgufValueType.INT32, new int[] {-7, 7, 0}));
        m.put("a.u64", arr(GgufValueType.UINT64, new long[] {Long.MAX_VALUE, -2}));
        m.put("a.i64", arr(GgufValueType.INT64, new long[] {-3}));
        m.put("a.f32", arr(GgufValueType.FLOAT32, new float[] {1f, Float.NaN, -0f}));
        m.put("a.f64", arr(GgufValueType.FLOAT64, new double[] {2.5, Double.NEGATIVE_INFINITY}));
        m.put("a.bool", arr(GgufValueType.BOOL, new boolean[] {true, false, true}));
        m.put("a.str", arr(GgufValueType.STRING, new String[] {"a", "", "<0x0A>"}));
        m.put("a.empty", arr(GgufValueType.INT32, new int[0]));
        MetadataArray inner1 = new MetadataArray(GgufValueType.INT32, new int[] {1, 2});
        MetadataArray inner2 = new MetadataArray(GgufValueType.STRING, new String[] {"x"});
        MetadataArray nested = new MetadataArray(GgufValueType.ARRAY, new MetadataArray[] {inner1, inner2});
        m.put("a.nested", arr(GgufValueType.ARRAY, new MetadataArray[] {nested,
                new MetadataArray(GgufValueType.FLOAT32, new float[] {3f})}));
        return m;
    }

    static MetadataValue arr(GgufValueType t, Object values) {
        return MetadataValue.ofArray(new MetadataArray(t, values));
    }

    @Test
    void everyMetadataTypeRoundTrips() throws IOException {
        Map<String, MetadataValue> in = everyType();
        Path p;
        try (GgufWriter w = GgufWriter.create(dir.resolve("m.gguf"))) {
            w.putAll(in);
            p = w.finish();
        }
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals(List.copyOf(in.keySet()), List.copyOf(f.metadata().entries().keySet()));
            for (var e : in.entrySet()) {
                MetadataValue got = f.metadata().find(e.getKey()).orElseThrow();
                assertEquals(e.getValue().type(), got.type(), e.getKey());
                assertEquals(e.getValue().value(), got.value(), e.getKey());
                assertEquals(e.getValue().value().getClass(), got.value().getClass(), e.getKey());
            }
            assertTrue(f.tensors().isEmpty());
        }
    }

    @Test
    void tensorsRoundTripWithAlignmentAndChunkedData() throws IOException {
        Path p;
        float[] a = {1, 2, 3, 4, 5};
        byte[] q = new byte[2 * 34];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (i * 7);
        }
        try (GgufWriter w = GgufWriter.create(dir.resolve("t.gguf"))) {
            w.alignment(64).putString("k", "v");
            w.addTensor("a", GgmlType.F32, 5).addTensor("q", GgmlType.Q8_0, 32, 2).addTensor("b", GgmlType.F16, 3, 1, 1, 2);
            w.writeTensor("a", a);
            try (GgufWriter.TensorChannel ch = w.beginTensor("q")) {
                assertEquals(68, ch.remaining());
                ch.write(ByteBuffer.wrap(q, 0, 10));
                ch.write(MemorySegment.ofArray(q).asSlice(10, 50));
                ch.write(ByteBuffer.wrap(q, 60, 8));
            }
            w.writeTensor("b", ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
            p = w.finish();
        }
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(List.of("a", "q", "b"), f.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : f.tensors()) {
                assertEquals(0, f.absoluteOffset(t) % 64, t.name());
            }
            assertArrayEquals(a, f.tensorData(f.tensor("a")).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
            assertArrayEquals(q, f.tensorData(f.tensor("q")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new long[] {3, 1, 1, 2}, f.tensor("b").shape());
            assertEquals(GgmlType.F16, f.tensor("b").type());
            assertEquals(12, f.tensor("b").byteSize());
        }
    }

    @Test
    void tooManyOrTooFewBytesAbandonTheFile() throws IOException {
        Path target = dir.resolve("bad.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("a", GgmlType.F32, 4);
            GgufWriter.TensorChannel ch = w.beginTensor("a");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ch.write(ByteBuffer.allocate(20)));
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("16"), e.getMessage());
            ch.write(ByteBuffer.allocate(8));
            IllegalStateException e2 = assertThrows(IllegalStateException.class, ch::close);
            assertTrue(e2.getMessage().contains("only 8"), e2.getMessage());
            assertThrows(IllegalStateException.class, w::finish);
        }
        assertFalse(Files.exists(target));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "the temporary file is deleted");
        }
    }

    @Test
    void missingTensorDataOrWrongOrderIsRefused() throws IOException {
        Path target = dir.resolve("x.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("a", GgmlType.F32, 1).addTensor("b", GgmlType.F32, 1);
            assertThrows(IllegalStateException.class, () -> w.beginTensor("b"));
            w.writeTensor("a", new float[] {1});
            IllegalStateException e = assertThrows(IllegalStateException.class, w::finish);
            assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void invalidDeclarationsAreRefused() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("y.gguf"))) {
            w.putString("k", "v");
            assertThrows(IllegalArgumentException.class, () -> w.putString("k", "again"));
            assertThrows(IllegalArgumentException.class, () -> w.put("u8", new MetadataValue(GgufValueType.UINT8, 256)));
            assertThrows(IllegalArgumentException.class, () -> w.put("u32", new MetadataValue(GgufValueType.UINT32, 7)));
            assertThrows(IllegalArgumentException.class, () -> w.putUint32("general.alignment", 48));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_0, 33));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("z", GgmlType.F32, 0));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("five", GgmlType.F32, 1, 1, 1, 1, 1));
            w.addTensor("t", GgmlType.F32, 2);
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, 2));
            assertThrows(IllegalStateException.class, () -> w.alignment(64));
        }
    }

    @Test
    void finishReplacesAnExistingFileAtomically() throws IOException {
        Path target = dir.resolve("r.gguf");
        Files.writeString(target, "old");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.putString("new", "yes");
            w.finish();
        }
        try (GgufFile f = GgufFile.open(target)) {
            assertEquals("yes", f.metadata().getString("new"));
        }
    }
}
