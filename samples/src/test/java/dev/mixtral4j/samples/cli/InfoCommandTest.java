package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

class InfoCommandTest {

    static Path llamaCppModels() {
        String dir = System.getProperty("mixtral4j.llamacpp.dir");
        assumeTrue(dir != null, "system property mixtral4j.llamacpp.dir not set");
        Path models = Path.of(dir, "src", "models");
        assumeTrue(Files.isDirectory(models), "llama.cpp models folder absent (not fetched): " + models);
        return models;
    }

    static Path mistralVocab() {
        String shared = System.getProperty("mixtral4j.shared");
        assumeTrue(shared != null, "system property mixtral4j.shared not set");
        Path vocab = Path.of(shared, "vocab", "mistral-v1-vocab.gguf");
        assumeTrue(Files.isRegularFile(vocab), "Mixtral vocabulary absent: " + vocab);
        return vocab;
    }

    @TestFactory
    Stream<DynamicTest> readsEveryGgufInLlamaCppModelsFolder() throws IOException {
        Path models = llamaCppModels();
        List<Path> files;
        try (Stream<Path> s = Files.list(models)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        assertTrue(files.size() >= 10, "expected llama.cpp's vocab files in " + models + ", found " + files);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> checkAgainstFile(f)));
    }

    @Test
    void readsMixtralVocabularyAndItsConfig() throws IOException {
        Path vocab = mistralVocab();
        String out = checkAgainstFile(vocab);
        RawGguf raw = new RawGguf(vocab);
        long tokens = raw.entries.get("tokenizer.ggml.tokens").length();
        assertEquals(32000, tokens);
        // The config the file declares, printed from its metadata: 8 experts, 2 used, 32 layers.
        assertTrue(out.contains("experts             8 (2 used per token)"), out);
        assertTrue(out.contains("heads               32 query, 8 key/value (group 4), head dim 128"), out);
        assertTrue(out.contains("vocabulary          " + tokens), out);
        assertTrue(out.contains("not a runnable Mixtral-family model: vocabulary-only file (no tensors)"), out);
    }

    /** Runs info on the file and checks what it printed against an independent walk of the header. */
    static String checkAgainstFile(Path file) throws IOException {
        CliRun run = CliRun.of("info", file.toString());
        assertEquals(0, run.exitCode(), run::toString);
        String out = run.out();
        RawGguf raw = new RawGguf(file);
        assertTrue(out.contains("gguf:     version " + raw.version + ","), out);
        assertTrue(out.contains("size:     " + Files.size(file) + " bytes"), out);
        assertTrue(out.contains("metadata: " + raw.entries.size() + " entries"), out);
        for (Map.Entry<String, RawGguf.Entry> e : raw.entries.entrySet()) {
            RawGguf.Entry v = e.getValue();
            Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(e.getKey()) + " +" + v.type() + " +(.*)$").matcher(out);
            assertTrue(m.find(), () -> "no line for " + e.getKey() + " " + v.type() + " in\n" + out);
            String shown = m.group(1);
            if (v.type().equals("ARRAY")) {
                assertTrue(shown.startsWith(v.elementType() + "[" + v.length() + "]"),
                        () -> e.getKey() + ": expected " + v.elementType() + "[" + v.length() + "] but shown " + shown);
                if (v.firstString() != null && v.firstString().chars().allMatch(c -> c >= 0x20 && c != '"' && c != '\\')) {
                    assertTrue(shown.contains("[\"" + cut(v.firstString()) + "\""), () -> e.getKey() + ": " + shown);
                }
                // Abbreviated: a long array is never printed in full.
                assertTrue(shown.length() < 2000, () -> e.getKey() + " printed " + shown.length() + " chars");
            } else if (v.text() != null && v.text().length() < 60 && v.text().chars().allMatch(c -> c >= 0x20 && c != '"' && c != '\\')) {
                assertEquals("\"" + v.text() + "\"", shown, e.getKey());
            }
        }
        assertTrue(out.contains("tensors:  " + raw.tensors.size() + "\n"), out);
        assertTrue(out.contains("totals:   " + raw.tensors.size() + " tensors"), out);
        for (RawGguf.Tensor t : raw.tensors) {
            assertTrue(Pattern.compile("(?m)^  " + Pattern.quote(t.name()) + " ").matcher(out).find(), t.name());
        }
        if (raw.tensors.isEmpty()) {
            assertTrue(out.contains("not a runnable Mixtral-family model: vocabulary-only file"), out);
        }
        assertTrue(out.contains("\nbackends:\n"), out);
        assertEquals("", run.err(), "nothing on stderr for a readable file");
        return out;
    }

    private static String cut(String s) {
        return s.length() > MetadataFormat.STRING_LIMIT ? s.substring(0, MetadataFormat.STRING_LIMIT) : s;
    }

    @Test
    void missingFileFailsWithOneLineAndExitCode1() {
        CliRun run = CliRun.of("info", "/no/such/file.gguf");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: ") && run.err().contains("/no/such/file.gguf"), run::toString);
        assertEquals(1, run.err().strip().lines().count(), run::toString);
    }

    @Test
    void notAGgufNamesTheProblemAndVerboseAddsTheStackTrace(@TempDir Path dir) throws IOException {
        Path bogus = dir.resolve("bogus.gguf");
        Files.writeString(bogus, "definitely not a model file");
        CliRun run = CliRun.of("info", bogus.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("not a GGUF file"), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
        CliRun verbose = CliRun.of("info", "--verbose", bogus.toString());
        assertEquals(1, verbose.exitCode(), verbose::toString);
        assertTrue(verbose.err().contains("\tat dev.mixtral4j"), verbose::toString);
    }

    @Test
    void truncatedFileIsReportedNotCrashedOn(@TempDir Path dir) throws IOException {
        Path vocab = mistralVocab();
        Path cut = dir.resolve("cut.gguf");
        byte[] all = Files.readAllBytes(vocab);
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        CliRun run = CliRun.of("info", cut.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("truncated") || run.err().contains("past the end"), run::toString);
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, CliRun.of("info").exitCode());
        assertEquals(2, CliRun.of("info", "a.gguf", "--no-such-option").exitCode());
        assertEquals(2, CliRun.of("no-such-command").exitCode());
        assertEquals(2, CliRun.of().exitCode());
    }
}
