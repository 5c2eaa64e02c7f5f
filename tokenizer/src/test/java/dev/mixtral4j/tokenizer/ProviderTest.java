package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ProviderTest {

    static TokenizerProvider spm() {
        for (TokenizerProvider p : ServiceLoader.load(TokenizerProvider.class)) {
            if (p.id().equals("spm")) {
                return p;
            }
        }
        throw new AssertionError("the spm provider is not registered with ServiceLoader");
    }

    @Test
    void createsTheTokenizerForMixtralsVocabulary() throws Exception {
        TokenizerProvider p = spm();
        try (ModelFile m = ModelFile.open(TestVocabularies.mistralVocabPath())) {
            Availability a = p.supports(m);
            assertTrue(a.available(), a.toString());
            Tokenizer t = p.create(m);
            assertEquals(32000, t.vocabSize());
            assertArrayEquals(new int[] {1, 22557, 1526}, t.encode("Hello world", true, false));
        }
    }

    @Test
    void saysNoWithAReasonForOtherVocabularies() throws Exception {
        Path gpt2 = TestVocabularies.llamaCppModels().resolve("ggml-vocab-gpt-2.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(gpt2), "missing " + gpt2);
        try (ModelFile m = ModelFile.open(gpt2)) {
            Availability a = spm().supports(m);
            assertFalse(a.available());
            assertTrue(a.reason().contains("gpt2"), a.reason());
        }
    }
}
