package dev.mixtral4j.gguf;

import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors that fail with a
 * {@link ModelFormatException} naming the key when a value is missing or of the wrong type.
 */
public final class GgufMetadata {
    private final Map<String, MetadataValue> entries;
    private final String source;

    public GgufMetadata(Map<String, MetadataValue> entries, String source) {
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        this.source = source;
    }

    /** All entries in file order. */
    public Map<String, MetadataValue> entries() {
        return entries;
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    public Optional<MetadataValue> find(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    public Optional<String> findString(String key) {
        MetadataValue v = entries.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v.value() instanceof String s) {
            return Optional.of(s);
        }
        throw wrongType(key, v, "a string");
    }

    public String getString(String key) {
        return findString(key).orElseThrow(() -> missing(key));
    }

    /** Any integer-typed value widened to long. */
    public OptionalLong findLong(String key) {
        MetadataValue v = entries.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (v.value() instanceof Integer i) {
            return OptionalLong.of(i);
        }
        if (v.value() instanceof Long l) {
            return OptionalLong.of(l);
        }
        throw wrongType(key, v, "an integer");
    }

    public long getLong(String key) {
        return findLong(key).orElseThrow(() -> missing(key));
    }

    /** An integer value that must fit a Java int. */
    public int getInt(String key) {
        return toInt(key, getLong(key));
    }

    public int getInt(String key, int defaultValue) {
        OptionalLong v = findLong(key);
        return v.isPresent() ? toInt(key, v.getAsLong()) : defaultValue;
    }

    /** Any numeric value (float or integer) as double. */
    public OptionalDouble findDouble(String key) {
        MetadataValue v = entries.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        if (v.value() instanceof Number n) {
            return OptionalDouble.of(n.doubleValue());
        }
        throw wrongType(key, v, "a number");
    }

    public double getDouble(String key) {
        return findDouble(key).orElseThrow(() -> missing(key));
    }

    public Optional<Boolean> findBool(String key) {
        MetadataValue v = entries.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v.value() instanceof Boolean b) {
            return Optional.of(b);
        }
        throw wrongType(key, v, "a bool");
    }

    public Optional<MetadataArray> findArray(String key) {
        MetadataValue v = entries.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v.value() instanceof MetadataArray a) {
            return Optional.of(a);
        }
        throw wrongType(key, v, "an array");
    }

    public Optional<String[]> findStringArray(String key) {
        return findArray(key).map(a -> {
            if (a.values() instanceof String[] s) {
                return s;
            }
            throw new ModelFormatException(where() + "metadata '" + key + "' is an array of "
                    + a.elementType() + ", expected an array of strings");
        });
    }

    public Optional<float[]> findFloatArray(String key) {
        return findArray(key).map(a -> switch (a.values()) {
            case float[] f -> f;
            case double[] d -> {
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    f[i] = (float) d[i];
                }
                yield f;
            }
            default -> throw new ModelFormatException(where() + "metadata '" + key + "' is an array of "
                    + a.elementType() + ", expected an array of floats");
        });
    }

    /** An array of any integer type whose values fit an int. */
    public Optional<int[]> findIntArray(String key) {
        return findArray(key).map(a -> switch (a.values()) {
            case int[] i -> i;
            case long[] l -> {
                int[] r = new int[l.length];
                for (int i = 0; i < l.length; i++) {
                    r[i] = toInt(key + "[" + i + "]", l[i]);
                }
                yield r;
            }
            default -> throw new ModelFormatException(where() + "metadata '" + key + "' is an array of "
                    + a.elementType() + ", expected an array of integers");
        });
    }

    private int toInt(String key, long v) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ModelFormatException(where() + "metadata '" + key + "' = " + v + " does not fit an int");
        }
        return (int) v;
    }

    private ModelFormatException missing(String key) {
        return new ModelFormatException(where() + "metadata key '" + key + "' is missing");
    }

    private ModelFormatException wrongType(String key, MetadataValue v, String expected) {
        return new ModelFormatException(where() + "metadata '" + key + "' is " + v.type() + ", expected " + expected);
    }

    private String where() {
        return source == null ? "" : source + ": ";
    }

    @Override
    public String toString() {
        return "GgufMetadata" + entries.keySet();
    }
}
