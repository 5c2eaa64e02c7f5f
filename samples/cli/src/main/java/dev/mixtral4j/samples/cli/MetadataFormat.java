package dev.mixtral4j.samples.cli;

import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import java.lang.reflect.Array;

/** Renders GGUF metadata values on one line: long strings cut, long arrays as their head and count. */
final class MetadataFormat {
    static final int ARRAY_HEAD = 8;
    static final int STRING_LIMIT = 80;

    private MetadataFormat() {
    }

    static String format(MetadataValue v) {
        return v.value() instanceof MetadataArray a ? array(a) : scalar(v.value());
    }

    /** e.g. {@code STRING[32000] ["<unk>", "<s>", "</s>", ...]}. */
    static String array(MetadataArray a) {
        int n = a.length();
        StringBuilder sb = new StringBuilder().append(a.elementType()).append('[').append(n).append("] [");
        int shown = Math.min(n, ARRAY_HEAD);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object e = Array.get(a.values(), i);
            sb.append(e instanceof MetadataArray nested ? array(nested) : scalar(e));
        }
        if (n > shown) {
            sb.append(", ...");
        }
        return sb.append(']').toString();
    }

    static String scalar(Object v) {
        return v instanceof String s ? quote(s) : String.valueOf(v);
    }

    /** Quoted, with control characters escaped and long text cut (its length shown). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int limit = Math.min(s.length(), STRING_LIMIT);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
        if (s.length() > limit) {
            sb.append("... (").append(s.length()).append(" chars)");
        }
        return sb.toString();
    }
}
