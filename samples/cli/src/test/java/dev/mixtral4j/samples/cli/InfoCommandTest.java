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

    @Test
    void aSyntheticMixtralIsRunnableAndItsTensorsAreListed(@TempDir Path dir) throws IOException {
        Path merged = dev.mixtral4j.tools.synthetic.SyntheticModel.builder().tensorType(dev.mixtral4j.gguf.GgmlType.Q8_0)
                .write(dir.resolve("merged.gguf"));
        String out = checkAgainstFile(merged);
        assertTrue(out.contains("runnable            yes"), out);
        assertTrue(out.contains("experts layout      merged (ffn_*_exps)"), out);
        assertTrue(out.contains("experts             4 (2 used per token)"), out);
        assertTrue(Pattern.compile("(?m)^  blk\\.0\\.ffn_gate_exps\\.weight +Q8_0 +\\[64 x 128 x 4] +\\d+$").matcher(out).find(), out);
        // Byte totals add up to what the file's tensors occupy.
        RawGguf raw = new RawGguf(merged);
        assertTrue(out.contains("totals:   " + raw.tensors.size() + " tensors, "), out);
        if (dev.mixtral4j.Backends.discover().available().stream().anyMatch(b -> b.id().equals("java"))) {
            assertTrue(Pattern.compile("(?m)^  java +can run").matcher(out).find(), out);
        }

        Path perExpert = dev.mixtral4j.tools.synthetic.SyntheticModel.builder()
                .expertLayout(dev.mixtral4j.tools.synthetic.SyntheticModel.ExpertLayout.PER_EXPERT).write(dir.resolve("per-expert.gguf"));
        String out2 = checkAgainstFile(perExpert);
        assertTrue(out2.contains("experts layout      per expert (ffn_*.E.weight)"), out2);
        assertTrue(out2.contains("runnable            yes"), out2);
    }

    @Test
    void aModelMissingATensorSaysWhichOne(@TempDir Path dir) throws IOException {
        // A file whose metadata promises 3 layers while the tensors hold 2: not runnable, and why.
        Path two = dev.mixtral4j.tools.synthetic.SyntheticModel.builder().layers(2).write(dir.resolve("two.gguf"));
        Path lying = dir.resolve("lying.gguf");
        byte[] bytes = Files.readAllBytes(two);
        RawGguf raw = new RawGguf(two);
        assertEquals("UINT32", raw.entries.get("llama.block_count").type());
        int at = indexOf(bytes, "llama.block_count".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        int value = at + "llama.block_count".length() + 4;
        assertEquals(2, bytes[value]);
        bytes[value] = 3;
        Files.write(lying, bytes);
        CliRun run = CliRun.of("info", lying.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("not a runnable Mixtral-family model: ") && run.out().contains("blk.2."), run::toString);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
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
        RawGguf.Entry arch = raw.entries.get("general.architecture");
        if (arch != null && !arch.text().equals("llama")) {
            assertTrue(out.contains("architecture '" + arch.text() + "' is not Mixtral-family"), out);
        }
        if (arch != null && out.contains("\n  rope ")) {
            // A value the file does not set is marked as ModelConfig's default, and only then.
            boolean set = raw.entries.containsKey(arch.text() + ".rope.freq_base");
            assertEquals(!set, Pattern.compile("(?m)^  rope .*base [0-9.E-]+ \\(default\\)$").matcher(out).find(), out);
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
