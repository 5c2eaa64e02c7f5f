package dev.mixtral4j;

import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.sampling.SamplerRegistry;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.Discovery;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens models with a given set of backends and tokenizer implementations. {@link Mixtral4j#load}
 * uses one made by {@link #discover()}; build your own to control exactly what is used, or get
 * one from the Guice module.
 */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private final Backends backends;
    private final List<TokenizerProvider> tokenizers;
    private final SamplerRegistry samplers;

    private ModelLoader(Backends backends, List<TokenizerProvider> tokenizers, SamplerRegistry samplers) {
        this.backends = backends;
        this.samplers = samplers;
        List<TokenizerProvider> sorted = new ArrayList<>(tokenizers);
        sorted.sort(Comparator.comparingInt(ModelLoader::rankOf).reversed());
        this.tokenizers = List.copyOf(sorted);
    }

    /** Backends and tokenizers found by ServiceLoader with the thread's context class loader. */
    public static ModelLoader discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    public static ModelLoader discover(ClassLoader loader) {
        return new ModelLoader(Backends.discover(loader), discoverTokenizers(loader), SamplerRegistry.discover(loader, List.of()));
    }

    /** These backends, and these tokenizer providers (highest rank tried first). */
    public static ModelLoader of(Backends backends, List<? extends TokenizerProvider> tokenizers) {
        return of(backends, tokenizers, SamplerRegistry.discover());
    }

    /**
     * These backends, tokenizer providers and samplers: sampler names in a
     * {@link dev.mixtral4j.generation.GenerationOptions.Builder#sampler(String) spec} that the
     * discovered samplers do not know are looked up in {@code samplers} when a session of a model
     * of this loader generates (how samplers bound with Guice become usable by name).
     */
    public static ModelLoader of(Backends backends, List<? extends TokenizerProvider> tokenizers, SamplerRegistry samplers) {
        return new ModelLoader(backends, new ArrayList<>(tokenizers), java.util.Objects.requireNonNull(samplers, "samplers"));
    }

    /** The samplers sessions of this loader's models resolve sampler names with. */
    public SamplerRegistry samplers() {
        return samplers;
    }

    /** Tokenizer providers ServiceLoader finds with {@code loader}; a broken one is logged and skipped. */
    public static List<TokenizerProvider> discoverTokenizers(ClassLoader loader) {
        List<Discovery.Found<TokenizerProvider>> found = Discovery.find(TokenizerProvider.class, loader);
        for (Discovery.Found<TokenizerProvider> f : found) {
            if (!f.ok()) {
                LOG.warn("Mixtral4j: tokenizer provider {} could not be loaded: {}", f.className(), f.reason());
            }
        }
        return Discovery.providers(found);
    }

    private static int rankOf(TokenizerProvider p) {
        try {
            return p.rank();
        } catch (RuntimeException e) {
            return Integer.MIN_VALUE;
        }
    }

    public Backends backends() {
        return backends;
    }

    public List<TokenizerProvider> tokenizers() {
        return tokenizers;
    }

    public Model load(Path path) throws IOException {
        return load(path, LoadOptions.defaults());
    }

    /**
     * Opens the file and loads it on the backend {@code options.backend()} names; with "auto" (and
     * no override) the best available backend that supports this file. The tokenizer is found
     * on first use.
     *
     * @throws BackendUnavailableException when no backend fits, with the reason for each
     * @throws dev.mixtral4j.gguf.ModelFormatException when the file is not a model we can read
     */
    public Model load(Path path, LoadOptions requested) throws IOException {
        ModelFile file = ModelFile.open(path, requested.weightsInMemory());
        try {
            // Defaults for a small machine, settled once here so that backends, sessions and
            // Model.options() all see the same numbers.
            LoadOptions options = requested.withContextFor(file.config().contextLength());
            int cores = Runtime.getRuntime().availableProcessors();
            if (options.threads() > cores) {
                LOG.warn("Mixtral4j: {} threads asked for but {} cores are available: threads beyond the cores"
                        + " compete for them and usually make {} slower", options.threads(), cores, path.getFileName());
            }
            List<Backend> choices = backends.choices(options.backend());
            List<String> refusals = new ArrayList<>();
            for (Backend b : choices) {
                BackendModel loaded;
                try {
                    // The load is the negotiation: a backend refuses a file it cannot run with a
                    // ModelFormatException naming why, and "auto" moves on to the next one.
                    loaded = b.load(file, options);
                } catch (ModelFormatException e) {
                    if (choices.size() == 1) {
                        throw new BackendUnavailableException("backend '" + b.id() + "' cannot run "
                                + path.getFileName() + ": " + e.getMessage(), e);
                    }
                    LOG.debug("Mixtral4j: {} refused {}: {}", b.id(), path.getFileName(), e.getMessage());
                    refusals.add(b.id() + ": " + e.getMessage());
                    continue;
                }
                return new Model(file, options, backends, tokenizers, samplers, b, loaded);
            }
            throw new BackendUnavailableException("no available backend can run " + path.getFileName() + ": "
                    + String.join("; ", refusals));
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /** Loads {@code file} on {@code backend}, with a clear error when it cannot run it. */
    static BackendModel loadOn(Backend backend, ModelFile file, LoadOptions options) {
        try {
            return backend.load(file, options);
        } catch (ModelFormatException e) {
            throw new BackendUnavailableException("backend '" + backend.id() + "' cannot run "
                    + file.path().getFileName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ModelLoader[backends=" + backends.ids() + ", tokenizers="
                + tokenizers.stream().map(TokenizerProvider::id).collect(Collectors.joining(", ")) + "]";
    }
}
