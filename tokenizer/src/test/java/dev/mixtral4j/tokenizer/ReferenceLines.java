package dev.mixtral4j.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the reference vectors written by {@code tokenizer/scripts/spm_reference_vectors.py}:
 * lines of exactly {@code {"text": "<json string>", "ids": [1, 2, 3]}}, ASCII-only JSON.
 */
final class ReferenceLines {
    record Line(String text, int[] ids) {
    }

    static List<Line> read(String resource) throws IOException {
        List<Line> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                ReferenceLines.class.getResourceAsStream(resource), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(parse(l));
            }
        }
        return lines;
    }

    static Line parse(String l) {
        String head = "{\"text\": \"";
        if (!l.startsWith(head)) {
            throw new IllegalArgumentException("bad line " + l);
        }
        StringBuilder sb = new StringBuilder();
        int i = head.length();
        while (l.charAt(i) != '"') {
            char c = l.charAt(i++);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = l.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(l.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
        int open = l.indexOf('[', i);
        int close = l.indexOf(']', open);
        String body = l.substring(open + 1, close).strip();
        int[] ids = body.isEmpty() ? new int[0]
                : java.util.Arrays.stream(body.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
        return new Line(sb.toString(), ids);
    }
}
