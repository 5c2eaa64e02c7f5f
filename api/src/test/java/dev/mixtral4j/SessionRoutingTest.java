package dev.mixtral4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.testkit.Fixtures;
import dev.mixtral4j.testkit.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing listeners through the user API, on the reference backend. */
class SessionRoutingTest {

    private static Model load(java.nio.file.Path file) throws java.io.IOException {
        return ModelLoader.of(Backends.of(TestBackendProvider.wrapping(new ReferenceBackend(), 10)).withSettings(k -> null), List.of())
                .load(file, LoadOptions.builder().batchSize(4).contextLength(64).build());
    }

    private static GenerationOptions greedy(int n) {
        return GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build();
    }

    @Test
    void attachedListenersSeeEveryComputedTokenAndDetachedOnesNothing() throws Exception {
        try (Model m = load(Fixtures.tinyMoe(GgmlType.F32).path()); Session s = m.newSession()) {
            RoutingRecorder recorder = new RoutingRecorder();
            List<RoutingTrace> calls = new ArrayList<>();
            RoutingSubscription a = s.attach(recorder);
            RoutingSubscription b = s.attach(calls::add);
            int[] prompt = {1, 5, 9, 14, 2, 77, 3, 8, 100, 4};
            s.generate(prompt, greedy(5), dev.mixtral4j.generation.TokenListener.none());
            // the prompt in chunks of 4, then 4 generated tokens computed one by one (the 5th is pending)
            assertEquals(List.of(0, 4, 8, 10, 11, 12, 13), calls.stream().map(RoutingTrace::startPosition).toList());
            RoutingTrace all = recorder.trace().orElseThrow();
            assertEquals(14, all.tokenCount());
            int[] history = s.tokens();
            assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOf(history, 14)),
                    java.util.Arrays.toString(all.tokens()));
            b.close();
            b.close();
            s.generate(history, greedy(2), dev.mixtral4j.generation.TokenListener.none());
            assertEquals(7, calls.size(), "a detached listener gets nothing");
            // the pending 15th token and the first new one are computed, the second new one stays pending
            assertEquals(16, recorder.trace().orElseThrow().tokenCount(), "the other one still does");
            a.close();
        }
    }

    @Test
    void denseModelsAndBackendsWithoutRoutingRefuse() throws Exception {
        try (Model m = load(Fixtures.dense(GgmlType.F32).path()); Session s = m.newSession()) {
            assertThrows(IllegalStateException.class, () -> s.attach(t -> { }));
        }
        FakeWorld w = new FakeWorld(java.nio.file.Files.createTempDirectory("routing"), FakeWorld::printable, 64);
        try (Model m = w.load(); Session s = m.newSession()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> s.attach(t -> { }));
            assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        }
    }
}
