package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.TensorInfo;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Finds the {@link ModelFeature}s a file uses, by metadata key and tensor name. The check is a
 * whitelist: a key under {@code <arch>.} or a tensor that is not part of the plain Mixtral recipe
 * is reported too ({@link ModelFeature#OTHER_HYPERPARAMETER}, {@link ModelFeature#OTHER_TENSOR}),
 * because a backend that does not know what it means cannot compute it. One check, shared by all
 * backends: each passes the set it implements.
 */
public final class ModelFeatures {
    /** {@code <arch>.} keys whose values {@link ModelConfig} reads or that change nothing. */
    private static final Set<String> PLAIN_KEYS = Set.of(
            "context_length", "embedding_length", "block_count", "feed_forward_length", "vocab_size",
            "attention.head_count", "attention.head_count_kv", "attention.key_length",
            "attention.layer_norm_rms_epsilon", "rope.dimension_count", "rope.freq_base",
            "expert_count", "expert_used_count", "tensor_data_layout",
            // the trained context before scaling and whether it was fine-tuned: information only
            "rope.scaling.original_context_length", "rope.scaling.finetuned");
    private static final Set<String> PER_LAYER_KEYS = Set.of(
            "attention.head_count", "attention.head_count_kv", "feed_forward_length", "expert_used_count");
    private static final Pattern LAYER_TENSOR = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Set<String> PLAIN_LAYER_TENSORS = Set.of(
            "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
            "ffn_norm.weight", "ffn_gate_inp.weight", "ffn_gate_exps.weight", "ffn_up_exps.weight",
            "ffn_down_exps.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight");
    private static final Pattern PER_EXPERT = Pattern.compile("ffn_(gate|up|down)\\.\\d+\\.weight");
    private static final Set<String> PLAIN_TENSORS = Set.of("token_embd.weight", "output_norm.weight", "output.weight");

    private ModelFeatures() {
    }

    /** One use of a feature: the feature and the key or tensor that shows it. */
    public record Use(ModelFeature feature, String where) {
        @Override
        public String toString() {
            return feature.description() + " (" + where + ")";
        }
    }

    /** Every feature the file uses beyond the plain recipe, in file order (keys, then tensors). */
    public static List<Use> detect(GgufMetadata md, List<TensorInfo> tensors) {
        List<Use> uses = new ArrayList<>();
        String arch = md.find("general.architecture").map(v -> String.valueOf(v.value())).orElse("llama");
        if (!arch.equals("llama")) {
            uses.add(new Use(ModelFeature.ARCHITECTURE, "general.architecture = " + arch));
        }
        String prefix = arch + ".";
        for (Map.Entry<String, MetadataValue> e : md.entries().entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                key(e.getKey(), e.getKey().substring(prefix.length()), e.getValue(), md, prefix).ifPresent(uses::add);
            }
        }
        for (TensorInfo t : tensors) {
            tensor(t.name()).ifPresent(uses::add);
        }
        return uses;
    }

    public static List<Use> detect(ModelFile file) {
        return detect(file.metadata(), file.gguf().tensors());
    }

    /**
     * Why a backend that computes only {@code supported} (beyond the plain recipe) must not run
     * this file, or empty when it may: "uses X (key), Y (tensor) which BACKEND does not compute".
     */
    public static Optional<String> refusal(GgufMetadata md, List<TensorInfo> tensors, Set<ModelFeature> supported,
                                           String backend) {
        List<Use> missing = detect(md, tensors).stream().filter(u -> !supported.contains(u.feature())).toList();
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        int shown = Math.min(missing.size(), 6);
        String list = missing.subList(0, shown).stream().map(Use::toString).collect(Collectors.joining(", "));
        return Optional.of("uses " + list + (missing.size() > shown ? " and " + (missing.size() - shown) + " more" : "")
                + ", which the " + backend + " backend does not compute (refused rather than computed wrong)");
    }

    public static Optional<String> refusal(ModelFile file, Set<ModelFeature> supported, String backend) {
        return refusal(file.metadata(), file.gguf().tensors(), supported, backend);
    }

    /** Nothing beyond the plain recipe. */
    public static Set<ModelFeature> none() {
        return EnumSet.noneOf(ModelFeature.class);
    }

    private static Optional<Use> key(String key, String k, MetadataValue v, GgufMetadata md, String prefix) {
        Object value = v.value();
        if (value instanceof MetadataArray && PER_LAYER_KEYS.contains(k)) {
            return use(ModelFeature.PER_LAYER_HYPERPARAMETERS, key);
        }
        if (PLAIN_KEYS.contains(k)) {
            return Optional.empty();
        }
        return switch (k) {
            case "attention.value_length" -> value instanceof Number n && n.longValue() == keyHeadLength(md, prefix)
                    ? Optional.empty() : use(ModelFeature.VALUE_HEAD_LENGTH, key + " = " + value);
            case "attention.causal" -> Boolean.TRUE.equals(value) ? Optional.empty()
                    : use(ModelFeature.NON_CAUSAL_ATTENTION, key + " = " + value);
            case "attention.sliding_window" -> value instanceof Number n && n.longValue() == 0 ? Optional.empty()
                    : use(ModelFeature.SLIDING_WINDOW, key + " = " + value);
            // linear scaling shows in its factor key; the type alone changes nothing
            case "rope.scaling.type" -> "none".equals(value) || "linear".equals(value)
                    ? Optional.empty() : use(ModelFeature.ROPE_SCALING, key + " = " + value);
            case "rope.scaling.factor", "rope.scale_linear" -> value instanceof Number n
                    && (n.doubleValue() == 0 || n.doubleValue() == 1) || "none".equals(md.find(prefix + "rope.scaling.type")
                    .map(MetadataValue::value).orElse(null)) && value instanceof Number
                    ? Optional.empty() : use(ModelFeature.ROPE_SCALING, key + " = " + value);
            case "rope.scaling.attn_factor" -> value instanceof Number n && n.doubleValue() == 1 ? Optional.empty()
                    : use(ModelFeature.ROPE_SCALING, key + " = " + value);
            case "final_logit_softcapping", "attn_logit_softcapping" -> value instanceof Number n && n.doubleValue() == 0
                    ? Optional.empty() : use(ModelFeature.LOGIT_SOFTCAPPING, key + " = " + value);
            // what Mixtral does anyway: softmax gating, top-k weights renormalised, no extra scale
            case "expert_weights_norm" -> Boolean.TRUE.equals(value) ? Optional.empty()
                    : use(ModelFeature.OTHER_HYPERPARAMETER, key + " = " + value);
            case "expert_gating_func" -> value instanceof Number n && n.longValue() == 1 ? Optional.empty()
                    : use(ModelFeature.OTHER_HYPERPARAMETER, key + " = " + value);
            case "expert_weights_scale" -> value instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() == 1)
                    ? Optional.empty() : use(ModelFeature.OTHER_HYPERPARAMETER, key + " = " + value);
            default -> k.startsWith("rope.scaling.") ? use(ModelFeature.ROPE_SCALING, key + " = " + value)
                    : use(ModelFeature.OTHER_HYPERPARAMETER, key + " = " + brief(value));
        };
    }

    /** {@code attention.key_length}, or embedding / heads as llama.cpp defaults it; -1 when unreadable. */
    private static long keyHeadLength(GgufMetadata md, String prefix) {
        try {
            if (md.contains(prefix + "attention.key_length")) {
                return md.getLong(prefix + "attention.key_length");
            }
            long embd = md.findLong(prefix + "embedding_length").orElse(0);
            long heads = md.findLong(prefix + "attention.head_count").orElse(0);
            return heads > 0 ? embd / heads : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static Optional<Use> tensor(String name) {
        if (PLAIN_TENSORS.contains(name)) {
            return Optional.empty();
        }
        if (name.startsWith("rope_freqs.") || name.startsWith("rope_factors_")) {
            return use(ModelFeature.ROPE_FREQUENCY_FACTORS, name);
        }
        Matcher m = LAYER_TENSOR.matcher(name);
        if (m.matches()) {
            String t = m.group(2);
            if (PLAIN_LAYER_TENSORS.contains(t) || PER_EXPERT.matcher(t).matches()) {
                return Optional.empty();
            }
            if (t.startsWith("rope_freqs.") || t.startsWith("rope_factors_")) {
                return use(ModelFeature.ROPE_FREQUENCY_FACTORS, name);
            }
            if (t.equals("attn_qkv.weight")) {
                return use(ModelFeature.FUSED_QKV, name);
            }
            if (t.startsWith("attn_") && t.endsWith(".bias")) {
                return use(ModelFeature.ATTENTION_BIAS, name);
            }
            if (t.startsWith("ffn_") && t.endsWith(".bias")) {
                return use(ModelFeature.FFN_BIAS, name);
            }
        }
        return use(ModelFeature.OTHER_TENSOR, name);
    }

    private static Optional<Use> use(ModelFeature f, String where) {
        return Optional.of(new Use(f, where));
    }

    private static String brief(Object value) {
        String s = String.valueOf(value);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
