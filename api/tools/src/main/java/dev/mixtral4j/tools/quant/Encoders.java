package dev.mixtral4j.tools.quant;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.UnsupportedTensorTypeException;
import java.util.EnumMap;
import java.util.Map;

/**
 * The encoder of every type this module writes: GGML's reference quantizers reproduced byte for
 * byte, and IQ4_NL / IQ4_XS with a search of our own (GGML's needs no reproducing: files of those
 * types are read back by any decoder, and only the decoded values matter).
 */
final class Encoders {

    private static final Map<GgmlType, BlockEncoder> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Encoder());
        register(new F16Encoder());
        register(new Bf16Encoder());
        register(new Q4_0Encoder());
        register(new Q4_1Encoder());
        register(new Q5_0Encoder());
        register(new Q5_1Encoder());
        register(new Q8_0Encoder());
        register(new Q8_1Encoder());
        register(new Q2_KEncoder());
        register(new Q3_KEncoder());
        register(new Q4_KEncoder());
        register(new Q5_KEncoder());
        register(new Q6_KEncoder());
        register(new Q8_KEncoder());
        register(new Iq4NlEncoder());
        register(new Iq4XsEncoder());
    }

    private Encoders() {
    }

    private static void register(BlockEncoder encoder) {
        BY_TYPE.put(encoder.type(), encoder);
    }

    static boolean canEncode(GgmlType type) {
        return BY_TYPE.containsKey(type);
    }

    /** The encoder of {@code type}, or the exception naming the type. */
    static BlockEncoder of(GgmlType type) {
        BlockEncoder encoder = BY_TYPE.get(type);
        if (encoder == null) {
            throw new UnsupportedTensorTypeException(type, "quantization");
        }
        return encoder;
    }
}
