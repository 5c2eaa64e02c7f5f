package dev.mixtral4j.quant;

import dev.mixtral4j.gguf.GgmlType;
import java.util.EnumMap;
import java.util.Map;

/** The codec of every type this package implements. */
final class Codecs {

    private static final Map<GgmlType, BlockCodec> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Codec());
        register(new F16Codec());
        register(new Bf16Codec());
        register(new Q4_0Codec());
        register(new Q4_1Codec());
        register(new Q5_0Codec());
        register(new Q5_1Codec());
        register(new Q8_0Codec());
        register(new Q8_1Codec());
        register(new Q2_KCodec());
        register(new Q3_KCodec());
        register(new Q4_KCodec());
        register(new Q5_KCodec());
        register(new Q6_KCodec());
        register(new Q8_KCodec());
        register(new Iq4NlCodec());
        register(new Iq4XsCodec());
    }

    private Codecs() {
    }

    private static void register(BlockCodec codec) {
        BY_TYPE.put(codec.type(), codec);
    }

    static boolean canDecode(GgmlType type) {
        return BY_TYPE.containsKey(type);
    }

    static boolean canEncode(GgmlType type) {
        BlockCodec codec = BY_TYPE.get(type);
        return codec != null && codec.canEncode();
    }

    /** The codec of a type that can be quantized, or the exception naming the type. */
    static BlockCodec encoder(GgmlType type) {
        BlockCodec codec = of(type, "quantization");
        if (!codec.canEncode()) {
            throw new UnsupportedTensorTypeException(type, "quantization");
        }
        return codec;
    }

    static BlockCodec of(GgmlType type, String operation) {
        BlockCodec codec = BY_TYPE.get(type);
        if (codec == null) {
            throw new UnsupportedTensorTypeException(type, operation);
        }
        return codec;
    }
}
