package dev.mixtral4j.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.mixtral4j.Backends;
import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.sampling.GreedySampler;
import dev.mixtral4j.sampling.SamplerChain;
import dev.mixtral4j.sampling.SamplerRegistry;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Sampler;
import dev.mixtral4j.spi.SamplerProvider;
import jakarta.inject.Inject;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Mixtral4jModuleTest {

    /** A user's backend with an injected dependency, as Guice users write them. */
    public static final class MyBackendProvider extends TestBackendProvider {
        @Inject
        public MyBackendProvider(Greeting greeting) {
            super("mine", 500, () -> Availability.yes(greeting.text()));
        }
    }

    /** Claims the id of a discovered provider: the bound one must win. */
    public static final class MyAlpha extends TestBackendProvider {
        public MyAlpha() {
            super("alpha", 1, () -> Availability.yes("bound by the user"));
        }
    }

    public record Greeting(String text) {
    }

    public static final class MySampler implements SamplerProvider {
        @Override
        public String name() {
            return "always-greedy";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            return new GreedySampler();
        }
    }

    /** Always picks the character 'b': known only to the injector, not to ServiceLoader. */
    public static final class PickB implements SamplerProvider {
        @Override
        public String name() {
            return "pick-b";
        }

        @Override
        public Sampler create(Map<String, String> parameters) {
            return new Sampler() {
                @Override
                public String name() {
                    return "pick-b";
                }

                @Override
                public void apply(dev.mixtral4j.spi.Candidates c) {
                    for (int i = 0; i < c.size(); i++) {
                        if (c.ids()[i] == dev.mixtral4j.fakes.CharTokenizer.charToken('b')) {
                            c.select(i);
                            return;
                        }
                    }
                    throw new IllegalStateException("no 'b' among the candidates");
                }

                @Override
                public boolean selectsToken() {
                    return true;
                }

                @Override
                public Sampler copy() {
                    return this;
                }
            };
        }
    }

    @Test
    void bindsDiscoveredAndUserProviders() throws Exception {
        URL dir = getClass().getClassLoader().getResource("discovery/");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir}, getClass().getClassLoader())) {
            Injector injector = Guice.createInjector(Mixtral4jModule.discoveringWith(loader), new AbstractModule() {
                @Override
                protected void configure() {
                    bind(Greeting.class).toInstance(new Greeting("injected"));
                    Mixtral4jModule.addBackend(binder()).to(MyBackendProvider.class);
                    Mixtral4jModule.addBackend(binder()).to(MyAlpha.class);
                    Mixtral4jModule.addSampler(binder()).to(MySampler.class);
                }
            });
            Backends backends = injector.getInstance(Backends.class);
            assertSame(backends, injector.getInstance(Backends.class), "one registry per injector");
            assertTrue(backends.ids().containsAll(java.util.List.of("mine", "alpha", "beta")), backends.ids().toString());
            assertEquals("injected", backends.all().get(0).availability().reason());
            assertEquals("mine", backends.withSettings(k -> null).select("auto").id());
            assertEquals("bound by the user", backends.all().stream()
                    .filter(i -> i.id().equals("alpha")).findFirst().orElseThrow().availability().reason());

            SamplerRegistry samplers = injector.getInstance(SamplerRegistry.class);
            assertTrue(samplers.names().contains("always-greedy"));
            assertTrue(samplers.names().contains("top-k"));
            SamplerChain chain = samplers.parse("top-k:k=2,always-greedy");
            assertEquals(1, chain.sample(new float[] {0f, 5f, 1f}));
        }
    }

    @Test
    void withoutDiscoveryOnlyBoundBackends() {
        Injector injector = Guice.createInjector(Mixtral4jModule.withoutDiscovery(), new AbstractModule() {
            @Override
            protected void configure() {
                Mixtral4jModule.addBackend(binder()).toInstance(TestBackendProvider.available("solo", 1));
            }
        });
        assertEquals(java.util.List.of("solo"), injector.getInstance(Backends.class).ids());
        assertTrue(injector.getInstance(SamplerRegistry.class).names().contains("dist"));
    }

    @Test
    void modelLoaderUsesBoundBackendsAndTokenizers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        dev.mixtral4j.fakes.FakeBackend fake = new dev.mixtral4j.fakes.FakeBackend("guiced", (history, vocab) -> {
            float[] l = new float[vocab];
            l[dev.mixtral4j.fakes.CharTokenizer.charToken('a')] = 1f;
            return l;
        });
        Injector injector = Guice.createInjector(Mixtral4jModule.withoutDiscovery(), new AbstractModule() {
            @Override
            protected void configure() {
                Mixtral4jModule.addBackend(binder()).toInstance(TestBackendProvider.wrapping(fake, 1));
                Mixtral4jModule.addTokenizer(binder()).to(dev.mixtral4j.fakes.CharTokenizer.Provider.class);
                Mixtral4jModule.addSampler(binder()).to(PickB.class);
            }
        });
        dev.mixtral4j.ModelLoader loader = injector.getInstance(dev.mixtral4j.ModelLoader.class);
        assertSame(injector.getInstance(Backends.class), loader.backends());
        java.nio.file.Path file = dev.mixtral4j.fakes.TinyGguf.write(dir.resolve("m.gguf"),
                dev.mixtral4j.fakes.TinyGguf.charModel(32));
        try (dev.mixtral4j.Model model = loader.load(file, dev.mixtral4j.LoadOptions.defaults());
             dev.mixtral4j.Session session = model.newSession()) {
            assertEquals("guiced", model.backend().id());
            assertEquals("aaa", session.generate("hi", dev.mixtral4j.generation.GenerationOptions.builder().maxTokens(3)
                    .build()).text(), "the bound tokenizer decodes");
            // A sampler bound with Guice is known by name to the options builder too.
            assertEquals("bbb", session.generate("hi", dev.mixtral4j.generation.GenerationOptions.builder().maxTokens(3)
                    .sampler("pick-b").build()).text());
        }
        // Without the injector's registry the name stays unknown, and says so.
        IllegalArgumentException unknown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> dev.mixtral4j.generation.GenerationOptions.builder().sampler("pick-b").build()
                        .resolveSamplers(SamplerRegistry.builtins()));
        assertTrue(unknown.getMessage().contains("unknown sampler 'pick-b'"), unknown.getMessage());
    }

    @Test
    void emptyModuleStillWorks() {
        Injector injector = Guice.createInjector(Mixtral4jModule.withoutDiscovery());
        assertTrue(injector.getInstance(Backends.class).ids().isEmpty());
    }
}
