package dev.mixtral4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed and hostile GGUF files: each fails with a ModelFormatException naming the problem and where. */
class HostileGgufTest {
    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private ModelFormatException fails(RawGguf raw) throws IOException {
        return fails(raw.bytes());
    }

    private ModelFormatException fails(byte[] bytes) throws IOException {
        Path p = Files.write(dir.resolve("hostile.gguf"), bytes);
        return assertThrows(ModelFormatException.class, () -> {
            try (GgufFile f = GgufFile.open(p)) {
                fail("opened: " + f);
            }
        });
    }

    private static void assertMessage(ModelFormatException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains("hostile.gguf"), "names the file: " + e.getMessage());
    }

    /** A valid file: two metadata entries, two F32 tensors [4] and [2, 3]. */
    static RawGguf valid() {
        RawGguf r = new RawGguf().header(2, 2).kvString("general.architecture", "llama").kvU32("x.count", 7);
        r.tensor("a", F32, 0, 4).tensor("b", F32, 32, 2, 3).pad(32);
        r.zeros(16).pad(32).zeros(24);
        return r;
    }

    @Test
    void theValidBaselineOpens() throws IOException {
        Path p = valid().write(dir.resolve("ok.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.tensors().size());
            assertEquals(24, f.tensor("b").byteSize());
            assertEquals(7, f.metadata().getInt("x.count"));
        }
    }

    @Test
    void version2HasTheSameLayoutAndOpens() throws IOException {
        byte[] b = valid().bytes();
        b[4] = 2;
        Path p = java.nio.file.Files.write(dir.resolve("v2.gguf"), b);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.version());
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(2, f.tensors().size());
        }
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = valid().bytes();
        b[0] = 'X';
        ModelFormatException e = fails(b);
        assertMessage(e, "not a GGUF file", "magic");
        assertEquals(0, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 99})
    void unsupportedVersion(int version) throws IOException {
        RawGguf r = new RawGguf().u32(GgufFile.MAGIC).u32(version).u64(0).u64(0);
        ModelFormatException e = fails(r);
        assertMessage(e, "unsupported GGUF version " + version);
        assertEquals(4, e.offset());
    }

    @Test
    void bigEndian() throws IOException {
        RawGguf r = new RawGguf().u32(GgufFile.MAGIC).u8(0).u8(0).u8(0).u8(3).zeros(16);
        ModelFormatException e = fails(r);
        assertMessage(e, "big-endian");
        assertEquals(4, e.offset());
    }

    @Test
    void emptyFile() throws IOException {
        ModelFormatException e = fails(new byte[0]);
        assertMessage(e, "truncated", "magic");
        assertEquals(0, e.offset());
    }

    @Test
    void everyTruncationOfAValidFileFailsCleanly() throws IOException {
        byte[] full = valid().bytes();
        for (int len = 0; len < full.length; len++) {
            Path p = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, len));
            try (GgufFile f = GgufFile.open(p)) {
                fail("a file cut to " + len + " of " + full.length + " bytes opened: " + f);
            } catch (ModelFormatException e) {
                assertTrue(e.offset() >= 0 && e.offset() <= len, "offset " + e.offset() + " within the " + len + " bytes");
            } catch (RuntimeException e) {
                throw new AssertionError("cut to " + len + " bytes: " + e, e);
            }
        }
    }

    @Test
    void tensorCountPastTheEnd() throws IOException {
        ModelFormatException e = fails(new RawGguf().header(1L << 40, 0).zeros(40));
        assertMessage(e, "tensor count 1099511627776", "cannot fit");
        assertEquals(8, e.offset());
    }

    @Test
    void metadataCountPastTheEnd() throws IOException {
        ModelFormatException e = fails(new RawGguf().header(0, -1L).zeros(8));
        assertMessage(e, "metadata count 18446744073709551615", "cannot fit");
        assertEquals(16, e.offset());
    }

    @Test
    void arrayCountPastTheEnd() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("arr").u32(GgufValueType.ARRAY.id());
        long countAt = r.mark() + 4;
        r.u32(GgufValueType.UINT32.id()).u64(1_000_000).u32(1).u32(2);
        ModelFormatException e = fails(r);
        assertMessage(e, "element count of array 'arr'", "1000000", "cannot fit");
        assertEquals(countAt, e.offset());
    }

    @Test
    void keyLengthPastTheEnd() throws IOException {
        RawGguf r = new RawGguf().header(0, 1);
        long at = r.mark();
        r.u64(1000).zeros(20);
        ModelFormatException e = fails(r);
        assertMessage(e, "length 1000 of metadata key #0", "past the end");
        assertEquals(at, e.offset());
    }

    @Test
    void stringValueLengthPastTheEnd() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("general.name").u32(GgufValueType.STRING.id());
        long at = r.mark();
        r.u64(Long.MAX_VALUE).zeros(4);
        ModelFormatException e = fails(r);
        assertMessage(e, "'general.name'", "past the end");
        assertEquals(at, e.offset());
    }

    @Test
    void tensorDataPastTheEnd() throws IOException {
        RawGguf r = new RawGguf().header(1, 0).str("w").u32(1).u64(8).u32(F32);
        long offsetField = r.mark();
        r.u64(64).pad(32).zeros(64);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'w' data [128, 160)", "past the end of the file (128 bytes)");
        assertEquals(offsetField, e.offset());
    }

    @Test
    void tensorDataOffsetBeyondTheFile() throws IOException {
        RawGguf r = new RawGguf().header(1, 0).tensor("w", F32, 1L << 50, 8).pad(32).zeros(32);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'w' data", "past the end");
    }

    @Test
    void overflowingShape() throws IOException {
        RawGguf r = new RawGguf().header(1, 0).str("huge").u32(2).u64(1L << 40);
        long dim1 = r.mark();
        r.u64(1L << 40).u32(F32).u64(0).pad(32);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'huge'", "overflows");
        assertEquals(dim1, e.offset());
    }

    @Test
    void overflowingByteSize() throws IOException {
        // 2^62 elements fit a long, 2^62 * 4 bytes do not.
        RawGguf r = new RawGguf().header(1, 0);
        long at = r.mark();
        r.tensor("big", F32, 0, 1L << 31, 1L << 31).pad(32);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'big'", "byte size overflows");
        assertEquals(at, e.offset());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void zeroOrNegativeDimension(long dim) throws IOException {
        RawGguf r = new RawGguf().header(1, 0).str("z").u32(2).u64(4);
        long at = r.mark();
        r.u64(dim).u32(F32).u64(0).pad(32).zeros(64);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'z' dimension 1 is " + Long.toUnsignedString(dim));
        assertEquals(at, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, -1})
    void wrongDimensionCount(int dims) throws IOException {
        RawGguf r = new RawGguf().header(1, 0).str("t");
        long at = r.mark();
        r.u32(dims).zeros(64);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 't' has " + Integer.toUnsignedString(dims) + " dimensions");
        assertEquals(at, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {31, 40, 1000, -1})
    void unknownGgmlType(int id) throws IOException {
        RawGguf r = new RawGguf().header(1, 0).str("t").u32(1).u64(32);
        long at = r.mark();
        r.u32(id).u64(0).pad(32).zeros(128);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 't' has unknown GGML type id " + Integer.toUnsignedString(id));
        assertEquals(at, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 100, -1})
    void unknownMetadataType(int id) throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("k");
        long at = r.mark();
        r.u32(id).zeros(16);
        ModelFormatException e = fails(r);
        assertMessage(e, "metadata 'k' has unknown value type " + Integer.toUnsignedString(id));
        assertEquals(at, e.offset());
    }

    @Test
    void unknownArrayElementType() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("k").u32(GgufValueType.ARRAY.id());
        long at = r.mark();
        r.u32(77).u64(0).zeros(8);
        ModelFormatException e = fails(r);
        assertMessage(e, "array 'k' has unknown element type 77");
        assertEquals(at, e.offset());
    }

    @Test
    void rowNotAMultipleOfTheBlockSize() throws IOException {
        RawGguf r = new RawGguf().header(1, 0);
        long at = r.mark();
        r.tensor("q", GgmlType.Q4_0.id(), 0, 33, 2).pad(32).zeros(128);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'q' row length 33", "Q4_0 block size 32");
        assertEquals(at, e.offset());
    }

    @Test
    void misalignedDataOffset() throws IOException {
        RawGguf r = new RawGguf().header(2, 0).tensor("a", F32, 0, 4).str("b").u32(1).u64(4).u32(F32);
        long at = r.mark();
        r.u64(16).pad(32).zeros(64);
        ModelFormatException e = fails(r);
        assertMessage(e, "tensor 'b' data offset 16", "alignment 32");
        assertEquals(at, e.offset());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 1L << 31})
    void badAlignmentValue(long align) throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("general.alignment").u32(GgufValueType.UINT32.id());
        long at = r.mark();
        r.u32(align);
        ModelFormatException e = fails(r);
        assertMessage(e, "general.alignment = " + align);
        assertEquals(at, e.offset());
    }

    @Test
    void alignmentOfTheWrongType() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("general.alignment").u32(GgufValueType.FLOAT32.id());
        long at = r.mark();
        r.u32(Float.floatToIntBits(32f));
        ModelFormatException e = fails(r);
        assertMessage(e, "general.alignment is FLOAT32");
        assertEquals(at, e.offset());
    }

    @Test
    void duplicateTensorNames() throws IOException {
        RawGguf r = new RawGguf().header(2, 0).tensor("w", F32, 0, 4);
        long at = r.mark();
        r.tensor("w", F32, 32, 4).pad(32).zeros(64);
        ModelFormatException e = fails(r);
        assertMessage(e, "duplicate tensor name 'w'");
        assertEquals(at, e.offset());
    }

    @Test
    void duplicateKeys() throws IOException {
        RawGguf r = new RawGguf().header(0, 2).kvU32("k", 1);
        long at = r.mark();
        r.kvU32("k", 2);
        ModelFormatException e = fails(r);
        assertMessage(e, "duplicate metadata key 'k'");
        assertEquals(at, e.offset());
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        long innermost = 0;
        for (int depth = 0; depth < 20; depth++) {
            if (depth == 8) {
                innermost = r.mark();
            }
            r.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        r.u32(GgufValueType.UINT8.id()).u64(0);
        ModelFormatException e = fails(r);
        assertMessage(e, "'deep", "nests arrays deeper than 8");
        assertEquals(innermost, e.offset());
    }

    @Test
    void arraysNestedEightDeepAreFine() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int depth = 0; depth < 7; depth++) {
            r.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        r.u32(GgufValueType.UINT8.id()).u64(1).u8(5);
        Path p = r.write(dir.resolve("deep.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            Object v = f.metadata().findArray("deep").orElseThrow();
            for (int depth = 0; depth < 7; depth++) {
                v = ((MetadataValue.MetadataArray[]) ((MetadataValue.MetadataArray) v).values())[0];
            }
            assertEquals(5, ((int[]) ((MetadataValue.MetadataArray) v).values())[0]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 255})
    void badBoolByte(int value) throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("flag").u32(GgufValueType.BOOL.id());
        long at = r.mark();
        r.u8(value).zeros(8);
        ModelFormatException e = fails(r);
        assertMessage(e, "bool value of 'flag' is " + (byte) value);
        assertEquals(at, e.offset());
    }

    @Test
    void badBoolInAnArray() throws IOException {
        RawGguf r = new RawGguf().header(0, 1).str("flags").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.BOOL.id()).u64(3).u8(1).u8(0);
        long at = r.mark();
        r.u8(7);
        ModelFormatException e = fails(r);
        assertMessage(e, "'flags'", "is 7");
        assertEquals(at, e.offset());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path p = valid().write(dir.resolve("ok.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.tensor("nope.weight"));
            assertTrue(e.getMessage().contains("'nope.weight'") && e.getMessage().contains("ok.gguf"), e.getMessage());
        }
    }
}
