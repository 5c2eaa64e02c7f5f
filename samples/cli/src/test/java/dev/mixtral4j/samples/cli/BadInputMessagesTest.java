package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.testkit.GgufRewrite;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input ends in one {@code error:} line saying what is wrong with which file, exit 1, no stack
 * trace. Each case used to print something else: "Input length = 1", a bare path, a blamed tensor,
 * an OutOfMemoryError or NegativeArraySizeException with its trace.
 */
class BadInputMessagesTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = SyntheticModel.builder().name("bad-input").seed(9).write(dir.resolve("model.gguf"));
    }

    private static String oneErrorLine(CliRun run) {
        assertEquals(1, run.exitCode(), run.toString());
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), run.toString());
        assertTrue(err.startsWith("error: "), run.toString());
        assertFalse(err.contains("\tat ") || err.contains("Exception:"), run.toString());
        return err;
    }

    @Test
    void aPromptFileThatIsNotUtf8() throws IOException {
        Path prompt = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        String err = oneErrorLine(CliRun.of("generate", "-m", model.toString(), "-b", "java", "-f", prompt.toString(), "-n", "1"));
        assertEquals("error: --prompt-file " + prompt + " is not UTF-8 text (invalid byte 0xe9 at offset 3)", err);
    }

    @Test
    void aMissingModelOrPromptFile() {
        Path absent = dir.resolve("absent.gguf");
        String err = oneErrorLine(CliRun.of("generate", "-m", absent.toString(), "-b", "java", "-p", "hi", "-n", "1"));
        assertTrue(err.contains("no such file") && err.contains(absent.toString()), err);
        Path noPrompt = dir.resolve("no-prompt.txt");
        err = oneErrorLine(CliRun.of("generate", "-m", model.toString(), "-b", "java", "-f", noPrompt.toString(), "-n", "1"));
        assertEquals("error: no such file or folder: " + noPrompt, err);
    }

    @Test
    void anUnwritableLogitsOut() {
        Path out = dir.resolve("no-such-folder").resolve("logits.f32");
        String err = oneErrorLine(CliRun.of("eval", "-m", model.toString(), "-b", "java", "--tokens", "1,2", "--logits-out", out.toString()));
        assertEquals("error: cannot write --logits-out " + out + ": folder " + out.getParent() + " does not exist", err);
        err = oneErrorLine(CliRun.of("eval", "-m", model.toString(), "-b", "java", "--tokens", "1,2", "--logits-out", dir.toString()));
        assertEquals("error: cannot write --logits-out " + dir + ": it is a folder", err);
    }

    @Test
    void generateOnAVocabularyOnlyFile() throws IOException {
        Path vocab = GgufRewrite.of(model).dropTensors(n -> true).write(dir.resolve("vocab-only.gguf"));
        String err = oneErrorLine(CliRun.of("generate", "-m", vocab.toString(), "-p", "hi", "-n", "1"));
        assertTrue(err.contains("it is a vocabulary-only file (no tensors)"), err);
        assertFalse(err.contains("per-expert") || err.contains("missing"), err);
    }

    @Test
    void hugeSizesFromTheFileAreOneLine() throws IOException {
        Path layers = GgufRewrite.of(model).metadata("llama.block_count", MetadataValue.ofUint32(Integer.MAX_VALUE))
                .write(dir.resolve("layers.gguf"));
        String err = oneErrorLine(CliRun.of("generate", "-m", layers.toString(), "-b", "java", "-p", "hi", "-n", "1"));
        assertTrue(err.contains("blk.2."), err);
        Path ctx = GgufRewrite.of(model).metadata("llama.context_length", MetadataValue.ofUint32(Integer.MAX_VALUE))
                .write(dir.resolve("ctx.gguf"));
        err = oneErrorLine(CliRun.of("generate", "-m", ctx.toString(), "-b", "java", "-c", "2147483647", "-p", "hi", "-n", "1"));
        assertTrue(err.contains("KV cache of 2147483647 tokens") && err.contains("of memory available"), err);
    }

    /** `info` says llamacpp can run a file only when its file rules pass. */
    @Test
    void infoSaysLlamaCppCanRunOnlyWhatItsRulesPass() throws IOException {
        if (Backends.discover().available().stream().noneMatch(b -> b.id().equals("llamacpp"))) {
            org.junit.jupiter.api.Assumptions.abort("llama.cpp not available here");
        }
        String[] tokens;
        try (GgufFile g = GgufFile.open(model)) {
            tokens = g.metadata().findStringArray("tokenizer.ggml.tokens").orElseThrow().clone();
        }
        tokens[299] = tokens[298];
        Path dup = GgufRewrite.of(model).metadata("tokenizer.ggml.tokens",
                MetadataValue.ofArray(new MetadataValue.MetadataArray(GgufValueType.STRING, tokens))).write(dir.resolve("dup.gguf"));
        CliRun bad = CliRun.of("info", "--no-tensors", dup.toString());
        assertEquals(0, bad.exitCode(), bad.toString());
        assertTrue(Pattern.compile("(?m)^  llamacpp +cannot run: .*twice \\(ids 298 and 299\\)").matcher(bad.out()).find(), bad.out());
        CliRun good = CliRun.of("info", "--no-tensors", model.toString());
        assertTrue(Pattern.compile("(?m)^  llamacpp +can run").matcher(good.out()).find(), good.out());
    }
}
