package dev.mixtral4j;

import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
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

    private ModelLoader(Backends backends, List<TokenizerProvider> tokenizers) {
        this.backends = backends;
        List<TokenizerProvider> sorted = new ArrayList<>(tokenizers);
        sorted.sort(Comparator.comparingInt(ModelLoader::rankOf).reversed());
        this.tokenizers = List.copyOf(sorted);
    }

    /** Backends and tokenizers found by ServiceLoader with the thread's context class loader. */
    public static ModelLoader discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    public static ModelLoader discover(ClassLoader loader) {
        return new ModelLoader(Backends.discover(loader), discoverTokenizers(loader));
    }

    /** These backends, and these tokenizer providers (highest rank tried first). */
    public static ModelLoader of(Backends backends, List<? extends TokenizerProvider> tokenizers) {
        return new ModelLoader(backends, new ArrayList<>(tokenizers));
    }

    /** Tokenizer providers ServiceLoader finds with {@code loader}; a broken one is logged and skipped. */
    public static List<TokenizerProvider> discoverTokenizers(ClassLoader loader) {
        List<TokenizerProvider> found = new ArrayList<>();
        var it = ServiceLoader.load(TokenizerProvider.class, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                LOG.warn("Mixtral4j: a tokenizer provider could not be loaded: {}", Backends.oneLine(e));
            }
        }
        return found;
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
    public Model load(Path path, LoadOptions options) throws IOException {
        ModelFile file = ModelFile.open(path, options.weightsInMemory());
        try {
            List<Backend> choices = backends.choices(options.backend());
            List<String> refusals = new ArrayList<>();
            for (Backend b : choices) {
                Availability a = supports(b, file);
                if (!a.available()) {
                    refusals.add(choices.size() == 1 ? a.reason() : b.id() + ": " + a.reason());
                    continue;
                }
                Model model = new Model(file, options, backends, tokenizers, b);
                try {
                    model.backendModel(b);
                } catch (RuntimeException e) {
                    model.closeBackendsOnly();
                    throw e;
                }
                return model;
            }
            throw new BackendUnavailableException((choices.size() == 1 ? "backend '" + choices.getFirst().id()
                    + "' cannot run " : "no available backend can run ") + path.getFileName() + ": "
                    + String.join("; ", refusals));
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    static Availability supports(Backend b, ModelFile file) {
        try {
            Availability a = b.supports(file);
            return a == null ? Availability.no("no answer") : a;
        } catch (RuntimeException e) {
            return Availability.no("support check failed: " + Backends.oneLine(e));
        }
    }

    /** Loads {@code file} on {@code backend}, with a clear error when it cannot run it. */
    static BackendModel loadOn(Backend backend, ModelFile file, LoadOptions options) {
        Availability a = supports(backend, file);
        if (!a.available()) {
            throw new BackendUnavailableException("backend '" + backend.id() + "' cannot run "
                    + file.path().getFileName() + ": " + a.reason());
        }
        return backend.load(file, options);
    }

    @Override
    public String toString() {
        return "ModelLoader[backends=" + backends.ids() + ", tokenizers="
                + tokenizers.stream().map(TokenizerProvider::id).collect(Collectors.joining(", ")) + "]";
    }
}
