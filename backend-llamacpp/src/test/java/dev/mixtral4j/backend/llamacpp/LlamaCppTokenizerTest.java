package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's tokenizer through our bindings against llama.cpp's SPM test vectors
 * ({@code models/ggml-vocab-llama-spm.gguf.inp/.out}, produced by the reference tokenizer).
 */
class LlamaCppTokenizerTest {
    private static LlamaCppTokenizer tokenizer;

    @BeforeAll
    static void open() {
        LlamaRuntime rt = NativeTestSupport.runtime();
        Path vocab = NativeTestSupport.sourceFile("models/ggml-vocab-llama-spm.gguf");
        tokenizer = new LlamaCppTokenizer(rt, vocab.toString());
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    record Case(String text, int[] ids) {
    }

    /** The test-vector pairs, split exactly as llama.cpp's test-tokenizer-0 splits them. */
    static List<Case> cases(String vocabFile) throws IOException {
        Path inp = NativeTestSupport.sourceFile("models/" + vocabFile + ".inp");
        Path out = NativeTestSupport.sourceFile("models/" + vocabFile + ".out");
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
        List<String> outs = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(texts.size(), outs.size(), "inputs vs outputs in " + vocabFile);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String o = outs.get(i).strip();
            int[] ids = o.isEmpty() ? new int[0] : Arrays.stream(o.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(texts.get(i), ids));
        }
        return cases;
    }

    @Test
    void encodesLikeTheReferenceOnEveryTestVector() throws IOException {
        List<Case> cases = cases("ggml-vocab-llama-spm.gguf");
        assertTrue(cases.size() > 30, "expected the full SPM test set, got " + cases.size());
        for (Case c : cases) {
            assertArrayEquals(c.ids(), tokenizer.encode(c.text(), false, false), () -> "text <" + c.text() + ">");
        }
    }

    @Test
    void decodeInvertsEncodeForTheTestVectors() throws IOException {
        for (Case c : cases("ggml-vocab-llama-spm.gguf")) {
            if (c.text().startsWith(" ") || c.text().isEmpty()) {
                continue; // SentencePiece folds a leading space into the space prefix
            }
            assertEquals(c.text(), tokenizer.decode(tokenizer.encode(c.text(), true, false)), () -> "text <" + c.text() + ">");
        }
    }

    @Test
    void specialTokensAndBos() {
        assertEquals(32000, tokenizer.vocabSize());
        assertEquals(1, tokenizer.bosId());
        assertEquals(2, tokenizer.eosId());
        assertTrue(tokenizer.isEndOfGeneration(2));
        assertEquals("</s>", tokenizer.piece(2));
        assertEquals("<0x0A>", tokenizer.piece(13));
        int[] ids = tokenizer.encode("Hello", true, false);
        assertEquals(1, ids[0]);
        assertEquals("▁Hello", tokenizer.piece(ids[1]));
        // control text is plain text unless parsing specials is asked for
        assertEquals(2, tokenizer.encode("</s>", false, true)[0]);
        assertTrue(tokenizer.encode("</s>", false, false).length > 1);
    }

    @Test
    void streamingDecoderHoldsSplitUtf8Characters() {
        String text = "prix: 5 € — 日本";
        int[] ids = tokenizer.encode(text, true, false);
        var decoder = tokenizer.newStreamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String s = decoder.accept(id);
            assertTrue(s.indexOf('\uFFFD') < 0, "replacement character emitted mid-stream");
            sb.append(s);
        }
        sb.append(decoder.flush());
        assertEquals(text, sb.toString());
        assertEquals(text, tokenizer.decode(ids));
    }

    @Test
    void unpairedSurrogatesEncodeAsReplacementCharacter() {
        // Java's UTF-8 encoder alone would turn them into '?'
        int[] replacement = tokenizer.encode("a\uFFFDb", false, false);
        assertArrayEquals(replacement, tokenizer.encode("a\uD800b", false, false));
        assertArrayEquals(replacement, tokenizer.encode("a\uDC00b", false, false));
        assertArrayEquals(tokenizer.encode("\uFFFD\uFFFD", false, false), tokenizer.encode("\uDC00\uD800", false, false));
        assertArrayEquals(tokenizer.encode("\uFFFD", false, false), tokenizer.encode("\uD83D", false, false));
        assertFalse(Arrays.equals(tokenizer.encode("a?b", false, false), replacement));
        // a well-formed pair stays one character
        assertEquals("a\uD83D\uDE00b", tokenizer.decode(tokenizer.encode("a\uD83D\uDE00b", false, false)));
        assertEquals("x", LlamaCppTokenizer.wellFormed("x"));
        assertEquals("\uFFFDa\uD83D\uDE00\uFFFD", LlamaCppTokenizer.wellFormed("\uDE00a\uD83D\uDE00\uD83D"));
    }

    @Test
    void rejectsOutOfRangeIds() {
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {5, 32000}));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.piece(-1));
    }

    @Test
    void chatTemplateFallsBackToMistralInstruct() {
        String prompt = tokenizer.applyChatTemplate(List.of(Message.user("Bonjour !")), true);
        assertTrue(prompt.contains("[INST]") && prompt.contains("Bonjour !") && prompt.contains("[/INST]"), prompt);
    }
}
