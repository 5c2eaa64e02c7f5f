package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.ModelFormatException;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Hostile text and broken vocabularies: a defined result or a clear error, never a crash from deep inside. */
class BadInputTest {

    @Test
    void unpairedSurrogatesEncodeAsReplacementCharacter() {
        SpmTokenizer t = TestVocabularies.mistral();
        assertArrayEquals(t.encode("a\uFFFDb", false, false), t.encode("a\uD800b", false, false));
        assertArrayEquals(t.encode("a\uFFFDb", false, false), t.encode("a\uDC00b", false, false));
        assertArrayEquals(t.encode("\uFFFD", false, false), t.encode("\uD83D", false, false));
        assertEquals("a\uFFFDb", t.decode(t.encode("a\uDFFFb", false, false)));
    }

    @Test
    void nulAndControlCharactersRoundTrip() {
        SpmTokenizer t = TestVocabularies.mistral();
        String s = "\u0000x\u0001\u0007\u001b[0m\u007f\u0085\u2028";
        int[] ids = t.encode(s, false, false);
        assertEquals(3 + 0x00, ids[1], "NUL is byte token <0x00>");
        assertEquals(s, t.decode(ids));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        SpmTokenizer t = TestVocabularies.mistral();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {5, 32000}));
        assertTrue(e.getMessage().contains("32000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.piece(-1));
        assertThrows(IllegalArgumentException.class, () -> t.newStreamingDecoder().accept(99999));
    }

    @Test
    void invalidUtf8FromByteTokensDecodesToReplacementCharacters() {
        SpmTokenizer t = TestVocabularies.mistral();
        int b = 3; // <0x00> is id 3, so <0xXX> is 3 + XX
        assertEquals("\uFFFD", t.decode(new int[] {b + 0xFF}));
        assertEquals("\uFFFDA", t.decode(new int[] {b + 0xE6, b + 0x88, b + 'A'}));
        assertEquals("\uFFFD\uFFFD", t.decode(new int[] {b + 0xC0, b + 0xAF}));
        assertEquals("\uFFFD", t.decode(new int[] {b + 0xF0, b + 0x9F, b + 0xA6}));
    }

    @Test
    void nullArgumentsAreRejectedByName() {
        SpmTokenizer t = TestVocabularies.mistral();
        assertThrows(NullPointerException.class, () -> t.encode(null, false, false));
        assertThrows(NullPointerException.class, () -> t.decode(null));
    }

    private static ModelFormatException broken(Consumer<Map<String, MetadataValue>> edit) {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard().normal("▁", -1).normal("a", -2);
        Map<String, MetadataValue> m = b.metadata();
        edit.accept(m);
        return assertThrows(ModelFormatException.class,
                () -> Vocabulary.fromMetadata(TestVocabularies.Builder.metadataOf(m), "test.gguf"));
    }

    @Test
    void vocabularyWithMissingOrInconsistentArraysIsRejected() {
        assertMessage(broken(m -> m.remove("tokenizer.ggml.tokens")), "tokenizer.ggml.tokens", "missing");
        assertMessage(broken(m -> m.remove("tokenizer.ggml.model")), "tokenizer.ggml.model", "missing");
        assertMessage(broken(m -> m.put("tokenizer.ggml.model", MetadataValue.ofString("gpt2"))), "gpt2");
        assertMessage(broken(m -> m.put("tokenizer.ggml.scores", MetadataValue.ofArray(
                new MetadataArray(GgufValueType.FLOAT32, new float[3])))), "tokenizer.ggml.scores", "3");
        assertMessage(broken(m -> m.put("tokenizer.ggml.token_type", MetadataValue.ofArray(
                new MetadataArray(GgufValueType.INT32, new int[5])))), "token_type", "5");
        assertMessage(broken(m -> m.put("tokenizer.ggml.tokens", MetadataValue.ofArray(
                new MetadataArray(GgufValueType.INT32, new int[261])))), "tokenizer.ggml.tokens");
        assertMessage(broken(m -> m.put("tokenizer.ggml.tokens", MetadataValue.ofArray(
                new MetadataArray(GgufValueType.STRING, new String[0])))), "empty");
        assertMessage(broken(m -> m.put("tokenizer.ggml.bos_token_id", MetadataValue.ofUint32(5000))), "bos_token_id", "5000");
        assertMessage(broken(m -> {
            int[] types = new int[261];
            java.util.Arrays.fill(types, 1);
            types[7] = 9;
            m.put("tokenizer.ggml.token_type", MetadataValue.ofArray(new MetadataArray(GgufValueType.INT32, types)));
        }), "token_type[7]", "9");
        assertMessage(broken(m -> {
            float[] s = new float[261];
            s[100] = Float.NaN;
            m.put("tokenizer.ggml.scores", MetadataValue.ofArray(new MetadataArray(GgufValueType.FLOAT32, s)));
        }), "scores[100]", "NaN");
        assertMessage(broken(m -> {
            String[] p = new String[261];
            for (int i = 0; i < p.length; i++) {
                p[i] = "p" + i;
            }
            int[] types = new int[261];
            java.util.Arrays.fill(types, 1);
            types[4] = TokenType.BYTE.id();
            m.put("tokenizer.ggml.tokens", MetadataValue.ofArray(new MetadataArray(GgufValueType.STRING, p)));
            m.put("tokenizer.ggml.token_type", MetadataValue.ofArray(new MetadataArray(GgufValueType.INT32, types)));
        }), "tokens[4]", "BYTE");
    }

    @Test
    void optionalArraysTakeLlamaCppDefaults() {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard().normal("▁", -1).normal("a", -2);
        Map<String, MetadataValue> m = b.metadata();
        m.remove("tokenizer.ggml.scores");
        m.remove("tokenizer.ggml.token_type");
        m.remove("tokenizer.ggml.add_space_prefix");
        Vocabulary v = Vocabulary.fromMetadata(TestVocabularies.Builder.metadataOf(m), "test.gguf");
        assertEquals(TokenType.NORMAL, v.type(1));
        assertTrue(v.addSpacePrefix());
        assertEquals(0f, v.score(260));
        // Without types no byte tokens exist, so unknown characters become <unk>.
        assertArrayEquals(new int[] {259, 0}, new SpmTokenizer(v).encode("é", false, false));
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' should mention '" + p + "'");
        }
    }
}
