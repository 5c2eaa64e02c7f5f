package dev.mixtral4j.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Binder;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.binder.LinkedBindingBuilder;
import com.google.inject.multibindings.Multibinder;
import dev.mixtral4j.Backends;
import dev.mixtral4j.ModelLoader;
import dev.mixtral4j.sampling.SamplerRegistry;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SamplerProvider;
import dev.mixtral4j.spi.TokenizerProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Guice bindings for Mixtral4j (Guice is an optional dependency: only this package uses it).
 * Binds {@link Backends}, {@link SamplerRegistry} and {@link ModelLoader} (which loads models with
 * those backends and tokenizers) as singletons of the injector, made of the providers users add
 * with the {@code add*} methods followed by those ServiceLoader finds; on a duplicate id or name
 * the user's binding wins.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(new Mixtral4jModule(), new AbstractModule() {
 *     protected void configure() {
 *         Mixtral4jModule.addBackend(binder()).to(MyBackendProvider.class);
 *         Mixtral4jModule.addSampler(binder()).to(MySamplerProvider.class);
 *     }
 * });
 * Backends backends = injector.getInstance(Backends.class);
 * try (Model model = injector.getInstance(ModelLoader.class).load(path, LoadOptions.defaults())) { ... }
 * }</pre>
 */
public class Mixtral4jModule extends AbstractModule {
    private final boolean discover;
    private final ClassLoader loader;

    /** Bound providers plus ServiceLoader discovery with the thread's context class loader. */
    public Mixtral4jModule() {
        this(true, null);
    }

    private Mixtral4jModule(boolean discover, ClassLoader loader) {
        this.discover = discover;
        this.loader = loader;
    }

    /** Bound providers plus ServiceLoader discovery with {@code loader}. */
    public static Mixtral4jModule discoveringWith(ClassLoader loader) {
        return new Mixtral4jModule(true, loader);
    }

    /** Only the providers bound with the {@code add*} methods (plus the built-in samplers). */
    public static Mixtral4jModule withoutDiscovery() {
        return new Mixtral4jModule(false, null);
    }

    /** Adds a backend provider: {@code addBackend(binder()).to(MyProvider.class)}. */
    public static LinkedBindingBuilder<BackendProvider> addBackend(Binder binder) {
        return Multibinder.newSetBinder(binder, BackendProvider.class).addBinding();
    }

    /** Adds a sampler provider (its name becomes usable in sampler specs). */
    public static LinkedBindingBuilder<SamplerProvider> addSampler(Binder binder) {
        return Multibinder.newSetBinder(binder, SamplerProvider.class).addBinding();
    }

    /** Adds a tokenizer provider; bound ones are tried before discovered ones of the same rank. */
    public static LinkedBindingBuilder<TokenizerProvider> addTokenizer(Binder binder) {
        return Multibinder.newSetBinder(binder, TokenizerProvider.class).addBinding();
    }

    @Override
    protected void configure() {
        // Declared here so the sets exist (empty) when nobody adds to them.
        Multibinder.newSetBinder(binder(), BackendProvider.class);
        Multibinder.newSetBinder(binder(), SamplerProvider.class);
        Multibinder.newSetBinder(binder(), TokenizerProvider.class);
    }

    private ClassLoader loader() {
        return loader != null ? loader : Thread.currentThread().getContextClassLoader();
    }

    @Provides
    @Singleton
    Backends backends(Set<BackendProvider> bound) {
        Backends discovered = discover ? Backends.discover(loader()) : Backends.of();
        return Backends.concat(new ArrayList<>(bound), discovered);
    }

    @Provides
    @Singleton
    SamplerRegistry samplerRegistry(Set<SamplerProvider> bound) {
        return discover
                ? SamplerRegistry.discover(loader(), new ArrayList<>(bound))
                : SamplerRegistry.of(concatBuiltins(bound));
    }

    @Provides
    @Singleton
    ModelLoader modelLoader(Backends backends, Set<TokenizerProvider> bound, SamplerRegistry samplers) {
        List<TokenizerProvider> all = new ArrayList<>(bound);
        if (discover) {
            all.addAll(ModelLoader.discoverTokenizers(loader()));
        }
        // Sessions of its models resolve sampler names with the injector's registry, so a sampler
        // bound with addSampler works in GenerationOptions.builder().sampler("name:...") too.
        return ModelLoader.of(backends, all, samplers);
    }

    private static List<SamplerProvider> concatBuiltins(Set<SamplerProvider> bound) {
        List<SamplerProvider> all = new ArrayList<>(bound);
        all.addAll(dev.mixtral4j.sampling.BuiltinSamplerProviders.all());
        return all;
    }
}
