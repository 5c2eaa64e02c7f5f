package dev.mixtral4j.samples.langchain4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A tiny generated Mixtral (random weights, real structure and tokenizer) on the java backend. */
final class TinyModel {
    private TinyModel() {
    }

    static Path write(Path dir) throws IOException {
        return SyntheticModel.builder().name("lc4j").seed(11).vocabSize(400).contextLength(512)
                .write(dir.resolve("lc4j.gguf"));
    }

    static Model load(Path file) throws IOException {
        BackendInfo java = Backends.discover().all().stream().filter(i -> i.id().equals("java")).findFirst()
                .orElse(null);
        assumeTrue(java != null && java.available(), "backend-java not available: " + java);
        return Mixtral4j.load(file, LoadOptions.builder().backend("java").threads(2).build());
    }

    /** The reply Mixtral4j's own API gives, in a fresh session: what the adapter must reproduce. */
    static GenerationResult direct(Model model, List<Message> conversation, GenerationOptions options) {
        try (Session s = model.newSession()) {
            return s.chat(conversation, options);
        }
    }
}
