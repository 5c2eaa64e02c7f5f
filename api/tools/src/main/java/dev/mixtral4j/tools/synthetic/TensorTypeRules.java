package dev.mixtral4j.tools.synthetic;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.tools.synthetic.SyntheticModel.Role;

/**
 * llama.cpp's choice of tensor types within a mixed file type (its {@code llama-quant.cpp}), for
 * the tensors a Mixtral-family model has.
 */
final class TensorTypeRules {
    private TensorTypeRules() {
    }

    /**
     * The Q4_K_M mixture: Q4_K by default; Q6_K for the output (and a tied embedding), and for
     * attn_v and ffn_down in the first and last eighth of the layers and every third layer in
     * between; with 8 experts, Q8_0 for attn_k and attn_v and Q5_K for attn_output.
     */
    static GgmlType q4KM(Role role, int layer, int layers, int experts) {
        return switch (role) {
            case OUTPUT -> GgmlType.Q6_K;
            case ATTN_V -> experts == 8 ? GgmlType.Q8_0 : useMoreBits(layer, layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
            case ATTN_K -> experts == 8 ? GgmlType.Q8_0 : GgmlType.Q4_K;
            case ATTN_OUTPUT -> experts == 8 ? GgmlType.Q5_K : GgmlType.Q4_K;
            case FFN_DOWN -> useMoreBits(layer, layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
            default -> GgmlType.Q4_K;
        };
    }

    /**
     * The IQ4_XS / IQ4_NL file types as llama.cpp's {@code llama-quant.cpp} mixes them when no
     * importance matrix is given: {@code main} by default; Q6_K for the output (and a tied
     * embedding); with 8 experts (Mixtral) Q8_0 for attn_k and attn_v and Q5_K for attn_output,
     * otherwise Q5_K for attn_v when 4 or more query heads share a KV head; Q5_K for ffn_down in the
     * first eighth of the layers. The untied token embedding keeps {@code main}. (Files made with an
     * importance matrix, as many downloads are, keep ffn_down in {@code main} everywhere.)
     */
    static GgmlType iq4(GgmlType main, Role role, int layer, int layers, int experts, int gqa) {
        return switch (role) {
            case OUTPUT -> GgmlType.Q6_K;
            case ATTN_V -> experts == 8 ? GgmlType.Q8_0 : gqa >= 4 ? GgmlType.Q5_K : main;
            case ATTN_K -> experts == 8 ? GgmlType.Q8_0 : main;
            case ATTN_OUTPUT -> experts == 8 ? GgmlType.Q5_K : main;
            case FFN_DOWN -> layer < layers / 8 ? GgmlType.Q5_K : main;
            default -> main;
        };
    }

    /** llama.cpp's {@code use_more_bits}. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /**
     * llama.cpp's fallback when a row is not a whole number of the type's blocks: 256-blocks
     * demote to a 32-block type, and what still does not fit becomes F16.
     */
    static GgmlType fallback(GgmlType type, int columns) {
        if (columns % type.blockSize() == 0) {
            return type;
        }
        GgmlType t = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            case IQ4_XS -> GgmlType.IQ4_NL;
            default -> type;
        };
        return columns % t.blockSize() == 0 ? t : GgmlType.F16;
    }
}
