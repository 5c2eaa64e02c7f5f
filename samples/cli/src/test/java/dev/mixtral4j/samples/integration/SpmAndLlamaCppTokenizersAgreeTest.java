package dev.mixtral4j.samples.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tokenizer module's "spm" and llama.cpp's own tokenizer ("llamacpp"), both through
 * ServiceLoader, agree on llama.cpp's SPM test texts: on the test vocabulary
 * (ggml-vocab-llama-spm.gguf) and on Mixtral's real vocabulary (shared/vocab). Also on text
 * that is not well-formed UTF-16: the Tokenizer contract encodes an unpaired surrogate as U+FFFD.
 */
class SpmAndLlamaCppTokenizersAgreeTest {

    static Stream<String> vocabularies() {
        return Stream.of("llama-spm", "mistral-v1");
    }

    private static Path vocab(String which) {
        Path p = which.equals("mistral-v1")
                ? Path.of(System.getProperty("mixtral4j.shared", "../shared"), "vocab", "mistral-v1-vocab.gguf")
                : Path.of(System.getProperty("mixtral4j.llamacpp.dir", ".cache/llama.cpp/3.22.1"), "src", "models",
                        "ggml-vocab-llama-spm.gguf");
        assumeTrue(Files.isRegularFile(p), () -> p + " absent");
        return p;
    }

    /** llama.cpp's SPM test texts, split as its test-tokenizer-0 splits them. */
    private static List<String> texts() throws IOException {
        Path inp = Path.of(System.getProperty("mixtral4j.llamacpp.dir", ".cache/llama.cpp/3.22.1"), "src", "models",
                "ggml-vocab-llama-spm.gguf.inp");
        assumeTrue(Files.isRegularFile(inp), () -> inp + " absent (llama.cpp not fetched)");
        String raw = Files.readString(inp, StandardCharsets.UTF_8);
        String sep = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        for (int pos = 0; pos < raw.length(); ) {
            int next = raw.indexOf(sep, pos);
            texts.add(next < 0 ? raw.substring(pos) : raw.substring(pos, next));
            pos = next < 0 ? raw.length() : next + sep.length();
        }
        return texts;
    }

    /** Unpaired high and low surrogates, alone, at either end, reversed, next to a real pair. */
    private static final List<String> LONE_SURROGATES = List.of("a\uD800b", "a\uDC00b", "\uD83D", "x\uDE00",
            "\uDC00\uD800", "Hello \uD83D world", "\uD83D\uDE00\uDE00 ok", "\uD800\uD800\uD800");

    private static String escaped(String text) {
        StringBuilder sb = new StringBuilder("<");
        text.chars().forEach(c -> sb.append(c < 0x7F ? String.valueOf((char) c) : String.format("\\u%04X", c)));
        return sb.append('>').toString();
    }

    private static Tokenizer tokenizer(String id, ModelFile file) {
        TokenizerProvider p = ServiceLoader.load(TokenizerProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.id().equals(id)).findFirst().orElse(null);
        assumeTrue(p != null, () -> "tokenizer " + id + " not on the class path");
        assumeTrue(p.supports(file).available(), () -> "tokenizer " + id + ": " + p.supports(file).reason());
        return p.create(file);
    }

    @ParameterizedTest
    @MethodSource("vocabularies")
    void encodeAndDecodeAgree(String which) throws IOException {
        List<String> texts = texts();
        assertTrue(texts.size() > 30);
        try (ModelFile file = ModelFile.open(vocab(which))) {
            Tokenizer spm = tokenizer("spm", file);
            Tokenizer llama = tokenizer("llamacpp", file);
            assertEquals(spm.vocabSize(), llama.vocabSize());
            assertEquals(spm.bosId(), llama.bosId());
            assertEquals(spm.eosId(), llama.eosId());
            for (String text : texts) {
                int[] ids = spm.encode(text, true, false);
                assertArrayEquals(ids, llama.encode(text, true, false), () -> which + ": <" + text + ">");
                assertEquals(spm.decode(ids), llama.decode(ids), () -> which + " decode: <" + text + ">");
            }
            for (String text : LONE_SURROGATES) {
                int[] ids = spm.encode(text, true, false);
                assertArrayEquals(ids, llama.encode(text, true, false), () -> which + ": " + escaped(text));
                assertArrayEquals(ids, spm.encode(text.replaceAll("\\p{Cs}", "\uFFFD"), true, false),
                        () -> which + ": surrogates as U+FFFD " + escaped(text));
                assertEquals(spm.decode(ids), llama.decode(ids), () -> which + " decode: " + escaped(text));
            }
            for (int id = 0; id < spm.vocabSize(); id += 97) {
                assertEquals(spm.piece(id), llama.piece(id), which + " piece " + id);
            }
        }
    }
}
