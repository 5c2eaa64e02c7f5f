package dev.mixtral4j.sampling;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, checked access to a sampler's string parameters: every error names the sampler, the
 * parameter and the value, and parameters nobody asked for are reported instead of ignored.
 */
public final class SamplerParameters {
    private final String sampler;
    private final Map<String, String> values;

    public SamplerParameters(String sampler, Map<String, String> values) {
        this.sampler = sampler;
        this.values = Map.copyOf(values);
    }

    /** Fails when a parameter other than {@code known} was given. */
    public SamplerParameters allowOnly(String... known) {
        Set<String> allowed = Set.of(known);
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("sampler " + sampler + ": unknown parameter(s) " + unknown
                    + " (known: " + (known.length == 0 ? "none" : String.join(", ", new TreeSet<>(allowed))) + ")");
        }
        return this;
    }

    public Map<String, String> values() {
        return values;
    }

    public int intValue(String key, int defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw bad(key, v, "an integer");
        }
    }

    public long longValue(String key, long defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw bad(key, v, "an integer");
        }
    }

    public float floatValue(String key, float defaultValue) {
        String v = values.get(key);
        return v == null ? defaultValue : parseFloat(key, v);
    }

    /** Parses a float, also accepting "inf", "+inf", "-inf". */
    float parseFloat(String key, String v) {
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "inf", "+inf", "infinity", "+infinity" -> {
                return Float.POSITIVE_INFINITY;
            }
            case "-inf", "-infinity" -> {
                return Float.NEGATIVE_INFINITY;
            }
            default -> {
                try {
                    float f = Float.parseFloat(t);
                    if (Float.isNaN(f)) {
                        throw bad(key, v, "a number");
                    }
                    return f;
                } catch (NumberFormatException e) {
                    throw bad(key, v, "a number");
                }
            }
        }
    }

    private IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException("sampler " + sampler + ": parameter " + key + " = '" + value
                + "' is not " + expected);
    }
}
