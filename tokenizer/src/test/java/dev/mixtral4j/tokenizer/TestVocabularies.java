package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Where the real vocabularies are, and small synthetic ones built piece by piece. */
final class TestVocabularies {
    private TestVocabularies() {
    }

    static Path llamaCppModels() {
        String dir = System.getProperty("mixtral4j.llamacpp.dir");
        assumeTrue(dir != null, "system property mixtral4j.llamacpp.dir is not set");
        Path models = Path.of(dir, "src", "models");
        assumeTrue(Files.isDirectory(models), "llama.cpp test vocabularies not found at " + models
                + " (the build fetches them with scripts/fetch-llama-cpp.sh)");
        return models;
    }

    static Path llamaCppTemplates() {
        return llamaCppModels().resolve("templates");
    }

    static Path mistralVocabPath() {
        String shared = System.getProperty("mixtral4j.shared");
        assumeTrue(shared != null, "system property mixtral4j.shared is not set");
        Path p = Path.of(shared, "vocab", "mistral-v1-vocab.gguf");
        assumeTrue(Files.isRegularFile(p), "Mixtral vocabulary not found at " + p);
        return p;
    }

    private static SpmTokenizer mistral;

    /** Mixtral 8x7B's real vocabulary (32000 pieces), loaded once. */
    static synchronized SpmTokenizer mistral() {
        if (mistral == null) {
            mistral = load(mistralVocabPath());
        }
        return mistral;
    }

    static SpmTokenizer load(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return new SpmTokenizer(Vocabulary.fromMetadata(f.metadata(), gguf.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A vocabulary under construction: control/unknown/byte tokens first, as SentencePiece lays them out. */
    static final class Builder {
        final List<String> pieces = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();
        final List<TokenType> types = new ArrayList<>();
        boolean addSpacePrefix = true;
        String template;

        /** {@code <unk>} 0, {@code <s>} 1, {@code </s>} 2, then the 256 byte tokens 3..258. */
        static Builder standard() {
            Builder b = new Builder();
            b.add("<unk>", 0, TokenType.UNKNOWN).add("<s>", 0, TokenType.CONTROL).add("</s>", 0, TokenType.CONTROL);
            for (int i = 0; i < 256; i++) {
                b.add(String.format("<0x%02X>", i), 0, TokenType.BYTE);
            }
            return b;
        }

        Builder add(String piece, float score, TokenType type) {
            pieces.add(piece);
            scores.add(score);
            types.add(type);
            return this;
        }

        Builder normal(String piece, float score) {
            return add(piece, score, TokenType.NORMAL);
        }

        int id(String piece) {
            return pieces.indexOf(piece);
        }

        Vocabulary vocabulary() {
            float[] s = new float[scores.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
            }
            return Vocabulary.of(pieces.toArray(String[]::new), s, types.toArray(TokenType[]::new), 1, 2, 0, true,
                    addSpacePrefix, template);
        }

        SpmTokenizer tokenizer() {
            return new SpmTokenizer(vocabulary());
        }

        /** The same vocabulary as GGUF metadata entries, to be edited by tests of bad files. */
        Map<String, MetadataValue> metadata() {
            Map<String, MetadataValue> m = new LinkedHashMap<>();
            m.put("tokenizer.ggml.model", MetadataValue.ofString("llama"));
            m.put("tokenizer.ggml.tokens", MetadataValue.ofArray(
                    new MetadataArray(GgufValueType.STRING, pieces.toArray(String[]::new))));
            float[] s = new float[scores.size()];
            int[] t = new int[types.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
                t[i] = types.get(i).id();
            }
            m.put("tokenizer.ggml.scores", MetadataValue.ofArray(new MetadataArray(GgufValueType.FLOAT32, s)));
            m.put("tokenizer.ggml.token_type", MetadataValue.ofArray(new MetadataArray(GgufValueType.INT32, t)));
            m.put("tokenizer.ggml.bos_token_id", MetadataValue.ofUint32(1));
            m.put("tokenizer.ggml.eos_token_id", MetadataValue.ofUint32(2));
            m.put("tokenizer.ggml.unknown_token_id", MetadataValue.ofUint32(0));
            m.put("tokenizer.ggml.add_space_prefix", MetadataValue.ofBool(addSpacePrefix));
            return m;
        }

        static GgufMetadata metadataOf(Map<String, MetadataValue> m) {
            return new GgufMetadata(m, "test.gguf");
        }
    }
}
