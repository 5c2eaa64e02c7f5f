package dev.mixtral4j.samples.cli;

import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The backends the CLI can see, found with {@link ServiceLoader} (the CLI never names a backend
 * class). A provider that fails to load is listed as unavailable with the error as its reason.
 */
final class BackendLookup {

    /** One provider as found: its id, rank, availability; {@code provider} null when it failed to load. */
    record Found(String id, String description, int rank, Availability availability, BackendProvider provider) {
    }

    private BackendLookup() {
    }

    /** Every provider, best rank first (ties by id). */
    static List<Found> discover() {
        List<Found> found = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
        int broken = 0;
        while (true) {
            BackendProvider p;
            try {
                if (!it.hasNext()) {
                    break;
                }
                p = it.next();
            } catch (ServiceConfigurationError e) {
                found.add(new Found("broken-" + (++broken), "a backend provider that failed to load", Integer.MIN_VALUE,
                        Availability.no(Mixtral4jCli.oneLine(e)), null));
                continue;
            }
            Availability a;
            try {
                a = p.availability();
            } catch (RuntimeException | LinkageError e) {
                a = Availability.no("availability check failed: " + Mixtral4jCli.oneLine(e));
            }
            found.add(new Found(p.id(), p.description(), p.rank(), a, p));
        }
        found.sort(Comparator.comparingInt(Found::rank).reversed().thenComparing(Found::id));
        return found;
    }
}
