package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mixtral4j.fakes.CharTokenizer;
import dev.mixtral4j.fakes.FakeBackend;
import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.fakes.TinyGguf;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Model#chatTokens}: the one place a conversation becomes prompt tokens. */
class ChatTokensTest {
    private static final List<Message> CONVERSATION = List.of(Message.system("Be brief."), Message.user("Hello"),
            Message.assistant("Hi!"), Message.user("How are you?"));

    @TempDir
    Path dir;

    /** A model whose tokenizer is the char tokenizer, its template writing {@code <s>} or not. */
    private Model load(boolean templateWritesBos) throws Exception {
        FakeBackend backend = new FakeBackend("a", FakeWorld::printable);
        ModelLoader loader = ModelLoader.of(
                Backends.of(TestBackendProvider.wrapping(backend, 10)).withSettings(k -> null),
                List.of(new CharTokenizer.Provider() {
                    @Override
                    public Tokenizer create(ModelFile model) {
                        return new CharTokenizer(templateWritesBos);
                    }
                }));
        return loader.load(TinyGguf.write(dir.resolve("tiny.gguf"), TinyGguf.charModel(256)),
                LoadOptions.builder().batchSize(64).build());
    }

    private static int[] withBos(int[] tokens) {
        int[] out = new int[tokens.length + 1];
        out[0] = CharTokenizer.BOS;
        System.arraycopy(tokens, 0, out, 1, tokens.length);
        return out;
    }

    @Test
    void aTemplateThatWritesBosKeepsItsOwnAndGetsNoSecond() throws Exception {
        try (Model m = load(true)) {
            Tokenizer t = m.tokenizer();
            int[] expected = t.encode(t.applyChatTemplate(CONVERSATION, true), false, true);
            assertEquals(CharTokenizer.BOS, expected[0], "the template wrote <s>, parsed as a control token");
            assertArrayEquals(expected, m.chatTokens(CONVERSATION, true));
            assertArrayEquals(expected, m.chatTokens(CONVERSATION, false));
            assertEquals(CharTokenizer.INST, m.chatTokens(CONVERSATION, true)[1]);
        }
    }

    @Test
    void aTemplateWithoutBosGetsItOnlyWhenAsked() throws Exception {
        try (Model m = load(false)) {
            Tokenizer t = m.tokenizer();
            int[] rendered = t.encode(t.applyChatTemplate(CONVERSATION, true), false, true);
            assertEquals(CharTokenizer.INST, rendered[0]);
            assertArrayEquals(withBos(rendered), m.chatTokens(CONVERSATION, true));
            assertArrayEquals(rendered, m.chatTokens(CONVERSATION, false));
        }
    }

    /** What chat feeds the session is exactly chatTokens, for both BOS settings. */
    @Test
    void sessionChatPromptsWithTheseTokens() throws Exception {
        try (Model m = load(false); Session s = m.newSession()) {
            for (boolean addBos : new boolean[] {true, false}) {
                s.reset();
                GenerationOptions o = GenerationOptions.builder().maxTokens(3).sampler(Samplers.greedy())
                        .addBos(addBos).build();
                int[] prompt = m.chatTokens(CONVERSATION, addBos);
                s.chat(CONVERSATION, o);
                assertArrayEquals(prompt, Arrays.copyOf(s.tokens(), prompt.length), "addBos " + addBos);
                assertEquals(prompt.length + 3, s.tokens().length);
            }
        }
    }

    @Test
    void noMessagesIsRefused() throws Exception {
        try (Model m = load(true); Session s = m.newSession()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.chatTokens(List.of(), true));
            assertEquals("no messages", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.chat(List.of(), GenerationOptions.builder().build()));
        }
    }
}
