package dev.mixtral4j.samples.langchain4j.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AssistantExampleTest {
    @TempDir
    Path dir;

    @Test
    void theDocumentedExampleRunsOnATinyModel() throws Exception {
        assumeTrue(Backends.discover().all().stream().anyMatch(i -> i.id().equals("java") && i.available()),
                "backend-java not available");
        Path gguf = SyntheticModel.builder().name("example").seed(5).vocabSize(400).contextLength(2048)
                .write(dir.resolve("example.gguf"));
        List<String> answers = AssistantExample.run(gguf, "java");
        assertEquals(3, answers.size());
        // Random weights: the words mean nothing, but each answer is generated text.
        assertTrue(answers.stream().allMatch(a -> !a.isEmpty()), answers::toString);
    }

    /** docs/langchain4j.md shows the example as it is compiled here, not a copy that drifts. */
    @Test
    void theDocsPageQuotesTheCompiledExample() throws Exception {
        Path root = Path.of("../.."); // tests run in samples/langchain4j
        Path source = Path.of("src/test/java/dev/mixtral4j/samples/langchain4j/example/AssistantExample.java");
        String code = Files.readString(source);
        String example = code.substring(code.indexOf("// docs:begin\n") + "// docs:begin\n".length(),
                code.indexOf("    // docs:end")).lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        String page = Files.readString(root.resolve("docs/langchain4j.md"));
        assertTrue(page.contains(example), "docs/langchain4j.md does not show the example of "
                + source + " as it is; copy the part between the docs markers:\n" + example);
    }
}
