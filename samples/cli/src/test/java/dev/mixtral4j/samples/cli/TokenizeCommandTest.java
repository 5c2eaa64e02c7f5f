package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenizeCommandTest {

    @Test
    void printsIdsAndPieces() {
        Path vocab = InfoCommandTest.mistralVocab();
        CliRun r = CliRun.of("tokenize", "--model", vocab.toString(), "--text", "Hello world");
        assertEquals(0, r.exitCode(), r::toString);
        // Mixtral's ids for "Hello world" as SentencePiece gives them, after BOS.
        assertEquals(List.of("     1  <s>", " 22557  \u2581Hello", "  1526  \u2581world", "3 tokens"), r.out().lines().toList());
        CliRun noBos = CliRun.of("tokenize", "-m", vocab.toString(), "--text", "Hello world", "--no-bos");
        assertEquals("2 tokens", noBos.out().lines().reduce((a, b) -> b).orElseThrow(), noBos::toString);
    }

    @Test
    void jsonlReadsTextLinesAndWritesIdLines() {
        Path vocab = InfoCommandTest.mistralVocab();
        String input = "{\"text\": \"Hello world\"}\n\n{\"id\": 7, \"text\": \"\\u00c9t\\u00e9 \\ud83e\\udd99\\n\"}\n{\"text\": \"\"}\n";
        InputStream saved = System.in;
        CliRun r;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            r = CliRun.of("tokenize", "--model", vocab.toString(), "--jsonl");
        } finally {
            System.setIn(saved);
        }
        assertEquals(0, r.exitCode(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r::toString);
        assertEquals("{\"ids\":[22557,1526]}", lines.get(0));
        assertTrue(lines.get(1).matches("\\{\"ids\":\\[\\d+(,\\d+)*\\]\\}"), lines.get(1));
        assertEquals("{\"ids\":[]}", lines.get(2));
    }

    @Test
    void badJsonlLineIsReportedWithItsNumber() {
        Path vocab = InfoCommandTest.mistralVocab();
        InputStream saved = System.in;
        CliRun r;
        try {
            System.setIn(new ByteArrayInputStream("{\"text\": \"ok\"}\n{\"text\": 3}\n".getBytes(StandardCharsets.UTF_8)));
            r = CliRun.of("tokenize", "--model", vocab.toString(), "--jsonl");
        } finally {
            System.setIn(saved);
        }
        assertEquals(Mixtral4jCli.FAILURE, r.exitCode(), r::toString);
        assertTrue(r.err().contains("stdin line 2"), r::toString);
    }

    @Test
    void textAndJsonlAreExclusiveAndOneIsRequired() {
        Path vocab = InfoCommandTest.mistralVocab();
        assertEquals(Mixtral4jCli.USAGE, CliRun.of("tokenize", "--model", vocab.toString()).exitCode());
        assertEquals(Mixtral4jCli.USAGE, CliRun.of("tokenize", "--model", vocab.toString(), "--text", "a", "--jsonl").exitCode());
        // -t means --threads in every command; tokenize has no threads, so it is not an option here
        assertEquals(Mixtral4jCli.USAGE, CliRun.of("tokenize", "--model", vocab.toString(), "-t", "a").exitCode());
    }

    @Test
    void jsonReaderHandlesEscapesAndRejectsGarbage() {
        Object v = JsonReader.parse(" {\"text\": \"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\", \"n\": [1, -2.5e3, true, false, null, {}]} ");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals("a\"b\\c/\b\f\n\r\tA\uD83D\uDE00", m.get("text"));
        List<?> n = assertInstanceOf(List.class, m.get("n"));
        assertEquals(-2500.0, n.get(1));
        assertNull(n.get(4));
        for (String bad : List.of("", "{", "{\"text\": \"x}", "{\"text\": \"\\q\"}", "{\"a\" 1}", "[1,]", "{\"t\": \"\u0001\"}", "1 2", "\"\\u12\"")) {
            assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(bad), bad);
        }
    }
}
