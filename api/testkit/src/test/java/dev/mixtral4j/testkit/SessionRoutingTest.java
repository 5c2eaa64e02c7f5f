package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Model;
import dev.mixtral4j.ModelLoader;
import dev.mixtral4j.Session;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.TokenListener;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.SpiVersion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Routing listeners through the user API ({@link Session#attach}), on the reference backend. */
class SessionRoutingTest {

    /** A provider of {@code backend} under {@code id}, always available. */
    private static BackendProvider provider(String id, Backend backend) {
        return new BackendProvider() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String description() {
                return "test provider of " + id;
            }

            @Override
            public int rank() {
                return 10;
            }

            @Override
            public int spiVersion() {
                return SpiVersion.CURRENT;
            }

            @Override
            public Availability availability() {
                return Availability.yes("ready");
            }

            @Override
            public Backend backend() {
                return backend;
            }
        };
    }

    private static Model load(java.nio.file.Path file, Backend backend) throws java.io.IOException {
        return ModelLoader.of(Backends.of(backend.provider()).withSettings(k -> null), List.of())
                .load(file, LoadOptions.builder().batchSize(4).contextLength(64).build());
    }

    private static void generate(Session s, int[] prompt, int n) {
        s.generate(prompt, GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build(),
                TokenListener.none());
    }

    @Test
    void attachedListenersSeeEveryComputedTokenAndDetachedOnesNothing() throws Exception {
        try (Model m = load(Fixtures.tinyMoe(GgmlType.F32).path(), new ReferenceBackend()); Session s = m.newSession()) {
            RoutingRecorder recorder = new RoutingRecorder();
            List<RoutingTrace> calls = new ArrayList<>();
            RoutingSubscription a = s.attach(recorder);
            RoutingSubscription b = s.attach(calls::add);
            int[] prompt = {1, 5, 9, 14, 2, 77, 3, 8, 100, 4};
            generate(s, prompt, 5);
            // the prompt in one forward call (the backend batches it), then 4 generated tokens computed
            // one by one (the 5th is pending)
            assertEquals(List.of(0, 10, 11, 12, 13), calls.stream().map(RoutingTrace::startPosition).toList());
            RoutingTrace all = recorder.trace().orElseThrow();
            assertEquals(14, all.tokenCount());
            int[] history = s.tokens();
            assertEquals(Arrays.toString(Arrays.copyOf(history, 14)), Arrays.toString(all.tokens()));
            b.close();
            b.close();
            generate(s, history, 2);
            assertEquals(5, calls.size(), "a detached listener gets nothing");
            // the pending 15th token and the first new one are computed, the second new one stays pending
            assertEquals(16, recorder.trace().orElseThrow().tokenCount(), "the other one still does");
            a.close();
        }
    }

    @Test
    void denseModelsAndBackendsWithoutRoutingRefuse() throws Exception {
        try (Model m = load(Fixtures.dense(GgmlType.F32).path(), new ReferenceBackend()); Session s = m.newSession()) {
            assertThrows(IllegalStateException.class, () -> s.attach(t -> { }));
        }
        Backend reference = new ReferenceBackend();
        Backend silent = new Backend() {
            @Override
            public BackendProvider provider() {
                return SessionRoutingTest.provider("silent", this);
            }

            @Override
            public List<DeviceInfo> devices() {
                return List.of();
            }

            @Override
            public Set<GgmlType> supportedTensorTypes() {
                return reference.supportedTensorTypes();
            }

            @Override
            public Availability supports(ModelFile model) {
                return reference.supports(model);
            }

            @Override
            public BackendModel load(ModelFile model, BackendOptions options) {
                BackendModel inner = reference.load(model, options);
                Backend self = this;
                return new BackendModel() {
                    @Override
                    public Backend backend() {
                        return self;
                    }

                    @Override
                    public dev.mixtral4j.model.ModelConfig config() {
                        return inner.config();
                    }

                    @Override
                    public dev.mixtral4j.spi.BackendSession newSession(dev.mixtral4j.spi.SessionOptions options) {
                        return inner.newSession(options);
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }
        };
        try (Model m = load(Fixtures.tinyMoe(GgmlType.F32).path(), silent); Session s = m.newSession()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> s.attach(t -> { }));
            assertTrue(e.getMessage().contains("'silent'"), e.getMessage());
        }
    }
}
