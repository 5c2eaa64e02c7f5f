package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;
import java.util.EnumMap;
import java.util.Map;

/** The decoder of every type this package implements. */
final class Decoders {

    private static final Map<GgmlType, BlockDecoder> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Decoder());
        register(new F16Decoder());
        register(new Bf16Decoder());
        register(new Q4_0Decoder());
        register(new Q4_1Decoder());
        register(new Q5_0Decoder());
        register(new Q5_1Decoder());
        register(new Q8_0Decoder());
        register(new Q8_1Decoder());
        register(new Q2_KDecoder());
        register(new Q3_KDecoder());
        register(new Q4_KDecoder());
        register(new Q5_KDecoder());
        register(new Q6_KDecoder());
        register(new Q8_KDecoder());
        register(new Iq4NlDecoder());
        register(new Iq4XsDecoder());
    }

    private Decoders() {
    }

    private static void register(BlockDecoder decoder) {
        BY_TYPE.put(decoder.type(), decoder);
    }

    static boolean canDecode(GgmlType type) {
        return BY_TYPE.containsKey(type);
    }

    /** The decoder of {@code type}, or the exception naming the type. */
    static BlockDecoder of(GgmlType type) {
        BlockDecoder decoder = BY_TYPE.get(type);
        if (decoder == null) {
            throw new UnsupportedTensorTypeException(type, "dequantization");
        }
        return decoder;
    }
}
