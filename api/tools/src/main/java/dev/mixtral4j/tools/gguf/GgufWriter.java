package dev.mixtral4j.tools.gguf;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.MetadataValue;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a GGUF version 3 file in one streaming pass, so files far larger than the heap can be
 * produced. Use it in three steps:
 *
 * <ol>
 *   <li>add metadata ({@link #put(String, MetadataValue)} or the typed helpers) and declare every
 *       tensor with {@link #addTensor(String, GgmlType, long...)};</li>
 *   <li>write each tensor's bytes in declaration order, either at once with
 *       {@link #writeTensor(String, ByteBuffer)} or piece by piece through the channel returned by
 *       {@link #beginTensor(String)} (the header is written when the first tensor data arrives);</li>
 *   <li>{@link #finish()}, which checks that every tensor received exactly its declared byte size
 *       and moves the file into place atomically.</li>
 * </ol>
 *
 * <p>The file is written to a temporary sibling of the target and only renamed onto the target by
 * {@link #finish()}; {@link #close()} without {@code finish()} deletes the temporary file, so a
 * failed or interrupted write never leaves a half-written model under the target name.
 *
 * <p>Metadata values round-trip: what {@link GgufFile} reads back is equal to what was put, with
 * the Java representation documented in {@link MetadataValue}. Tensor data is aligned to
 * {@code general.alignment} (32 unless that key is set) and padded with zero bytes.
 */
public final class GgufWriter implements AutoCloseable {
    /** The format version this writer produces. */
    public static final int VERSION = 3;

    private static final int BUFFER_BYTES = 1 << 20;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
    private final Map<String, MetadataValue> metadata = new LinkedHashMap<>();
    private final Map<String, Declared> tensors = new LinkedHashMap<>();
    private final List<Declared> order = new ArrayList<>();

    private long written;
    private boolean headerWritten;
    private int nextTensor;
    private TensorChannel open;
    private boolean finished;
    private boolean closed;

    private record Declared(String name, GgmlType type, long[] shape, long byteSize) { }

    private GgufWriter(Path target) throws IOException {
        this.target = target.toAbsolutePath();
        Path dir = this.target.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".part");
        this.channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Starts writing a file that will appear at {@code target} once {@link #finish()} succeeds. */
    public static GgufWriter create(Path target) throws IOException {
        return new GgufWriter(Objects.requireNonNull(target, "target"));
    }

    /** The path the file will have after {@link #finish()}. */
    public Path target() {
        return target;
    }

    // ---------------------------------------------------------------- metadata

    /**
     * Adds a metadata entry. The value's Java type must match its GGUF type as documented in
     * {@link MetadataValue}, and integers must lie in their type's range.
     *
     * @throws IllegalArgumentException for a duplicate key, a mismatched value, or a bad
     *         {@code general.alignment}
     * @throws IllegalStateException once tensor data has started
     */
    public GgufWriter put(String key, MetadataValue value) {
        requireHeaderOpen();
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        validate(key, value.type(), value.value(), 0);
        if (key.equals("general.alignment")) {
            if (!(value.value() instanceof Number n) || !isValidAlignment(n.longValue())
                    || value.type() == GgufValueType.FLOAT32 || value.type() == GgufValueType.FLOAT64) {
                throw new IllegalArgumentException("general.alignment must be an integer power of two, got " + value);
            }
            if (!tensors.isEmpty()) {
                throw new IllegalStateException("set general.alignment before declaring tensors");
            }
        }
        if (metadata.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        return this;
    }

    /** Adds every entry of {@code entries} in iteration order. */
    public GgufWriter putAll(Map<String, MetadataValue> entries) {
        entries.forEach(this::put);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, MetadataValue.ofString(value));
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, MetadataValue.ofUint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, MetadataValue.ofInt32(value));
    }

    public GgufWriter putUint64(String key, long value) {
        return put(key, MetadataValue.ofUint64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, MetadataValue.ofFloat32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, MetadataValue.ofBool(value));
    }

    /** Adds an array; {@code values} as described in {@link MetadataArray}. */
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        return put(key, MetadataValue.ofArray(new MetadataArray(elementType, values)));
    }

    /** Sets {@code general.alignment} (a power of two); must come before any tensor. */
    public GgufWriter alignment(int alignment) {
        return put("general.alignment", MetadataValue.ofUint32(alignment));
    }

    /** The alignment tensor data will use. */
    public long alignment() {
        MetadataValue v = metadata.get("general.alignment");
        return v == null ? GgufFile.DEFAULT_ALIGNMENT : ((Number) v.value()).longValue();
    }

    private static boolean isValidAlignment(long a) {
        return a > 0 && Long.bitCount(a) == 1 && a <= (1 << 30);
    }

    private static void validate(String key, GgufValueType type, Object v, int depth) {
        boolean ok = switch (type) {
            case UINT8 -> v instanceof Integer i && i >= 0 && i <= 0xFF;
            case INT8 -> v instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE;
            case UINT16 -> v instanceof Integer i && i >= 0 && i <= 0xFFFF;
            case INT16 -> v instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE;
            case INT32 -> v instanceof Integer;
            case UINT32 -> v instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
            case UINT64, INT64 -> v instanceof Long;
            case FLOAT32 -> v instanceof Float;
            case FLOAT64 -> v instanceof Double;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> v instanceof MetadataArray;
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata '" + key + "': " + v + " ("
                    + v.getClass().getSimpleName() + ") is not a valid " + type + " value");
        }
        if (v instanceof MetadataArray a) {
            if (depth >= 7) {
                throw new IllegalArgumentException("metadata '" + key + "' nests arrays too deeply");
            }
            Object values = a.values();
            boolean shapeOk = switch (a.elementType()) {
                case UINT8, INT8, UINT16, INT16, INT32 -> values instanceof int[];
                case UINT32, UINT64, INT64 -> values instanceof long[];
                case FLOAT32 -> values instanceof float[];
                case FLOAT64 -> values instanceof double[];
                case BOOL -> values instanceof boolean[];
                case STRING -> values instanceof String[];
                case ARRAY -> values instanceof MetadataArray[];
            };
            if (!shapeOk) {
                throw new IllegalArgumentException("metadata '" + key + "': array of " + a.elementType()
                        + " cannot hold " + values.getClass().getSimpleName());
            }
            int n = a.length();
            for (int i = 0; i < n; i++) {
                Object e = java.lang.reflect.Array.get(values, i);
                if (e == null) {
                    throw new IllegalArgumentException("metadata '" + key + "': element " + i + " is null");
                }
                validate(key + "[" + i + "]", a.elementType(), e, depth + 1);
            }
        }
    }

    // ---------------------------------------------------------------- tensor infos

    /**
     * Declares a tensor. {@code shape} lists dimensions innermost first (GGML's {@code ne}); the
     * innermost must be a whole number of the type's blocks. Data must later be written in the
     * order tensors were declared.
     */
    public GgufWriter addTensor(String name, GgmlType type, long... shape) {
        requireHeaderOpen();
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions (1.."
                    + GgufFile.MAX_DIMS + " allowed)");
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d + " in " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' row length " + shape[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        Declared d = new Declared(name, type, shape.clone(), type.bytesFor(elements));
        tensors.put(name, d);
        order.add(d);
        return this;
    }

    /** Bytes a declared tensor's data must have. */
    public long tensorByteSize(String name) {
        Declared d = tensors.get(name);
        if (d == null) {
            throw new IllegalArgumentException("tensor '" + name + "' was not declared");
        }
        return d.byteSize;
    }

    // ---------------------------------------------------------------- tensor data

    /**
     * Opens the data of the next tensor, which must be {@code name}. Write exactly its declared
     * byte size, then close the channel (which pads to the alignment). Writes the header first if
     * this is the first tensor.
     *
     * @throws IllegalStateException when {@code name} is not the next declared tensor or another
     *         tensor's channel is still open
     */
    public TensorChannel beginTensor(String name) throws IOException {
        requireNotClosed();
        if (open != null) {
            throw new IllegalStateException("tensor '" + open.tensor.name + "' is still being written");
        }
        if (!headerWritten) {
            writeHeader();
        }
        if (nextTensor >= order.size()) {
            throw new IllegalStateException(tensors.containsKey(name)
                    ? "tensor '" + name + "' was already written" : "tensor '" + name + "' was not declared");
        }
        Declared expected = order.get(nextTensor);
        if (!expected.name.equals(name)) {
            throw new IllegalStateException("tensor data must follow declaration order: next is '"
                    + expected.name + "', not '" + name + "'");
        }
        open = new TensorChannel(expected);
        return open;
    }

    /** Writes all of one tensor's data from {@code data}'s remaining bytes. */
    public GgufWriter writeTensor(String name, ByteBuffer data) throws IOException {
        try (TensorChannel ch = beginTensor(name)) {
            ch.write(data);
        }
        return this;
    }

    /** Writes all of one tensor's data from a memory segment. */
    public GgufWriter writeTensor(String name, MemorySegment data) throws IOException {
        try (TensorChannel ch = beginTensor(name)) {
            ch.write(data);
        }
        return this;
    }

    /** Writes all of one F32 tensor's data (little-endian, as GGUF stores it). */
    public GgufWriter writeTensor(String name, float[] data) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(data.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return writeTensor(name, bytes);
    }

    /**
     * Writes the header (if no tensor was written yet), checks that every declared tensor got its
     * data, flushes, and atomically moves the file onto the target.
     *
     * @return the target path
     * @throws IllegalStateException when a tensor is missing or still open
     */
    public Path finish() throws IOException {
        requireNotClosed();
        if (open != null) {
            throw new IllegalStateException("tensor '" + open.tensor.name + "' is still being written");
        }
        if (!headerWritten) {
            writeHeader();
        }
        if (nextTensor != order.size()) {
            throw new IllegalStateException("tensor '" + order.get(nextTensor).name + "' (and "
                    + (order.size() - nextTensor - 1) + " after it) received no data");
        }
        flush();
        channel.force(false);
        channel.close();
        closed = true;
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        finished = true;
        return target;
    }

    /** Abandons an unfinished file (deleting the temporary file); does nothing after {@link #finish()}. */
    @Override
    public void close() throws IOException {
        if (finished) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void requireHeaderOpen() {
        requireNotClosed();
        if (headerWritten) {
            throw new IllegalStateException("the header is already written: metadata and tensors must come first");
        }
    }

    private void requireNotClosed() {
        if (closed) {
            throw new IllegalStateException("writer for " + target + " is closed");
        }
    }

    // ---------------------------------------------------------------- encoding

    private void writeHeader() throws IOException {
        headerWritten = true;
        long align = alignment();
        putInt(GgufFile.MAGIC);
        putInt(VERSION);
        putLong(order.size());
        putLong(metadata.size());
        for (Map.Entry<String, MetadataValue> e : metadata.entrySet()) {
            putString(e.getKey());
            putInt(e.getValue().type().id());
            putValue(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Declared d : order) {
            putString(d.name);
            putInt(d.shape.length);
            for (long dim : d.shape) {
                putLong(dim);
            }
            putInt(d.type.id());
            putLong(offset);
            offset = alignUp(Math.addExact(offset, d.byteSize), align);
        }
        pad(align);
    }

    private static long alignUp(long v, long align) {
        return Math.addExact(v, align - 1) / align * align;
    }

    private void pad(long align) throws IOException {
        long padding = alignUp(written, align) - written;
        for (long i = 0; i < padding; i++) {
            putByte((byte) 0);
        }
    }

    private void putValue(GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> putByte((byte) (int) (Integer) v);
            case UINT16, INT16 -> {
                ensure(2);
                buffer.putShort((short) (int) (Integer) v);
                written += 2;
            }
            case INT32 -> putInt((Integer) v);
            case UINT32 -> putInt((int) (long) (Long) v);
            case UINT64, INT64 -> putLong((Long) v);
            case FLOAT32 -> {
                ensure(4);
                buffer.putFloat((Float) v);
                written += 4;
            }
            case FLOAT64 -> {
                ensure(8);
                buffer.putDouble((Double) v);
                written += 8;
            }
            case BOOL -> putByte((byte) ((Boolean) v ? 1 : 0));
            case STRING -> putString((String) v);
            case ARRAY -> {
                MetadataArray a = (MetadataArray) v;
                putInt(a.elementType().id());
                int n = a.length();
                putLong(n);
                Object values = a.values();
                for (int i = 0; i < n; i++) {
                    putValue(a.elementType(), java.lang.reflect.Array.get(values, i));
                }
            }
        }
    }

    private void putString(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        putLong(bytes.length);
        putBytes(ByteBuffer.wrap(bytes));
    }

    private void putByte(byte b) throws IOException {
        ensure(1);
        buffer.put(b);
        written++;
    }

    private void putInt(int v) throws IOException {
        ensure(4);
        buffer.putInt(v);
        written += 4;
    }

    private void putLong(long v) throws IOException {
        ensure(8);
        buffer.putLong(v);
        written += 8;
    }

    private void putBytes(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ensure(1);
            int n = Math.min(buffer.remaining(), src.remaining());
            ByteBuffer slice = src.slice(src.position(), n);
            buffer.put(slice);
            src.position(src.position() + n);
            written += n;
        }
    }

    private void putSegment(MemorySegment src) throws IOException {
        long done = 0;
        long size = src.byteSize();
        while (done < size) {
            ensure(1);
            int n = (int) Math.min(buffer.remaining(), size - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, done, bufferSegment, ValueLayout.JAVA_BYTE,
                    buffer.position(), n);
            buffer.position(buffer.position() + n);
            done += n;
            written += n;
        }
    }

    private void ensure(int bytes) throws IOException {
        if (buffer.remaining() < bytes) {
            flush();
        }
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /**
     * The data of one tensor being written. Accepts bytes until the declared size is reached and
     * refuses more; {@link #close()} checks the size is complete and pads to the alignment.
     */
    public final class TensorChannel implements WritableByteChannel {
        private final Declared tensor;
        private long count;
        private boolean done;

        private TensorChannel(Declared tensor) {
            this.tensor = tensor;
        }

        /** The tensor's name. */
        public String name() {
            return tensor.name;
        }

        /** Bytes still expected. */
        public long remaining() {
            return tensor.byteSize - count;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            accept(n);
            putBytes(src.duplicate().order(src.order()));
            src.position(src.position() + n);
            return n;
        }

        /** Writes all bytes of {@code src}. */
        public void write(MemorySegment src) throws IOException {
            accept(src.byteSize());
            putSegment(src);
        }

        private void accept(long n) throws IOException {
            if (done) {
                throw new ClosedChannelException();
            }
            if (n > remaining()) {
                throw new IllegalStateException("tensor '" + tensor.name + "' is declared as " + tensor.byteSize
                        + " bytes but " + (count + n) + " bytes were written");
            }
            count += n;
        }

        @Override
        public boolean isOpen() {
            return !done;
        }

        /**
         * Completes this tensor.
         *
         * @throws IllegalStateException when fewer bytes than declared were written
         */
        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            open = null;
            if (count != tensor.byteSize) {
                closed = true;
                throw new IllegalStateException("tensor '" + tensor.name + "' is declared as " + tensor.byteSize
                        + " bytes but only " + count + " were written; the file is abandoned");
            }
            nextTensor++;
            pad(alignment());
        }
    }
}
