package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = SyntheticModel.builder().name("gen").seed(5).vocabSize(400).contextLength(256).write(dir.resolve("gen.gguf"));
    }

    /** The tokenizer for the file, found directly through the SPI (highest rank that supports it). */
    static Tokenizer tokenizer(ModelFile mf) {
        return ServiceLoader.load(TokenizerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.supports(mf).available())
                .max(java.util.Comparator.comparingInt(TokenizerProvider::rank)).orElseThrow().create(mf);
    }

    /** Greedy continuation computed with a bare backend session and the tokenizer, no generation loop. */
    static String greedyText(Backend backend, String prompt, int n) throws IOException {
        try (ModelFile mf = ModelFile.open(model);
             BackendModel bm = backend.load(mf, LoadOptions.builder().backend(backend.id()).build());
             BackendSession s = bm.newSession(new SessionOptions(256, null, 512))) {
            Tokenizer tok = tokenizer(mf);
            int[] ids = tok.encode(prompt, true, false);
            List<Integer> out = new ArrayList<>();
            int next = s.forward(ids, 0, false).argmax(0);
            for (int i = 0; i < n && !tok.isEndOfGeneration(next); i++) {
                out.add(next);
                next = s.forward(new int[] {next}, ids.length + i, false).argmax(0);
            }
            // The continuation is the decoded whole minus the decoded prompt (a first piece's
            // leading space is dropped by decode, which a continuation must keep).
            int[] all = java.util.stream.IntStream.concat(java.util.Arrays.stream(ids), out.stream().mapToInt(Integer::intValue)).toArray();
            String whole = tok.decode(all);
            String head = tok.decode(ids);
            assertTrue(whole.startsWith(head), whole);
            return whole.substring(head.length());
        }
    }

    @Test
    void greedyGenerationStreamsWhatTheModelPredicts() throws IOException {
        Backend java = DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("generate", "-m", model.toString(), "--backend", "java", "-p", "Once upon a time",
                "-n", "12", "--greedy", "--no-echo");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(greedyText(java, "Once upon a time", 12) + System.lineSeparator(), run.out());
        assertTrue(run.err().contains("[java] prompt: "), run::toString);
        assertTrue(run.err().matches("(?s).*generated: \\d+ tokens at [0-9.]+ t/s.*"), run::toString);
        // With echo (the default) the prompt comes first.
        CliRun echo = CliRun.of("generate", "-m", model.toString(), "--backend", "java", "-p", "Once upon a time",
                "-n", "12", "--greedy");
        assertEquals("Once upon a time" + run.out(), echo.out());
    }

    @Test
    void aSeedMakesSamplingRepeatableAndThePromptMayComeFromAFile() throws IOException {
        DemoCommandTest.javaBackend();
        Path promptFile = Files.writeString(dir.resolve("prompt.txt"), "The weather");
        String[] args = {"generate", "-m", model.toString(), "--backend", "java", "-f", promptFile.toString(), "-n", "10",
            "--temp", "1.2", "--top-k", "50", "--seed", "1234", "--repeat-penalty", "1.1", "--no-echo"};
        CliRun a = CliRun.of(args);
        CliRun b = CliRun.of(args);
        assertEquals(0, a.exitCode(), a::toString);
        assertEquals(a.out(), b.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, CliRun.of("generate", "-m", model.toString()).exitCode(), "no prompt");
        assertEquals(2, CliRun.of("generate", "-m", model.toString(), "-p", "x", "-f", "y").exitCode(), "two prompts");
        assertEquals(2, CliRun.of("generate", "-m", model.toString(), "-p", "x", "--top-p", "1.5").exitCode());
        assertEquals(2, CliRun.of("generate", "-m", model.toString(), "-p", "x", "--sampler", "no-such-sampler").exitCode());
        assertEquals(2, CliRun.of("generate", "-m", model.toString(), "-p", "x", "-n", "0").exitCode());
        CliRun missing = CliRun.of("generate", "-m", dir.resolve("absent.gguf").toString(), "-p", "x");
        assertEquals(1, missing.exitCode(), missing::toString);
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains("absent.gguf"), missing::toString);
    }
}
