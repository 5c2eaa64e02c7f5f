package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.fakes.CharTokenizer;
import dev.mixtral4j.fakes.FakeBackend.ForwardCall;
import dev.mixtral4j.fakes.FakeBackend;
import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.StopReason;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.BackendUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionTest {
    private static final CharTokenizer TOK = new CharTokenizer();

    @TempDir
    Path dir;

    private static GenerationOptions greedy(int max) {
        return GenerationOptions.builder().maxTokens(max).sampler(Samplers.greedy()).build();
    }

    @Test
    void transferToAnotherBackendContinuesIdentically() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 256);
        try (Model m = w.load(LoadOptions.builder().batchSize(8).build())) {
            int[] straight;
            try (Session reference = m.newSession()) {
                straight = reference.generate("Once upon a time", greedy(20)).tokens();
            }
            Session s = m.newSession();
            GenerationResult first = s.generate("Once upon a time", greedy(8));
            assertArrayEquals(java.util.Arrays.copyOf(straight, 8), first.tokens());
            int[] history = s.tokens();
            w.b.clearCalls();

            Session moved = s.transferTo("b");
            assertEquals("b", moved.backend().id());
            assertArrayEquals(history, moved.tokens(), "same conversation");
            assertEquals(List.of("a", "b"), m.loadedBackends());
            // The cached tokens (all but the last, still pending) were replayed in chunks of 8.
            int cached = history.length - 1;
            List<ForwardCall> replay = w.b.calls();
            int pos = 0;
            for (ForwardCall c : replay) {
                assertEquals(pos, c.start());
                assertTrue(c.length() <= 8);
                pos += c.length();
            }
            assertEquals(cached, pos);
            // The old session is closed on its backend, and refuses to be used.
            var oldSessions = w.a.models().getFirst().sessions();
            assertTrue(oldSessions.get(1).closed());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.generate("x", greedy(1)));
            assertTrue(e.getMessage().contains("transferred to backend 'b'"), e.getMessage());

            GenerationResult rest = moved.generate(moved.tokens(), greedy(12), t -> { });
            assertArrayEquals(java.util.Arrays.copyOfRange(straight, 8, 20), rest.tokens());
            assertEquals(1, rest.stats().prefilledTokens(), "only the pending token is computed");

            // Back again: the model on "a" is reused, not loaded twice.
            Session back = moved.transferTo(m.backends().get("a"));
            assertEquals(1, w.a.models().size());
            assertSame(back, back.transferTo("a"), "already there");
            back.close();
        }
    }

    @Test
    void chatReusesTheCachedPrefix() throws Exception {
        // The model answers "Hi!" to anything, then ends its turn.
        FakeBackend.LogitsFunction answer = (history, vocab) -> {
            int since = 0;
            while (since < history.length && history[history.length - 1 - since] != CharTokenizer.END_INST) {
                since++;
            }
            float[] l = new float[vocab];
            int[] reply = TOK.encode("Hi!", false, false);
            l[since < reply.length ? reply[since] : CharTokenizer.EOS] = 10f;
            return l;
        };
        FakeWorld w = new FakeWorld(dir, answer, 512);
        try (Model m = w.load(); Session chat = m.newSession()) {
            List<Message> conversation = new ArrayList<>(List.of(Message.user("Hello")));
            GenerationResult r1 = chat.chat(conversation, greedy(50));
            assertEquals("Hi!", r1.text());
            assertEquals(StopReason.END_OF_GENERATION, r1.stopReason());
            int[] firstPrompt = TOK.encode("<s>[INST] Hello [/INST]", false, true);
            assertArrayEquals(GenerationLoopTest.concat(firstPrompt, r1.tokens()), chat.tokens());
            assertEquals(CharTokenizer.BOS, chat.tokens()[0], "BOS not doubled");
            assertEquals(CharTokenizer.BOS, chat.tokens()[0]);
            assertTrue(chat.tokens()[1] != CharTokenizer.BOS);

            conversation.add(Message.assistant(r1.text()));
            conversation.add(Message.user("How are you?"));
            w.a.clearCalls();
            GenerationResult r2 = chat.chat(conversation, greedy(50));
            assertEquals("Hi!", r2.text());
            int previous = firstPrompt.length + r1.tokens().length;
            // Everything up to the end of the first reply (its EOS included) was cached but the EOS,
            // which was sampled and never computed.
            assertEquals(previous - 1, w.a.calls().getFirst().start());
            int secondPrompt = TOK.encode(TOK.applyChatTemplate(conversation, true), false, true).length;
            assertEquals(secondPrompt, r2.stats().promptTokens());
            assertEquals(secondPrompt - (previous - 1), r2.stats().prefilledTokens());
        }
    }

    @Test
    void autoSkipsABackendThatCannotRunTheFile() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        w.a.refuse("unsupported tensor type Q2_K in blk.0.ffn_down_exps.weight");
        try (Model m = w.load()) {
            assertEquals("b", m.backend().id());
        }
        // Negotiated once: one load per backend tried, and no supports() on the way.
        assertEquals(1, w.a.loadCalls());
        assertEquals(1, w.b.loadCalls());
        assertEquals(0, w.a.supportsCalls() + w.b.supportsCalls());
        BackendUnavailableException explicit = assertThrows(BackendUnavailableException.class,
                () -> w.load(LoadOptions.builder().backend("a").build()));
        assertTrue(explicit.getMessage().startsWith("backend 'a' cannot run tiny.gguf: "), explicit.getMessage());
        assertTrue(explicit.getMessage().contains("unsupported tensor type Q2_K"), explicit.getMessage());
        w.b.refuse("no");
        BackendUnavailableException none = assertThrows(BackendUnavailableException.class, w::load);
        assertTrue(none.getMessage().startsWith("no available backend can run tiny.gguf: a: unsupported"),
                none.getMessage());
        // A transfer to a backend that cannot run the file leaves the session as it was.
        w.b.refuse(null);
        w.a.refuse(null);
        try (Model m = w.load(); Session s = m.newSession()) {
            s.generate("abc", greedy(3));
            w.b.refuse("too big for this device");
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> s.transferTo("b"));
            assertTrue(e.getMessage().contains("too big for this device"));
            assertEquals(2, s.generate("abc", greedy(2)).tokens().length);
        }
    }

    @Test
    void closingTheModelClosesSessionsThenBackendModelsThenTheFile() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        Model m = w.load();
        Session s1 = m.newSession();
        Session s2 = m.newSession();
        s2.generate("hey", greedy(2));
        Session s3 = s2.transferTo("b");
        s1.close();
        // FakeModel.close fails the test if a session of its own is still open.
        m.close();
        assertTrue(w.a.models().getFirst().closed());
        assertTrue(w.b.models().getFirst().closed());
        w.b.models().getFirst().sessions().forEach(fs -> assertTrue(fs.closed()));
        assertThrows(IllegalStateException.class, () -> s3.generate("x", greedy(1)));
        assertThrows(IllegalStateException.class, m::newSession);
        m.close(); // idempotent
    }

    @Test
    void sessionOptionsComeFromLoadOptions() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 4096);
        try (Model m = w.load(LoadOptions.builder().contextLength(100).batchSize(16).build()); Session s = m.newSession()) {
            assertEquals(100, s.contextLength());
            assertEquals(16, s.options().batchSize());
        }
        try (Model m = w.load(LoadOptions.defaults()); Session s = m.newSession()) {
            assertEquals(4096, s.contextLength(), "the default is the model's trained context up to 4096");
        }
        FakeWorld big = new FakeWorld(Files.createDirectories(dir.resolve("big")), FakeWorld::printable, 8192);
        try (Model m = big.load(LoadOptions.defaults()); Session s = m.newSession()) {
            assertEquals(LoadOptions.DEFAULT_CONTEXT, s.contextLength(), "the default context is capped at 4096");
            assertEquals(LoadOptions.DEFAULT_CONTEXT, m.options().contextLength(), "Model.options() shows the context used");
        }
        try (Model m = big.load(LoadOptions.builder().contextLength(8192).build()); Session s = m.newSession()) {
            assertEquals(8192, s.contextLength(), "the whole trained context when asked for");
        }
        FakeWorld small = new FakeWorld(Files.createDirectories(dir.resolve("small")), FakeWorld::printable, 64);
        try (Model m = small.load(LoadOptions.defaults()); Session s = m.newSession()) {
            assertEquals(64, s.contextLength(), "a model trained on less keeps its own context");
        }
    }

    @Test
    void moreThreadsThanCoresLoadsWithAWarning() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        int cores = Runtime.getRuntime().availableProcessors();
        String quiet = loadCapturingStdErr(w, LoadOptions.builder().threads(cores).build());
        assertFalse(quiet.contains("cores are available"), quiet);
        String warned = loadCapturingStdErr(w, LoadOptions.builder().threads(cores + 1).build());
        assertTrue(warned.contains("WARN") && warned.contains((cores + 1) + " threads asked for but " + cores
                + " cores are available"), warned);
    }

    /** slf4j-simple (the test binding) writes to the System.err of the moment it logs. */
    private static String loadCapturingStdErr(FakeWorld w, LoadOptions options) throws Exception {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try (Model m = w.load(options)) {
            assertEquals(options.threads(), m.options().threads(), "the threads asked for are kept");
        } finally {
            System.setErr(saved);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void unknownBackendIsDiagnosed() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> w.load(LoadOptions.builder().backend("cuda").build()));
        assertEquals("unknown backend 'cuda'; known: a (available: ready), b (available: ready)", e.getMessage());
        // The file is closed again: loading it afresh works.
        try (Model m = w.load()) {
            assertEquals("a", m.backend().id());
        }
        assertTrue(TestBackendProvider.class.getName().length() > 0);
    }
}
