package dev.mixtral4j.gguf;

import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (version 2 or 3, little-endian) mapped into memory. Tensor data is never copied:
 * {@link #tensorData(TensorInfo)} returns a slice of the mapping, so files far larger than the
 * heap can be opened. Closing the file unmaps it; slices must not be used after that.
 *
 * <p>Every count, length and offset in the header is checked against the file size before it is
 * used, so truncated or hostile files fail with a {@link ModelFormatException} that names the
 * problem and the byte offset, never with an out-of-memory error or a JVM crash.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian int. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final boolean ownsArena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName;
    private final long alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, boolean ownsArena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.ownsArena = ownsArena;
        this.file = file;
        Parser p = new Parser(file, path.toString());
        int magic = p.u32("magic");
        if (magic != MAGIC) {
            throw p.error(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC), 0);
        }
        int v = p.u32("version");
        if (v == 0x03000000 || v == 0x02000000) {
            throw p.error("big-endian GGUF files are not supported", 4);
        }
        if (v != 2 && v != 3) {
            throw p.error("unsupported GGUF version " + Integer.toUnsignedString(v) + " (supported: 2, 3)", 4);
        }
        this.version = v;
        long tensorCount = p.count("tensor count", 8 + 4 + 8 + 4 + 8);
        long kvCount = p.count("metadata count", 8 + 1 + 4);

        Map<String, MetadataValue> kv = new LinkedHashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            long at = p.pos;
            String key = p.string("metadata key #" + i);
            int typeId = p.u32("type of metadata '" + key + "'");
            GgufValueType type = GgufValueType.byId(typeId).orElseThrow(() -> p.error("metadata '" + key
                    + "' has unknown value type " + Integer.toUnsignedString(typeId), p.pos - 4));
            if (key.equals("general.alignment")) {
                alignmentAt = p.pos;
            }
            MetadataValue value = new MetadataValue(type, p.value(type, key, 0));
            if (kv.putIfAbsent(key, value) != null) {
                throw p.error("duplicate metadata key '" + key + "'", at);
            }
        }
        this.metadata = new GgufMetadata(kv, path.toString());

        long align = DEFAULT_ALIGNMENT;
        MetadataValue alignValue = kv.get("general.alignment");
        if (alignValue != null) {
            // Integer types only: a float that happens to equal a power of two is still corrupt.
            if (!(alignValue.value() instanceof Integer || alignValue.value() instanceof Long)) {
                throw p.error("general.alignment is " + alignValue.type() + ", expected an integer", alignmentAt);
            }
            align = ((Number) alignValue.value()).longValue();
            if (align <= 0 || Long.bitCount(align) != 1 || align > (1 << 30)) {
                throw p.error("general.alignment = " + Long.toUnsignedString(align)
                        + " is not a power of two up to 2^30", alignmentAt);
            }
        }
        this.alignment = align;

        // The count is bounded by the file size, not by the heap: grow as entries really parse.
        List<TensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 1024));
        long[] offsetFieldAt = new long[(int) Math.min(tensorCount, 1024)];
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = p.pos;
            String name = p.string("name of tensor #" + i);
            int nDims = p.u32("dimension count of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw p.error("tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                        + " dimensions (1.." + MAX_DIMS + " allowed)", p.pos - 4);
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = p.pos;
                shape[d] = p.u64("dimension " + d + " of tensor '" + name + "'");
                if (shape[d] <= 0) {
                    throw p.error("tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(shape[d]), dimAt);
                }
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw p.error("tensor '" + name + "' shape overflows: element count exceeds 2^63", dimAt);
                }
            }
            int typeId = p.u32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(
                    () -> p.error("tensor '" + name + "' has unknown GGML type id " + Integer.toUnsignedString(typeId), p.pos - 4));
            if (shape[0] % type.blockSize() != 0) {
                throw p.error("tensor '" + name + "' row length " + shape[0] + " is not a multiple of the "
                        + type + " block size " + type.blockSize(), at);
            }
            long bytes;
            try {
                bytes = type.bytesFor(elements);
            } catch (ArithmeticException e) {
                throw p.error("tensor '" + name + "' byte size overflows", at);
            }
            long offAt = p.pos;
            long offset = p.u64("data offset of tensor '" + name + "'");
            if (offset < 0 || offset % align != 0) {
                throw p.error("tensor '" + name + "' data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + align, offAt);
            }
            TensorInfo info = new TensorInfo(name, type, shape, offset, bytes);
            if (byName.putIfAbsent(name, info) != null) {
                throw p.error("duplicate tensor name '" + name + "'", at);
            }
            if (infos.size() == offsetFieldAt.length) {
                offsetFieldAt = java.util.Arrays.copyOf(offsetFieldAt, Math.max(16, offsetFieldAt.length * 2));
            }
            offsetFieldAt[infos.size()] = offAt;
            infos.add(info);
        }
        long headerEnd = p.pos;
        long data = (headerEnd + align - 1) / align * align;
        if (tensorCount > 0 && data > file.byteSize()) {
            throw p.error("file ends before its tensor data section, which starts at " + data, file.byteSize());
        }
        this.dataOffset = data;
        long dataBytes = file.byteSize() - data;
        for (int i = 0; i < infos.size(); i++) {
            TensorInfo t = infos.get(i);
            if (t.dataOffset() > dataBytes || t.byteSize() > dataBytes - t.dataOffset()) {
                // The offset reported is that of the tensor info's data-offset field: it lies in the
                // file, and it is the value that is wrong unless the file was cut short.
                throw p.error("tensor '" + t.name() + "' data [" + Long.toUnsignedString(data + t.dataOffset()) + ", "
                        + Long.toUnsignedString(data + t.dataOffset() + t.byteSize()) + ") lies past the end of the file ("
                        + file.byteSize() + " bytes): the file is truncated or the offset is corrupt",
                        offsetFieldAt[i]);
            }
        }
        this.tensors = Collections.unmodifiableList(infos);
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** Maps {@code path} with a new shared arena owned (and closed) by the returned file. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            return open(path, arena, true);
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads the whole of {@code path} into memory owned by the returned file, instead of mapping
     * it: the file may then change on disk without affecting this copy.
     */
    public static GgufFile openInMemory(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
            long done = 0;
            while (done < size) {
                // ByteBuffer views are limited to 2 GiB: read in slices
                java.nio.ByteBuffer slice = seg.asSlice(done, Math.min(size - done, 1L << 30)).asByteBuffer();
                while (slice.hasRemaining()) {
                    if (ch.read(slice, done + slice.position()) < 0) {
                        throw new IOException(path + " became shorter while it was being read");
                    }
                }
                done += slice.capacity();
            }
            return new GgufFile(path, arena, true, seg);
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Maps {@code path} into the caller's arena; closing the file leaves the arena open. */
    public static GgufFile open(Path path, Arena arena) throws IOException {
        return open(path, arena, false);
    }

    private static GgufFile open(Path path, Arena arena, boolean owns) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, owns, seg);
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public List<TensorInfo> tensors() {
        return tensors;
    }

    public Optional<TensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public TensorInfo tensor(String name) {
        TensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new ModelFormatException(path + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** Alignment of tensor data in this file. */
    public long alignment() {
        return alignment;
    }

    /** Absolute offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Size of the file in bytes. */
    public long fileSize() {
        return file.byteSize();
    }

    /** The whole mapped file (read-only). */
    public MemorySegment segment() {
        return file;
    }

    /** The tensor's bytes as a read-only slice of the mapping (no copy). */
    public MemorySegment tensorData(TensorInfo tensor) {
        if (tensorsByName.get(tensor.name()) != tensor && !tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " does not belong to " + path);
        }
        return file.asSlice(dataOffset + tensor.dataOffset(), tensor.byteSize()).asReadOnly();
    }

    /** Absolute file offset of a tensor's first byte. */
    public long absoluteOffset(TensorInfo tensor) {
        return dataOffset + tensor.dataOffset();
    }

    @Override
    public void close() {
        if (ownsArena) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + tensors.size() + " tensors, "
                + metadata.entries().size() + " metadata]";
    }

    /** Bounds-checked little-endian cursor over the header. */
    private static final class Parser {
        private static final int MAX_NESTING = 8;
        private final MemorySegment seg;
        private final String source;
        long pos;

        Parser(MemorySegment seg, String source) {
            this.seg = seg;
            this.source = source;
        }

        ModelFormatException error(String message, long offset) {
            return new ModelFormatException(source + ": " + message, offset);
        }

        private void need(long bytes, String what) {
            if (bytes < 0 || bytes > seg.byteSize() - pos) {
                throw error("truncated: " + what + " needs " + (bytes < 0 ? Long.toUnsignedString(bytes) : bytes)
                        + " bytes but only " + (seg.byteSize() - pos) + " remain", pos);
            }
        }

        int u32(String what) {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        /** A 64-bit count whose entries each need at least {@code minBytesEach} more bytes. */
        long count(String what, long minBytesEach) {
            long at = pos;
            long n = u64(what);
            if (n < 0 || n > (seg.byteSize() - pos) / minBytesEach) {
                throw error(what + " " + Long.toUnsignedString(n) + " cannot fit in the "
                        + (seg.byteSize() - pos) + " bytes left in the file", at);
            }
            return n;
        }

        String string(String what) {
            long at = pos;
            long len = u64("length of " + what);
            if (len < 0 || len > seg.byteSize() - pos) {
                throw error("length " + Long.toUnsignedString(len) + " of " + what + " runs past the end of the file", at);
            }
            if (len > Integer.MAX_VALUE - 8) {
                throw error(what + " is too long (" + len + " bytes)", at);
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Real vocabularies contain pieces that are not valid UTF-8 on their own; keep
                // them readable rather than reject the file.
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        Object value(GgufValueType type, String key, int depth) {
            String what = "value of '" + key + "'";
            return switch (type) {
                case UINT8 -> { need(1, what); yield Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++)); }
                case INT8 -> { need(1, what); yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, what); int v = Short.toUnsignedInt(seg.get(U16, pos)); pos += 2; yield v; }
                case INT16 -> { need(2, what); int v = seg.get(U16, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> u32(what);
                case FLOAT32 -> { need(4, what); float v = seg.get(F32, pos); pos += 4; yield v; }
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) {
                        throw error("bool " + what + " is " + b + ", expected 0 or 1", pos);
                    }
                    pos++;
                    yield b == 1;
                }
                case STRING -> string(what);
                case UINT64, INT64 -> u64(what);
                case FLOAT64 -> { need(8, what); double v = seg.get(F64, pos); pos += 8; yield v; }
                case ARRAY -> array(key, depth);
            };
        }

        private MetadataArray array(String key, int depth) {
            if (depth >= MAX_NESTING) {
                throw error("metadata '" + key + "' nests arrays deeper than " + MAX_NESTING, pos);
            }
            long typeAt = pos;
            int typeId = u32("element type of array '" + key + "'");
            GgufValueType et = GgufValueType.byId(typeId)
                    .orElseThrow(() -> error("array '" + key + "' has unknown element type "
                            + Integer.toUnsignedString(typeId), typeAt));
            long minSize = et.fixedSize() > 0 ? et.fixedSize() : 8;
            long n = count("element count of array '" + key + "'", minSize);
            if (n > Integer.MAX_VALUE - 8) {
                throw error("array '" + key + "' has too many elements (" + n + ")", typeAt + 4);
            }
            int len = (int) n;
            return new MetadataArray(et, switch (et) {
                case UINT8, INT8, UINT16, INT16, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Integer) value(et, key, depth);
                    }
                    yield a;
                }
                case UINT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Long) value(et, key, depth);
                    }
                    yield a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Float) value(et, key, depth);
                    }
                    yield a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Double) value(et, key, depth);
                    }
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Boolean) value(et, key, depth);
                    }
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = string("element " + i + " of array '" + key + "'");
                    }
                    yield a;
                }
                case ARRAY -> {
                    MetadataArray[] a = new MetadataArray[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = array(key + "[" + i + "]", depth + 1);
                    }
                    yield a;
                }
            });
        }
    }
}
