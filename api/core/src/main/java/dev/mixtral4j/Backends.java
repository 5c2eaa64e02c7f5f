package dev.mixtral4j;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.Discovery;
import dev.mixtral4j.spi.SpiVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends one application can use: found with {@link java.util.ServiceLoader} ({@link #discover()}) or
 * given explicitly ({@link #of}). Each instance is independent (no global registry), so two
 * configurations, or two models on two backends, live side by side in one JVM.
 *
 * <pre>{@code
 * Backends backends = Backends.discover();
 * backends.all().forEach(System.out::println);   // every provider, available or not, and why
 * Backend best = backends.select("auto");         // or -Dmixtral4j.backend=java / MIXTRAL4J_BACKEND=java
 * Backend java = backends.get("java");            // BackendUnavailableException with a one-line reason
 * }</pre>
 *
 * <p>Nothing here throws because a provider misbehaves: a provider whose class cannot be loaded
 * or whose {@code availability()} throws is listed as unavailable with the error as the reason.
 * When two providers claim the same id, the first one found wins and a one-line warning names both.
 * A provider built for another {@linkplain SpiVersion SPI version} is listed as unavailable with both versions.
 * Availability is asked once per instance and remembered; backends are created once per instance.
 */
public final class Backends implements Iterable<BackendInfo> {
    /** System property that overrides "auto". */
    public static final String PROPERTY = "mixtral4j.backend";
    /** Environment variable that overrides "auto" when the system property is not set. */
    public static final String ENVIRONMENT = "MIXTRAL4J_BACKEND";
    public static final String AUTO = "auto";

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private final Map<String, Entry> entries;
    private final UnaryOperator<String> settings;

    private Backends(List<Entry> found, UnaryOperator<String> settings) {
        Map<String, Entry> byId = new LinkedHashMap<>();
        for (Entry e : found) {
            Entry first = byId.putIfAbsent(e.id, e);
            if (first != null) {
                LOG.warn("Mixtral4j: several backends with id '{}': using {}, ignoring {}",
                        e.id, first.providerClass, e.providerClass);
            }
        }
        this.entries = byId;
        this.settings = settings;
    }

    /** Providers found by ServiceLoader with the thread's context class loader (or the system one). */
    public static Backends discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    /** Providers found by ServiceLoader with {@code loader} (null: the system class loader). */
    public static Backends discover(ClassLoader loader) {
        return new Backends(load(Discovery.find(BackendProvider.class, loader)), Backends::setting);
    }

    /** Providers found by ServiceLoader in a module layer (and its parents). */
    public static Backends discover(ModuleLayer layer) {
        return new Backends(load(Discovery.find(BackendProvider.class, layer)), Backends::setting);
    }

    /** Exactly these providers, in this order (first wins on duplicate ids). */
    public static Backends of(BackendProvider... providers) {
        return of(List.of(providers));
    }

    /** Exactly these providers, in this order (first wins on duplicate ids). */
    public static Backends of(Collection<? extends BackendProvider> providers) {
        List<Entry> list = new ArrayList<>();
        for (BackendProvider p : providers) {
            list.add(Entry.of(Objects.requireNonNull(p, "provider")));
        }
        return new Backends(list, Backends::setting);
    }

    /**
     * These providers first, then those of {@code discovered} (so explicit ones win on duplicate
     * ids). Used by the Guice module; handy for tests that add one backend to the discovered set.
     */
    public static Backends concat(Collection<? extends BackendProvider> first, Backends discovered) {
        List<Entry> list = new ArrayList<>();
        for (BackendProvider p : first) {
            list.add(Entry.of(p));
        }
        list.addAll(discovered.entries.values());
        return new Backends(list, discovered.settings);
    }

    /**
     * A copy that reads the "auto" override from {@code settings} (given the system property name
     * and then the environment variable name) instead of the JVM's; for tests and embedders.
     */
    public Backends withSettings(UnaryOperator<String> settings) {
        return new Backends(new ArrayList<>(entries.values()), Objects.requireNonNull(settings));
    }

    private static String setting(String key) {
        return key.equals(PROPERTY) ? System.getProperty(key) : System.getenv(key);
    }

    private static List<Entry> load(List<Discovery.Found<BackendProvider>> found) {
        List<Entry> entries = new ArrayList<>();
        for (Discovery.Found<BackendProvider> f : found) {
            if (f.ok()) {
                entries.add(Entry.of(f.provider()));
            } else {
                LOG.warn("Mixtral4j: backend provider {} could not be loaded: {}", f.className(), f.reason());
                String simple = f.className().substring(Math.max(f.className().lastIndexOf('.'), f.className().lastIndexOf('$')) + 1);
                entries.add(Entry.broken(f.className().equals("unknown") ? "<unloadable>" : simple, f.className(),
                        f.failure()));
            }
        }
        return entries;
    }

    /** Every provider, available or not, highest rank first. Never throws. */
    public List<BackendInfo> all() {
        return entries.values().stream()
                .map(Entry::info)
                .sorted(Comparator.comparingInt(BackendInfo::rank).reversed())
                .toList();
    }

    @Override
    public Iterator<BackendInfo> iterator() {
        return all().iterator();
    }

    /** Ids of every provider, highest rank first. */
    public List<String> ids() {
        return all().stream().map(BackendInfo::id).toList();
    }

    /** The ones that can run here, highest rank first. */
    public List<BackendInfo> available() {
        return all().stream().filter(BackendInfo::available).toList();
    }

    /** The provider behind an id, whether available or not. */
    public java.util.Optional<BackendProvider> provider(String id) {
        Entry e = entries.get(id);
        return e == null || e.provider == null ? java.util.Optional.empty() : java.util.Optional.of(e.provider);
    }

    /**
     * The backend with this id.
     *
     * @throws BackendUnavailableException with a one-line reason: an unknown id (listing the known
     *         ones) or a known backend that cannot run here (with its reason)
     */
    public Backend get(String id) {
        Objects.requireNonNull(id, "backend id");
        Entry e = entries.get(id);
        if (e == null) {
            throw new BackendUnavailableException("unknown backend '" + id + "'; known: "
                    + (entries.isEmpty() ? "none (no BackendProvider found: add a backend module such as "
                    + "mixtral4j-backend-java to the class path or module path)" : describeAll()));
        }
        return e.backend();
    }

    /**
     * The backend to use for {@code idOrAuto}: an id is looked up with {@link #get}; {@code "auto"}
     * (or null/blank) means the system property {@value #PROPERTY}, else the environment variable
     * {@value #ENVIRONMENT}, else the available backend of highest rank.
     *
     * @throws BackendUnavailableException with a one-line reason when nothing fits
     */
    public Backend select(String idOrAuto) {
        return choices(idOrAuto).getFirst();
    }

    /**
     * What {@link #select} chooses from, best first: one backend for an id (or an "auto" that the
     * system property or environment variable turns into an id), else every available backend by
     * descending rank. Lets a caller fall back to the next one, e.g. when the best cannot run a
     * particular model file.
     *
     * @throws BackendUnavailableException with a one-line reason when the list would be empty
     */
    public List<Backend> choices(String idOrAuto) {
        if (idOrAuto != null && !idOrAuto.isBlank() && !AUTO.equalsIgnoreCase(idOrAuto.trim())) {
            return List.of(get(idOrAuto.trim()));
        }
        String override = firstNonBlank(settings.apply(PROPERTY), settings.apply(ENVIRONMENT));
        if (override != null && !AUTO.equalsIgnoreCase(override)) {
            try {
                return List.of(get(override));
            } catch (BackendUnavailableException ex) {
                String source = firstNonBlank(settings.apply(PROPERTY)) != null
                        ? "-D" + PROPERTY : "$" + ENVIRONMENT;
                throw new BackendUnavailableException(source + "=" + override + ": " + ex.getMessage(), ex);
            }
        }
        List<Backend> ranked = new ArrayList<>();
        for (BackendInfo info : available()) {
            try {
                ranked.add(entries.get(info.id()).backend());
            } catch (BackendUnavailableException e) {
                LOG.warn("Mixtral4j: {}", e.getMessage());
            }
        }
        if (ranked.isEmpty()) {
            throw new BackendUnavailableException(entries.isEmpty()
                    ? "no backend found: add a backend module such as mixtral4j-backend-java to the class path or module path"
                    : "no backend available: " + describeAll());
        }
        return List.copyOf(ranked);
    }

    private String describeAll() {
        return all().stream().map(i -> i.id() + " (" + i.availability() + ")").collect(Collectors.joining(", "));
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    /** The error and its causes on one line, e.g. "ServiceConfigurationError: ... caused by NoClassDefFoundError: x". */
    static String oneLine(Throwable t) {
        return Discovery.oneLine(t);
    }

    /** A table for humans: one line per backend. */
    @Override
    public String toString() {
        return all().stream().map(BackendInfo::toString).collect(Collectors.joining("\n"));
    }

    /** One provider with what was learnt about it; availability and backend computed once. */
    private static final class Entry {
        final BackendProvider provider;
        final String id;
        final String description;
        final int rank;
        final String providerClass;
        private Availability availability;
        private Backend backend;

        private Entry(BackendProvider provider, String id, String description, int rank, String providerClass,
                      Availability availability) {
            this.provider = provider;
            this.id = id;
            this.description = description;
            this.rank = rank;
            this.providerClass = providerClass;
            this.availability = availability;
        }

        static Entry of(BackendProvider p) {
            String cls = p.getClass().getName();
            String id;
            String description;
            int rank;
            try {
                id = Objects.requireNonNull(p.id(), "id() returned null");
            } catch (RuntimeException | LinkageError e) {
                return broken(p.getClass().getSimpleName().toLowerCase(Locale.ROOT), cls, e);
            }
            try {
                description = p.description();
            } catch (RuntimeException | LinkageError e) {
                description = "(description failed: " + oneLine(e) + ")";
            }
            try {
                rank = p.rank();
            } catch (RuntimeException | LinkageError e) {
                rank = Integer.MIN_VALUE;
            }
            Availability mismatch = null;
            try {
                String why = SpiVersion.mismatch(p.spiVersion());
                if (why != null) {
                    mismatch = Availability.no("provider " + cls + " was " + why);
                }
            } catch (RuntimeException | LinkageError e) {
                // AbstractMethodError: compiled before providers stated their version
                mismatch = Availability.no("provider " + cls + " was built for a backend SPI older than version "
                        + SpiVersion.CURRENT + " (it has no spiVersion()): use a build of the backend made for this api");
            }
            return new Entry(p, id, description == null ? "" : description, rank, cls, mismatch);
        }

        static Entry broken(String id, String cls, Throwable e) {
            return new Entry(null, id, "provider failed to load", Integer.MIN_VALUE, cls,
                    Availability.no("provider " + cls + " failed: " + oneLine(e)));
        }

        synchronized Availability availability() {
            if (availability == null) {
                try {
                    Availability a = provider.availability();
                    availability = a != null ? a : Availability.no("provider returned no availability");
                } catch (RuntimeException | LinkageError e) {
                    availability = Availability.no("availability check failed: " + oneLine(e));
                }
            }
            return availability;
        }

        BackendInfo info() {
            return new BackendInfo(id, description, rank, availability(), providerClass);
        }

        synchronized Backend backend() {
            Availability a = availability();
            if (!a.available()) {
                throw new BackendUnavailableException("backend '" + id + "' is unavailable: "
                        + (a.reason() == null || a.reason().isBlank() ? "no reason given" : a.reason()));
            }
            if (backend == null) {
                try {
                    backend = Objects.requireNonNull(provider.backend(), "backend() returned null");
                } catch (BackendUnavailableException e) {
                    throw e;
                } catch (RuntimeException | LinkageError e) {
                    throw new BackendUnavailableException("backend '" + id + "' failed to start: " + oneLine(e), e);
                }
            }
            return backend;
        }
    }
}
