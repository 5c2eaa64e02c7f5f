package dev.mixtral4j.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A typed GGUF metadata value. The Java representation by type: UINT8, INT8, UINT16, INT16 and
 * INT32 as {@link Integer}; UINT32, UINT64 and INT64 as {@link Long} (UINT64 above 2^63 wraps,
 * as in the file); FLOAT32 as {@link Float}; FLOAT64 as {@link Double}; BOOL as
 * {@link Boolean}; STRING as {@link String}; ARRAY as {@link MetadataArray}.
 */
public record MetadataValue(GgufValueType type, Object value) {

    public MetadataValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static MetadataValue ofString(String s) {
        return new MetadataValue(GgufValueType.STRING, s);
    }

    public static MetadataValue ofUint32(long v) {
        return new MetadataValue(GgufValueType.UINT32, v);
    }

    public static MetadataValue ofInt32(int v) {
        return new MetadataValue(GgufValueType.INT32, v);
    }

    public static MetadataValue ofUint64(long v) {
        return new MetadataValue(GgufValueType.UINT64, v);
    }

    public static MetadataValue ofFloat32(float v) {
        return new MetadataValue(GgufValueType.FLOAT32, v);
    }

    public static MetadataValue ofBool(boolean v) {
        return new MetadataValue(GgufValueType.BOOL, v);
    }

    public static MetadataValue ofArray(MetadataArray array) {
        return new MetadataValue(GgufValueType.ARRAY, array);
    }

    @Override
    public String toString() {
        return value instanceof MetadataArray a ? a.toString() : String.valueOf(value);
    }

    /**
     * A GGUF array. {@code values} is a primitive Java array matching the element type:
     * {@code int[]} for UINT8..INT32, {@code long[]} for UINT32/UINT64/INT64, {@code float[]},
     * {@code double[]}, {@code boolean[]}, {@code String[]}, or {@code MetadataArray[]} for
     * nested arrays.
     */
    public record MetadataArray(GgufValueType elementType, Object values) {

        public MetadataArray {
            Objects.requireNonNull(elementType, "elementType");
            Objects.requireNonNull(values, "values");
            if (!values.getClass().isArray()) {
                throw new IllegalArgumentException("values must be an array, got " + values.getClass());
            }
        }

        public int length() {
            return java.lang.reflect.Array.getLength(values);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MetadataArray a && a.elementType == elementType
                    && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(new Object[] {values}) * 31 + elementType.hashCode();
        }

        @Override
        public String toString() {
            int n = length();
            StringBuilder sb = new StringBuilder(elementType + "[" + n + "]");
            if (n > 0) {
                sb.append(" {");
                for (int i = 0; i < Math.min(n, 5); i++) {
                    sb.append(i == 0 ? "" : ", ").append(java.lang.reflect.Array.get(values, i));
                }
                sb.append(n > 5 ? ", ...}" : "}");
            }
            return sb.toString();
        }
    }
}
