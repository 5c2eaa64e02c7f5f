package dev.mixtral4j.samples.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.Message;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibraryUsageExampleTest {

    @Test
    void theExampleRunsAConversationOfTwoTurns(@TempDir Path dir) throws Exception {
        assumeTrue(!Backends.discover().available().isEmpty(), "no backend available here");
        Path model = SyntheticModel.builder().seed(1).contextLength(512).write(dir.resolve("m.gguf"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Message> conversation;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            conversation = LibraryUsageExample.run(model, out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(5, conversation.size(), printed);
        assertEquals(Message.Role.ASSISTANT, conversation.get(2).role());
        assertEquals(Message.Role.ASSISTANT, conversation.get(4).role());
        assertTrue(printed.contains("assistant: " + conversation.get(2).content()), printed);
        assertTrue(printed.contains("assistant: " + conversation.get(4).content()), printed);
        // The second turn reused the first turn's KV cache unless it moved to another backend.
        assertTrue(printed.contains("backend "), printed);
    }
}
