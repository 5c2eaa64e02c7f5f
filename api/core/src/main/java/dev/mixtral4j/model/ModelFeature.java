package dev.mixtral4j.model;

/**
 * A property of a model file that changes the arithmetic of the forward pass beyond the plain
 * Mixtral/Mistral recipe that {@link ModelConfig} describes. A backend declares the ones it
 * computes; {@link ModelFeatures#refusal} refuses a file that uses any other, naming the key or
 * tensor, so that no backend ever runs a file while silently ignoring part of its math.
 */
public enum ModelFeature {
    /** {@code general.architecture} other than "llama". */
    ARCHITECTURE("an architecture other than llama"),
    /** {@code <arch>.rope.scaling.*} with an effect: linear/yarn/longrope factor, yarn or attention factors. */
    ROPE_SCALING("RoPE scaling"),
    /** A {@code rope_freqs} (llama 3) or {@code rope_factors_long/short} tensor. */
    ROPE_FREQUENCY_FACTORS("RoPE frequency factors"),
    /** A bias on an attention projection ({@code blk.N.attn_q.bias}, ... {@code attn_output.bias}). */
    ATTENTION_BIAS("attention bias"),
    /** A bias on a feed-forward or router projection ({@code blk.N.ffn_up.bias}, ...). */
    FFN_BIAS("feed-forward bias"),
    /** Q, K and V in one {@code blk.N.attn_qkv.weight}. */
    FUSED_QKV("fused QKV projection"),
    /** {@code <arch>.attention.causal = false}: every token attends to every other one. */
    NON_CAUSAL_ATTENTION("non-causal attention"),
    /** {@code <arch>.attention.sliding_window > 0}. */
    SLIDING_WINDOW("sliding-window attention"),
    /** {@code <arch>.final_logit_softcapping} or {@code attn_logit_softcapping}. */
    LOGIT_SOFTCAPPING("logit soft-capping"),
    /** {@code <arch>.attention.value_length} different from the key length. */
    VALUE_HEAD_LENGTH("value heads of another length than key heads"),
    /** A per-layer hyper-parameter given as an array (head counts, feed-forward length, experts used). */
    PER_LAYER_HYPERPARAMETERS("per-layer hyper-parameters"),
    /** Any other {@code <arch>.*} key: its effect on the math is not known, so it is refused. */
    OTHER_HYPERPARAMETER("a hyper-parameter"),
    /** Any tensor that is not part of the Mixtral recipe. */
    OTHER_TENSOR("a tensor");

    private final String description;

    ModelFeature(String description) {
        this.description = description;
    }

    /** In words, for messages. */
    public String description() {
        return description;
    }
}
