package dev.mixtral4j.tokenizer.bench;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding speed on Mixtral's vocabulary, one thread: English prose, French prose and Java code
 * (about 2-3 KB each, in test resources), and a 1 MB line without spaces (the worst case for a
 * merge loop that rescans). {@code impl} picks the tokenizer provider: {@code spm} (this module)
 * or {@code llamacpp} (llama.cpp's {@code llama_tokenize} through the llama.cpp backend, on the
 * class path under -Pbench), both with the same text, vocabulary, no BOS and no special parsing.
 * Run with {@code ./mvnw -B -pl tokenizer -am -Pbench verify -DskipTests} (see docs/tokenizer.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class TokenizerBenchmark {
    @Param({"english", "french", "code", "nospace-1MB"})
    public String text;

    @Param({"spm", "llamacpp"})
    public String impl;

    private ModelFile model;
    private Tokenizer tokenizer;
    private String input;

    @Setup
    public void setUp() throws IOException {
        Path vocab = Path.of(System.getProperty("mixtral4j.shared", "../shared"), "vocab", "mistral-v1-vocab.gguf");
        model = ModelFile.open(vocab);
        tokenizer = null;
        for (TokenizerProvider p : ServiceLoader.load(TokenizerProvider.class)) {
            if (p.id().equals(impl)) {
                Availability a = p.supports(model);
                if (!a.available()) {
                    throw new IllegalStateException("tokenizer " + impl + " unavailable: " + a.reason());
                }
                tokenizer = p.create(model);
            }
        }
        if (tokenizer == null) {
            throw new IllegalStateException("no tokenizer provider '" + impl + "' on the class path");
        }
        if (text.equals("nospace-1MB")) {
            StringBuilder sb = new StringBuilder(1 << 20);
            while (sb.length() < (1 << 20)) {
                sb.append("abcdefghijklmnopqrstuvwxyz0123456789");
            }
            input = sb.substring(0, 1 << 20);
        } else {
            try (InputStream in = TokenizerBenchmark.class.getResourceAsStream(text + ".txt")) {
                input = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        System.out.printf("%n[%s/%s] %d chars, %d UTF-8 bytes, %d tokens%n", impl, text, input.length(),
                input.getBytes(StandardCharsets.UTF_8).length, tokenizer.encode(input, false, false).length);
    }

    @TearDown
    public void tearDown() throws Exception {
        if (tokenizer instanceof AutoCloseable c) {
            c.close();
        }
        model.close();
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(input, false, false);
    }

    /** For standalone runs: {@code java -cp <test classpath> ...TokenizerBenchmark [jmh options]}. */
    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args.length > 0 ? args : new String[] {TokenizerBenchmark.class.getName()});
    }
}
