package dev.mixtral4j.samples.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GeneratedToken;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user API end to end on real parts: a synthetic Mixtral GGUF, the pure-Java backend and the
 * SentencePiece tokenizer, all found with ServiceLoader.
 */
class EndToEndGenerationTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = SyntheticModel.builder().name("e2e").seed(7).vocabSize(400).contextLength(256)
                .write(dir.resolve("e2e.gguf"));
    }

    private static LoadOptions onJava(int batch) {
        Backends backends = Backends.discover();
        BackendInfo java = backends.all().stream().filter(i -> i.id().equals("java")).findFirst().orElse(null);
        assumeTrue(java != null && java.available(), "backend-java not available: " + java);
        return LoadOptions.builder().backend("java").threads(2).batchSize(batch).build();
    }

    private static GenerationOptions greedy(int n) {
        return GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build();
    }

    @Test
    void greedyLoopMatchesFullRecomputationWithoutTheCache() throws Exception {
        try (Model m = Mixtral4j.load(model, onJava(3)); Session s = m.newSession()) {
            Tokenizer tok = m.tokenizer();
            int[] prompt = tok.encode("Hello world, tell me", true, false);
            GenerationResult r = s.generate(prompt, GenerationOptions.builder().maxTokens(12)
                    .sampler(Samplers.greedy()).build(), t -> { });
            // Independent: a fresh session per step, the whole history in one forward call.
            int[] history = prompt.clone();
            int[] expected = new int[r.tokens().length];
            for (int i = 0; i < expected.length; i++) {
                try (BackendSession fresh = m.backendModel(m.backend()).newSession(
                        new dev.mixtral4j.spi.SessionOptions(256, null, 512))) {
                    expected[i] = fresh.forward(history, 0, false).argmax(0);
                }
                history = Arrays.copyOf(history, history.length + 1);
                history[history.length - 1] = expected[i];
            }
            assertArrayEquals(expected, r.tokens());
        }
    }

    @Test
    void streamingTextIsTheDecodedTextAndChunkingDoesNotMatter() throws Exception {
        int[] small;
        String text;
        try (Model m = Mixtral4j.load(model, onJava(2)); Session s = m.newSession()) {
            List<GeneratedToken> events = new ArrayList<>();
            GenerationResult r = s.generate("Once upon a time", greedy(16), events::add);
            small = r.tokens();
            text = r.text();
            assertEquals(r.text(), events.stream().map(GeneratedToken::text).collect(Collectors.joining()));
            int[] withoutStop = r.stopReason() == dev.mixtral4j.generation.StopReason.END_OF_GENERATION
                    ? Arrays.copyOf(small, small.length - 1) : small;
            assertEquals(m.tokenizer().decode(withoutStop), r.text());
            assertTrue(r.stats().generatedTokensPerSecond() > 0);
        }
        try (Model m = Mixtral4j.load(model, onJava(512)); Session s = m.newSession()) {
            GenerationResult r = s.generate("Once upon a time", greedy(16));
            assertArrayEquals(small, r.tokens(), "prefill in chunks of 2 or all at once: same tokens");
            assertEquals(text, r.text());
        }
    }

    @Test
    void chatContinuesFromTheCachedPrefix() throws Exception {
        try (Model m = Mixtral4j.load(model, onJava(64)); Session chat = m.newSession()) {
            List<Message> conversation = new ArrayList<>(List.of(Message.user("Hi there")));
            GenerationResult first = chat.chat(conversation, greedy(8));
            conversation.add(Message.assistant(first.text()));
            conversation.add(Message.user("And then?"));
            GenerationResult second = chat.chat(conversation, greedy(8));
            assertTrue(second.stats().prefilledTokens() < second.stats().promptTokens(),
                    "reused: " + second.stats());
            // Same conversation in a fresh session, computed from scratch: same reply.
            try (Session fresh = m.newSession()) {
                assertArrayEquals(second.tokens(), fresh.chat(conversation, greedy(8)).tokens());
            }
        }
    }

    @Test
    void transferToAnotherAvailableBackendKeepsTheConversation() throws Exception {
        Backends backends = Backends.discover();
        String other = backends.available().stream().map(BackendInfo::id)
                .filter(id -> !id.equals("java") && !id.equals("fake")).findFirst().orElse(null);
        assumeTrue(other != null, "no second backend available here: " + backends.all());
        try (Model m = Mixtral4j.load(model, onJava(64)); Session s = m.newSession()) {
            s.generate("The weather today", greedy(6));
            int[] history = s.tokens();
            Session moved;
            try {
                moved = s.transferTo(other);
            } catch (dev.mixtral4j.spi.BackendUnavailableException e) {
                assumeTrue(false, other + " cannot run the synthetic model: " + e.getMessage());
                return;
            }
            assertEquals(other, moved.backend().id());
            assertArrayEquals(history, moved.tokens());
            GenerationResult more = moved.generate(moved.tokens(), greedy(4), t -> { });
            assertEquals(4, more.tokens().length);
            moved.close();
        }
    }
}
