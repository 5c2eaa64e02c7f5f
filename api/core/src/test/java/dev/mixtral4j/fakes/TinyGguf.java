package dev.mixtral4j.fakes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a GGUF v3 file with metadata only (no tensors): enough for {@code ModelFile.open} and a
 * fake backend, which never reads weights.
 */
public final class TinyGguf {

    private TinyGguf() {
    }

    /** A Mixtral-shaped config with the {@link CharTokenizer} vocabulary. */
    public static Map<String, Object> charModel(int contextLength) {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", "llama");
        md.put("llama.context_length", contextLength);
        md.put("llama.embedding_length", 8);
        md.put("llama.block_count", 1);
        md.put("llama.feed_forward_length", 16);
        md.put("llama.attention.head_count", 2);
        md.put("llama.attention.head_count_kv", 1);
        md.put("llama.expert_count", 4);
        md.put("llama.expert_used_count", 2);
        md.put("llama.vocab_size", CharTokenizer.VOCAB);
        md.put("tokenizer.ggml.model", CharTokenizer.MODEL_NAME);
        return md;
    }

    public static Path write(Path file, Map<String, Object> metadata) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(4).putInt(0x46554747).array());
        out.writeBytes(le(4).putInt(3).array());
        out.writeBytes(le(8).putLong(0).array());
        out.writeBytes(le(8).putLong(metadata.size()).array());
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            string(out, e.getKey());
            Object v = e.getValue();
            if (v instanceof String s) {
                out.writeBytes(le(4).putInt(8).array());
                string(out, s);
            } else if (v instanceof Integer i) {
                out.writeBytes(le(4).putInt(4).array());
                out.writeBytes(le(4).putInt(i).array());
            } else if (v instanceof Float f) {
                out.writeBytes(le(4).putInt(6).array());
                out.writeBytes(le(4).putFloat(f).array());
            } else if (v instanceof Boolean b) {
                out.writeBytes(le(4).putInt(7).array());
                out.write(b ? 1 : 0);
            } else {
                throw new IllegalArgumentException("unsupported metadata value " + v);
            }
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le(8).putLong(b.length).array());
        out.writeBytes(b);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
