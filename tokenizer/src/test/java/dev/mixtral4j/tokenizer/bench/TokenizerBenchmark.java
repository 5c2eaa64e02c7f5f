package dev.mixtral4j.tokenizer.bench;

import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.tokenizer.SpmTokenizer;
import dev.mixtral4j.tokenizer.Vocabulary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding speed on Mixtral's vocabulary, one thread: English prose, French prose and Java code
 * (about 2-3 KB each, in test resources), and a 1 MB line without spaces (the worst case for a
 * merge loop that rescans). Run with {@code ./mvnw -B -pl tokenizer -am -Pbench verify -DskipTests}
 * (see docs/tokenizer.md).
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

    private SpmTokenizer tokenizer;
    private String input;

    @Setup
    public void setUp() throws IOException {
        Path vocab = Path.of(System.getProperty("mixtral4j.shared", "../shared"), "vocab", "mistral-v1-vocab.gguf");
        try (GgufFile f = GgufFile.open(vocab)) {
            tokenizer = new SpmTokenizer(Vocabulary.fromMetadata(f.metadata(), vocab.toString()));
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
        System.out.printf("%n[%s] %d chars, %d UTF-8 bytes, %d tokens%n", text, input.length(),
                input.getBytes(StandardCharsets.UTF_8).length, tokenizer.encode(input, false, false).length);
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
