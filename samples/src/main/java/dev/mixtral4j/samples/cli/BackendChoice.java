package dev.mixtral4j.samples.cli;

import dev.mixtral4j.spi.Backend;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Picks a backend by id or "auto" (the available backend of highest rank). "auto" also honours
 * {@code -Dmixtral4j.backend} and {@code MIXTRAL4J_BACKEND}.
 */
final class BackendChoice {
    static final String AUTO = "auto";

    private BackendChoice() {
    }

    static Backend select(String requested) {
        String id = requested == null || requested.isBlank() ? AUTO : requested.trim().toLowerCase(Locale.ROOT);
        if (id.equals(AUTO)) {
            String configured = System.getProperty("mixtral4j.backend");
            if (configured == null || configured.isBlank()) {
                configured = System.getenv("MIXTRAL4J_BACKEND");
            }
            if (configured != null && !configured.isBlank()) {
                id = configured.trim().toLowerCase(Locale.ROOT);
            }
        }
        List<BackendLookup.Found> found = BackendLookup.discover();
        if (id.equals(AUTO)) {
            return found.stream().filter(f -> f.availability().available()).findFirst()
                    .map(f -> f.provider().backend())
                    .orElseThrow(() -> new IllegalStateException("no backend available: " + describe(found)));
        }
        String wanted = id;
        BackendLookup.Found f = found.stream().filter(x -> x.id().equalsIgnoreCase(wanted)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no backend '" + wanted + "' on the class path (found: "
                        + (found.isEmpty() ? "none" : found.stream().map(BackendLookup.Found::id).collect(Collectors.joining(", "))) + ")"));
        if (!f.availability().available()) {
            throw new IllegalStateException("backend '" + wanted + "' is unavailable here: " + f.availability().reason());
        }
        return f.provider().backend();
    }

    /** "java: <reason>; cuda: <reason>", or a hint when none was found at all. */
    static String describe(List<BackendLookup.Found> found) {
        if (found.isEmpty()) {
            return "none found on the class path (add a mixtral4j-backend-* jar)";
        }
        return found.stream().map(f -> f.id() + ": " + f.availability()).collect(Collectors.joining("; "));
    }
}
