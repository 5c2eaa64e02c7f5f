package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's own tokenizer test vectors for SentencePiece vocabularies
 * ({@code models/ggml-vocab-*.gguf} with {@code .inp}/{@code .out}), read at test time: the
 * {@code .inp} file holds the texts separated by {@code "\n__ggml_vocab_test__\n"}, the
 * {@code .out} file one line of space-separated ids per text, encoded without BOS and without
 * special-token parsing (as tests/test-tokenizer-0.cpp reads them).
 */
class LlamaCppVectorsTest {

    record Case(String text, int[] ids) {
    }

    static List<Case> read(Path gguf) throws IOException {
        Path inp = Path.of(gguf + ".inp");
        Path out = Path.of(gguf + ".out");
        assumeTrue(Files.isRegularFile(inp) && Files.isRegularFile(out), "no test vectors beside " + gguf);
        String raw = Files.readString(inp, StandardCharsets.UTF_8);
        String sep = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(sep, pos);
            if (next < 0) {
                texts.add(raw.substring(pos));
                break;
            }
            texts.add(raw.substring(pos, next));
            pos = next + sep.length();
        }
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(texts.size(), lines.size(), "inputs and outputs of " + gguf.getFileName());
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String line = lines.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(texts.get(i), ids));
        }
        return cases;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void encodesLikeLlamaCpp(String file) throws IOException {
        Path gguf = TestVocabularies.llamaCppModels().resolve(file);
        assumeTrue(Files.isRegularFile(gguf), "missing " + gguf);
        SpmTokenizer tok = TestVocabularies.load(gguf);
        List<Case> cases = read(gguf);
        assertTrue(cases.size() >= 40, "expected the full set of vectors, got " + cases.size());
        for (Case c : cases) {
            assertArrayEquals(c.ids(), tok.encode(c.text(), false, false), () -> "text '" + c.text() + "'");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void decodesTheVectorsBackToTheirText(String file) throws IOException {
        Path gguf = TestVocabularies.llamaCppModels().resolve(file);
        assumeTrue(Files.isRegularFile(gguf), "missing " + gguf);
        SpmTokenizer tok = TestVocabularies.load(gguf);
        for (Case c : read(gguf)) {
            assertEquals(c.text(), tok.decode(c.ids()), () -> "ids " + Arrays.toString(c.ids()));
        }
    }
}
