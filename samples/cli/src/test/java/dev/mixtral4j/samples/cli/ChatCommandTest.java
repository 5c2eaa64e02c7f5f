package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = SyntheticModel.builder().name("chat").seed(9).vocabSize(400).contextLength(256).write(dir.resolve("chat.gguf"));
    }

    static String reply(List<Message> conversation, int n) throws IOException {
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend("java").build()); Session s = m.newSession()) {
            return s.chat(conversation, GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build()).text();
        }
    }

    @Test
    void oneShotPromptAnswersWithTheTemplatedConversation() throws IOException {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "8",
                "--system", "Be brief.", "-p", "Hello there");
        assertEquals(0, run.exitCode(), run::toString);
        String expected = reply(List.of(Message.system("Be brief."), Message.user("Hello there")), 8);
        assertEquals(expected + System.lineSeparator(), run.out());
    }

    @Test
    void interactiveTurnsKeepTheConversationAndResetForgetsIt() throws IOException {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.withInput("Hello\nHow are you?\n/reset\nHello\n/nonsense\n/exit\nnever read\n",
                "chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "6");
        assertEquals(0, run.exitCode(), run::toString);
        String first = reply(List.of(Message.user("Hello")), 6);
        String second = reply(List.of(Message.user("Hello"), Message.assistant(first), Message.user("How are you?")), 6);
        String nl = System.lineSeparator();
        assertEquals("> " + first + nl + "> " + second + nl + "> " + "> " + first + nl + "> > " + nl, run.out());
        assertTrue(run.err().contains("(new conversation)"), run::toString);
        assertTrue(run.err().contains("unknown command /nonsense"), run::toString);
    }

    @Test
    void endOfInputEndsTheChat() {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.withInput("", "chat", "-m", model.toString(), "--backend", "java", "--greedy");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("/reset starts over, /exit quits"), run::toString);
    }
}
