package dev.mixtral4j.samples.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately small GGUF header walker written for the tests from the format description,
 * independent of the reader in api, so that what {@code info} prints is checked against the
 * file itself rather than against the code that printed it.
 */
final class RawGguf {
    static final String[] TYPE_NAMES = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
        "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
    private static final int[] SIZES = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};

    /** A key: its value type name; for arrays the element type name and length; for strings the text. */
    record Entry(String type, String elementType, long length, String text, String firstString) {
    }

    record Tensor(String name, long[] dims, int typeId) {
    }

    final int version;
    final Map<String, Entry> entries = new LinkedHashMap<>();
    final List<Tensor> tensors = new ArrayList<>();

    private final ByteBuffer b;

    RawGguf(Path file) throws IOException {
        b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747) {
            throw new IOException(file + " is not GGUF");
        }
        version = b.getInt();
        long nTensors = b.getLong();
        long nKv = b.getLong();
        for (long i = 0; i < nKv; i++) {
            String key = str();
            int type = b.getInt();
            if (type == 9) {
                int et = b.getInt();
                long n = b.getLong();
                String first = null;
                for (long j = 0; j < n; j++) {
                    String s = skip(et);
                    if (j == 0) {
                        first = s;
                    }
                }
                entries.put(key, new Entry("ARRAY", TYPE_NAMES[et], n, null, first));
            } else {
                entries.put(key, new Entry(TYPE_NAMES[type], null, -1, skip(type), null));
            }
        }
        for (long i = 0; i < nTensors; i++) {
            String name = str();
            int nd = b.getInt();
            long[] dims = new long[nd];
            for (int d = 0; d < nd; d++) {
                dims[d] = b.getLong();
            }
            int type = b.getInt();
            b.getLong();
            tensors.add(new Tensor(name, dims, type));
        }
    }

    private String str() {
        int n = Math.toIntExact(b.getLong());
        byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Skips one value; returns it as text for strings (null otherwise). */
    private String skip(int type) {
        if (type == 8) {
            return str();
        }
        if (type == 9) {
            int et = b.getInt();
            long n = b.getLong();
            for (long j = 0; j < n; j++) {
                skip(et);
            }
            return null;
        }
        b.position(b.position() + SIZES[type]);
        return null;
    }
}
