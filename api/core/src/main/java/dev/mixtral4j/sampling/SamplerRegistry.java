package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Discovery;
import dev.mixtral4j.spi.Sampler;
import dev.mixtral4j.spi.SamplerProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sampler providers by name: the ones given explicitly first, then those found with
 * ServiceLoader, then the built-ins; when two share a name the first one wins (so a user's
 * "top-k" replaces ours). An instance, not a global: build one per configuration.
 */
public final class SamplerRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SamplerRegistry.class);

    private final Map<String, SamplerProvider> providers;

    private SamplerRegistry(List<SamplerProvider> ordered) {
        Map<String, SamplerProvider> byName = new LinkedHashMap<>();
        for (SamplerProvider p : ordered) {
            SamplerProvider previous = byName.putIfAbsent(p.name(), p);
            if (previous != null && previous.getClass() != p.getClass()) {
                LOG.debug("Mixtral4j: sampler '{}' of {} hidden by {}", p.name(), p.getClass().getName(),
                        previous.getClass().getName());
            }
        }
        this.providers = Map.copyOf(byName);
    }

    /** The built-in samplers only. */
    public static SamplerRegistry builtins() {
        return new SamplerRegistry(BuiltinSamplerProviders.all());
    }

    /** Built-ins plus the providers ServiceLoader finds with the thread's context class loader. */
    public static SamplerRegistry discover() {
        return discover(Thread.currentThread().getContextClassLoader(), List.of());
    }

    /**
     * {@code explicit} providers, then ServiceLoader's with {@code loader} (null: the system class
     * loader), then the built-ins. A provider that fails to load is logged and skipped.
     */
    public static SamplerRegistry discover(ClassLoader loader, List<? extends SamplerProvider> explicit) {
        List<SamplerProvider> all = new ArrayList<>(explicit);
        for (Discovery.Found<SamplerProvider> f : Discovery.find(SamplerProvider.class, loader)) {
            if (!f.ok()) {
                LOG.warn("Mixtral4j: sampler provider {} could not be loaded: {}", f.className(), f.reason());
            } else if (f.provider().getClass().getEnclosingClass() != BuiltinSamplerProviders.class) {
                // The built-ins are registered too; they go last so third parties may replace them.
                all.add(f.provider());
            }
        }
        all.addAll(BuiltinSamplerProviders.all());
        return new SamplerRegistry(all);
    }

    /** Exactly these providers (first wins on duplicate names). */
    public static SamplerRegistry of(List<? extends SamplerProvider> providers) {
        return new SamplerRegistry(new ArrayList<>(providers));
    }

    public Set<String> names() {
        return new java.util.TreeSet<>(providers.keySet());
    }

    /**
     * @throws IllegalArgumentException naming the unknown sampler and the known ones
     */
    public Sampler create(String name, Map<String, String> parameters) {
        SamplerProvider p = providers.get(name);
        if (p == null) {
            throw new UnknownSamplerException(name, "unknown sampler '" + name + "' (known: " + String.join(", ", names()) + ")");
        }
        return p.create(parameters);
    }

    /** Parses a chain spec; see {@link Samplers#fromSpec(String)}. */
    public SamplerChain parse(String spec) {
        return SamplerSpecParser.parse(spec, this);
    }
}
