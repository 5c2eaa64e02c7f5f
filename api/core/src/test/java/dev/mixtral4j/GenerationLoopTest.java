package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.fakes.CharTokenizer;
import dev.mixtral4j.fakes.FakeBackend.ForwardCall;
import dev.mixtral4j.fakes.FakeBackend;
import dev.mixtral4j.generation.GeneratedToken;
import dev.mixtral4j.generation.Generation;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.GenerationStats;
import dev.mixtral4j.generation.StopReason;
import dev.mixtral4j.sampling.Samplers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationLoopTest {
    private static final CharTokenizer TOK = new CharTokenizer();

    @TempDir
    Path dir;

    private static GenerationOptions.Builder greedy(int max) {
        return GenerationOptions.builder().maxTokens(max).sampler(Samplers.greedy());
    }

    @Test
    void greedyTokensMatchTheModelFunctionAndPrefillIsChunked() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 256);
        // the session's batch size is the one batching setting: the backend session splits the prompt
        try (Model m = w.load(LoadOptions.builder().batchSize(4).build()); Session s = m.newSession()) {
            assertEquals("a", m.backend().id(), "auto picks the higher rank");
            String prompt = "The quick brown";
            int[] promptTokens = TOK.encode(prompt, true, false);
            GenerationResult r = s.generate(prompt, greedy(12).build());
            assertArrayEquals(FakeWorld.greedy(FakeWorld::printable, promptTokens, 12), r.tokens());
            assertEquals(TOK.decode(r.tokens()), r.text());
            assertEquals(StopReason.MAX_TOKENS, r.stopReason());
            // 16 prompt tokens in chunks of 4, then one call per generated token but the last.
            List<ForwardCall> calls = w.a.calls();
            assertEquals(List.of(new ForwardCall("a", 0, 4), new ForwardCall("a", 4, 4), new ForwardCall("a", 8, 4),
                    new ForwardCall("a", 12, 4)), calls.subList(0, 4));
            assertEquals(4 + 11, calls.size());
            for (int i = 0; i < 11; i++) {
                assertEquals(new ForwardCall("a", 16 + i, 1), calls.get(4 + i));
            }
            int[] expectedHistory = concat(promptTokens, r.tokens());
            assertArrayEquals(expectedHistory, s.tokens());
        }
    }

    @Test
    void streamedTextEqualsResultAndUtf8IsNeverSplit() throws Exception {
        String reply = "Déjà vu 🎉!";
        int[] prompt = TOK.encode("Q:", true, false);
        FakeWorld w = new FakeWorld(dir, FakeWorld.scripted(TOK.encode(reply, false, false), prompt.length), 128);
        try (Model m = w.load(); Session s = m.newSession()) {
            List<GeneratedToken> events = new ArrayList<>();
            GenerationResult r = s.generate("Q:", greedy(100).build(), events::add);
            assertEquals(reply, r.text());
            assertEquals(StopReason.END_OF_GENERATION, r.stopReason());
            assertEquals(CharTokenizer.EOS, r.tokens()[r.tokens().length - 1]);
            assertEquals(reply, events.stream().map(GeneratedToken::text).collect(Collectors.joining()));
            for (GeneratedToken e : events) {
                for (char c : e.text().toCharArray()) {
                    assertFalse(c == '\uFFFD', "broken UTF-8 in " + e);
                }
                if (!e.text().isEmpty()) {
                    assertFalse(Character.isHighSurrogate(e.text().charAt(e.text().length() - 1)), "split surrogate");
                }
            }
            // 'é' is two byte tokens: the first releases nothing, the second the whole character.
            assertEquals("", events.get(1).text());
            assertEquals("é", events.get(2).text());
            assertEquals(r.tokens().length, events.size());
        }
    }

    @Test
    void stopStringsAcrossTokensAreHeldBackAndNotEmitted() throws Exception {
        String reply = "I STep on STOP and more";
        int[] prompt = TOK.encode(">", true, false);
        FakeWorld w = new FakeWorld(dir, FakeWorld.scripted(TOK.encode(reply, false, false), prompt.length), 128);
        try (Model m = w.load(); Session s = m.newSession()) {
            List<String> texts = new ArrayList<>();
            GenerationResult r = s.generate(">", greedy(100).stopString("STOP").stopString("never").build(),
                    t -> texts.add(t.text()));
            assertEquals("I STep on ", r.text());
            assertEquals(StopReason.STOP_STRING, r.stopReason());
            assertEquals("STOP", r.stopString());
            assertEquals("I STep on STOP".length(), r.tokens().length, "stops on the token completing it");
            // "S" and "T" wait until "e" shows they are not "STOP"; "n" waits to see it is not "never".
            assertEquals(List.of("I", " ", "", "", "STe", "p", " ", "o", "", "n ", "", "", "", ""), texts);
        }
    }

    @Test
    void stopTokensAndMaxTokens() throws Exception {
        int[] prompt = TOK.encode("x", true, false);
        FakeWorld w = new FakeWorld(dir, FakeWorld.scripted(TOK.encode("abcdef", false, false), prompt.length), 64);
        try (Model m = w.load(); Session s = m.newSession()) {
            GenerationResult r = s.generate("x", greedy(100).stopToken(CharTokenizer.charToken('d')).build());
            assertEquals("abc", r.text());
            assertEquals(StopReason.STOP_TOKEN, r.stopReason());
            assertEquals(4, r.tokens().length);
            GenerationResult max = s.generate("x", greedy(2).build());
            assertEquals("ab", max.text());
            assertEquals(StopReason.MAX_TOKENS, max.stopReason());
        }
    }

    @Test
    void ignoringEndOfGenerationRunsToMaxTokens() throws Exception {
        int[] prompt = TOK.encode("x", true, false);
        FakeWorld w = new FakeWorld(dir, FakeWorld.scripted(TOK.encode("ab", false, false), prompt.length), 64);
        try (Model m = w.load(); Session s = m.newSession()) {
            GenerationResult r = s.generate("x", greedy(5).ignoreEndOfGeneration(true).build());
            assertEquals(5, r.tokens().length);
            assertEquals(StopReason.MAX_TOKENS, r.stopReason());
            assertEquals(CharTokenizer.EOS, r.tokens()[2]);
            assertEquals("ab", r.text(), "control tokens decode to nothing");
        }
    }

    @Test
    void contextFullStopsWithoutOverflowing() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 12);
        try (Model m = w.load(); Session s = m.newSession()) {
            assertEquals(12, s.contextLength());
            int[] prompt = TOK.encode("0123456789", false, false);
            GenerationResult r = s.generate(prompt, greedy(-1).build(), t -> { });
            // Positions 10 and 11 take two generated tokens; the third cannot be placed.
            assertEquals(3, r.tokens().length);
            assertEquals(StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(13, s.tokens().length);
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> s.generate(TOK.encode("0123456789abc", false, false), greedy(1).build(), t -> { }));
            assertTrue(tooLong.getMessage().contains("does not fit the context of 12"), tooLong.getMessage());
        }
    }

    @Test
    void cancellationFromAnotherThread() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 100_000);
        w.a.setDelayMillis(2);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Model m = w.load(); Session s = m.newSession()) {
            CountDownLatch fiveTokens = new CountDownLatch(5);
            Future<GenerationResult> f = pool.submit(() -> s.generate("go", greedy(50_000).build(),
                    t -> fiveTokens.countDown()));
            assertTrue(fiveTokens.await(30, TimeUnit.SECONDS));
            s.cancel();
            GenerationResult r = f.get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertTrue(r.tokens().length >= 5 && r.tokens().length < 50_000, "tokens: " + r.tokens().length);
            // The session is usable again and continues from where it stopped.
            GenerationResult again = s.generate(s.tokens(), greedy(3).build(), t -> { });
            assertEquals(3, again.tokens().length);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closingFromAnotherThreadNeverFreesTheSessionUnderAForwardCall() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 100_000);
        w.a.setDelayMillis(3);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Model m = w.load()) {
            Session s = m.newSession();
            CountDownLatch started = new CountDownLatch(3);
            Future<GenerationResult> f = pool.submit(() -> s.generate("go", greedy(50_000).build(),
                    t -> started.countDown()));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            s.close();
            try {
                assertEquals(StopReason.CANCELLED, f.get(30, TimeUnit.SECONDS).stopReason());
            } catch (java.util.concurrent.ExecutionException e) {
                // Acceptable only when our own guard refused a forward after close, never the backend.
                assertEquals("the backend session is closed", e.getCause().getMessage());
            }
            assertTrue(w.a.models().getFirst().sessions().getFirst().closed());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancelHandleInOptionsStopsThePrefill() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 256);
        try (Model m = w.load(); Session s = m.newSession()) {
            var cancel = new dev.mixtral4j.generation.CancelHandle();
            cancel.cancel();
            GenerationResult r = s.generate("a long prompt", greedy(10).cancel(cancel).build());
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals(0, r.tokens().length);
            assertTrue(w.a.calls().isEmpty());
        }
    }

    @Test
    void iteratorAndStreamGiveTheSameAsTheListener() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 256);
        try (Model m = w.load(); Session s = m.newSession()) {
            List<GeneratedToken> pushed = new ArrayList<>();
            GenerationResult r = s.generate("abc", greedy(8).build(), pushed::add);
            List<GeneratedToken> pulled = new ArrayList<>();
            try (Generation g = s.stream("abc", greedy(8).build())) {
                g.forEachRemaining(pulled::add);
                assertArrayEquals(r.tokens(), g.result().tokens());
            }
            assertEquals(pushed, pulled);
            String viaStream;
            try (var stream = s.stream("abc", greedy(8).build()).stream()) {
                viaStream = stream.map(GeneratedToken::text).collect(Collectors.joining());
            }
            assertEquals(r.text(), viaStream);
            // Nothing runs before the first pull, and a second generation must wait for the first.
            w.a.clearCalls();
            Generation lazy = s.stream("zzz", greedy(8).build());
            assertTrue(w.a.calls().isEmpty());
            assertThrows(IllegalStateException.class, () -> s.generate("abc", greedy(1).build()));
            assertTrue(lazy.hasNext());
            lazy.next();
            lazy.close();
            assertEquals(1, s.generate("abc", greedy(1).build()).tokens().length, "closing frees the session");
        }
    }

    @Test
    void sameSeedSameTokensAndOptionsAreReusable() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 512);
        GenerationOptions opts = GenerationOptions.builder().maxTokens(40)
                .sampler(Samplers.chain().topK(20).temperature(3.0).seed(1234)).build();
        try (Model m = w.load(); Session s1 = m.newSession(); Session s2 = m.newSession()) {
            int[] first = s1.generate("seed", opts).tokens();
            int[] second = s2.generate("seed", opts).tokens();
            assertArrayEquals(first, second);
            assertArrayEquals(first, s1.generate("seed", opts).tokens(), "options are a template, not state");
            int[] other = s2.generate("seed", opts.toBuilder().sampler("top-k:k=20,temperature:t=3,dist:seed=99")
                    .build()).tokens();
            assertFalse(Arrays.equals(first, other));
            int[] greedyTokens = FakeWorld.greedy(FakeWorld::printable, TOK.encode("seed", true, false), 40);
            assertFalse(Arrays.equals(first, greedyTokens), "temperature 3 really samples");
        }
    }

    @Test
    void statsAreNonNegativeAndConsistent() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 256);
        try (Model m = w.load(); Session s = m.newSession()) {
            GenerationResult r = s.generate("statistics", greedy(7).build());
            GenerationStats st = r.stats();
            assertEquals(11, st.promptTokens());
            assertEquals(11, st.prefilledTokens());
            assertEquals(7, st.generatedTokens());
            assertEquals(StopReason.MAX_TOKENS, st.stopReason());
            assertTrue(st.promptNanos() >= 0);
            assertTrue(st.timeToFirstTokenNanos() >= st.promptNanos());
            assertTrue(st.totalNanos() >= st.timeToFirstTokenNanos());
            assertTrue(st.generationNanos() >= 0);
            assertTrue(st.promptTokensPerSecond() > 0);
            assertTrue(st.generatedTokensPerSecond() > 0);
            assertEquals(st.generatedTokens() * 1e9 / st.generationNanos(), st.generatedTokensPerSecond(), 1e-6);
            // Same prompt again: all but the last prompt token come from the cache.
            GenerationStats again = s.generate("statistics", greedy(2).build()).stats();
            assertEquals(1, again.prefilledTokens());
        }
    }

    @Test
    void tokenLevelApiWorksWithoutATokenizer() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        ModelLoader noTokenizer = ModelLoader.of(w.loader.backends(), List.of());
        try (Model m = noTokenizer.load(w.file, LoadOptions.defaults()); Session s = m.newSession()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, m::tokenizer);
            assertEquals("no tokenizer for tiny.gguf: no TokenizerProvider found (add mixtral4j-tokenizer to the class "
                    + "path or module path)", e.getMessage());
            assertThrows(IllegalStateException.class, () -> s.generate("text", greedy(3).build()));
            int[] prompt = {CharTokenizer.BOS, CharTokenizer.charToken('h')};
            GenerationResult r = s.generate(prompt, greedy(4).build(), t -> assertEquals("", t.text()));
            assertArrayEquals(FakeWorld.greedy(FakeWorld::printable, prompt, 4), r.tokens());
            assertEquals("", r.text());
            assertThrows(IllegalArgumentException.class,
                    () -> s.generate(prompt, greedy(4).stopString("x").build(), t -> { }));
        }
        ModelLoader wrongTokenizer = ModelLoader.of(w.loader.backends(), List.of(new CharTokenizer.Provider() {
            @Override
            public dev.mixtral4j.spi.Availability supports(dev.mixtral4j.model.ModelFile model) {
                return dev.mixtral4j.spi.Availability.no("vocabulary type 'bpe' is not supported");
            }
        }));
        try (Model m = wrongTokenizer.load(w.file, LoadOptions.defaults())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, m::tokenizer);
            assertEquals("no tokenizer for tiny.gguf: chars: vocabulary type 'bpe' is not supported", e.getMessage());
        }
    }

    @Test
    void listenerExceptionsPropagateAndFreeTheSession() throws Exception {
        FakeWorld w = new FakeWorld(dir, FakeWorld::printable, 64);
        try (Model m = w.load(); Session s = m.newSession()) {
            RuntimeException boom = new RuntimeException("listener failed");
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> s.generate("x", greedy(5).build(), t -> {
                throw boom;
            }));
            assertEquals(boom, thrown);
            assertEquals(2, s.generate("x", greedy(2).build()).tokens().length);
        }
    }

    @Test
    void textOnlyEventReleasesHeldTextOnCancel() throws Exception {
        int[] prompt = TOK.encode(">", true, false);
        FakeWorld w = new FakeWorld(dir, FakeWorld.scripted(TOK.encode("ab STO", false, false), prompt.length), 64);
        try (Model m = w.load(); Session s = m.newSession()) {
            List<GeneratedToken> events = new ArrayList<>();
            Generation g = s.stream(">", greedy(100).stopString("STOP").build());
            for (int i = 0; i < 6; i++) {
                events.add(g.next());
            }
            g.cancel();
            g.forEachRemaining(events::add);
            GenerationResult r = g.result();
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals("ab STO", r.text());
            GeneratedToken last = events.getLast();
            assertFalse(last.isToken());
            assertEquals("STO", last.text());
            assertNull(r.stopString());
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
