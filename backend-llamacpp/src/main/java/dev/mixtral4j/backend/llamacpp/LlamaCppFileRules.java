package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFeature;
import dev.mixtral4j.model.ModelFeatures;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one validator that stands between a GGUF file and llama.cpp: every metadata key and tensor
 * shape that llama.cpp {@value PackagedLibraries#LLAMA_CPP_VERSION} reads for the {@code llama}
 * architecture (with or without experts) is checked here, in Java, against llama.cpp's own limits,
 * so that nothing reaches a {@code GGML_ASSERT} (which aborts the whole process) or an uncaught C++
 * exception (which terminates it). Used by {@link LlamaCppBackend#supports}, its load, the
 * {@code info} command through it, and the llama.cpp tokenizer provider ({@link #vocabularyProblem},
 * the part a vocabulary-only load reads).
 *
 * <p>The rules follow llama.cpp's source ({@code src/llama-model.cpp} {@code load_hparams},
 * {@code src/models/llama.cpp}, {@code src/llama-vocab.cpp}, {@code src/llama-hparams.h}); each
 * says which assertion or exception it keeps away. Where llama.cpp accepts more than these rules
 * (other tokenizer families, per-layer arrays), the file is refused with the reason: a refusal is
 * an error line, an accepted bad file is a dead JVM. The out-of-process fuzzer
 * ({@code LlamaCppLoadFuzzTest}) looks for what these rules miss.
 */
final class LlamaCppFileRules {
    /** {@code LLAMA_MAX_LAYERS} in {@code llama-hparams.h}: {@code GGML_ASSERT(n_layer <= ...)}. */
    static final long MAX_LAYERS = 512;
    /** {@code LLAMA_MAX_EXPERTS} in {@code llama-hparams.h}: {@code GGML_ASSERT(n_expert <= ...)}. */
    static final long MAX_EXPERTS = 1024;
    /**
     * Largest {@code rope.scaling.attn_factor} accepted. Published models use about 1 (YaRN's own
     * factor is 0.1 ln(s) + 1, under 2.4 for any context extension s up to 10^6); q and k are both
     * multiplied by it, so 16 already scales attention scores 256-fold.
     */
    static final double MAX_ATTN_FACTOR = 16;
    /** Positions a context can reach (llama_pos is 32-bit): rotary angles go up to this / factor. */
    private static final double MAX_POSITION = 0x1p32;
    /** {@code LLAMA_ROPE_SCALING_TYPES} in {@code llama-model.cpp}; any other name is a GGML_ASSERT. */
    static final Set<String> ROPE_SCALING_TYPES = Set.of("none", "linear", "yarn", "longrope");
    /** The metadata keys under {@code llama.rope.scaling.} that llama.cpp's llama graph reads. */
    private static final Set<String> ROPE_SCALING_KEYS = Set.of("type", "factor", "attn_factor", "original_context_length",
            "finetuned");
    /** What llama.cpp computes for the llama architecture beyond the plain recipe. */
    static final Set<ModelFeature> SUPPORTED_FEATURES = EnumSet.of(ModelFeature.ROPE_SCALING,
            ModelFeature.ROPE_FREQUENCY_FACTORS, ModelFeature.ATTENTION_BIAS, ModelFeature.FFN_BIAS,
            ModelFeature.FUSED_QKV, ModelFeature.NON_CAUSAL_ATTENTION, ModelFeature.SLIDING_WINDOW);
    /** {@code LLAMA_TOKEN_TYPE_BYTE}: {@code token_to_byte} reads characters 3..4 of its text. */
    private static final int TOKEN_TYPE_BYTE = 6;
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    /** The {@code tokenizer.ggml.<name>_token_id} keys of {@code llama-arch.cpp} (the misspelling is its own). */
    private static final List<String> SPECIAL_IDS = List.of("bos", "eos", "eot", "eom", "unknown", "seperator", "padding",
            "cls", "mask", "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep", "prefix", "suffix", "middle");

    private LlamaCppFileRules() {
    }

    /** Why llama.cpp must not load this model, or empty when every rule passes. */
    static Optional<String> modelProblem(GgufMetadata md, List<TensorInfo> tensors) {
        try {
            Optional<String> general = generalProblem(md);
            if (general.isPresent()) {
                return general;
            }
            Optional<String> features = ModelFeatures.refusal(md, tensors, SUPPORTED_FEATURES, "llamacpp");
            if (features.isPresent()) {
                return features;
            }
            Optional<String> hp = hyperParameterProblem(md);
            if (hp.isPresent()) {
                return hp;
            }
            Optional<String> vocab = vocabularyProblem(md);
            if (vocab.isPresent()) {
                return vocab;
            }
            return tensorProblem(md, tensors);
        } catch (RuntimeException e) {
            // a wrongly typed value: the metadata accessors name the key
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<String> generalProblem(GgufMetadata md) {
        Object arch = md.find("general.architecture").map(MetadataValue::value).orElse(null);
        if (!"llama".equals(arch)) {
            return Optional.of("general.architecture is " + (arch == null ? "missing" : "'" + arch + "'")
                    + "; only 'llama' files are checked for llama.cpp");
        }
        Object type = md.find("general.type").map(MetadataValue::value).orElse("model");
        if (!"model".equals(type)) {
            return Optional.of("general.type is '" + type + "', not a model");
        }
        for (String k : md.entries().keySet()) {
            if (k.startsWith("split.") || k.startsWith("adapter.")) {
                return Optional.of("key " + k + ": split files and adapters are not loaded through this backend");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> hyperParameterProblem(GgufMetadata md) {
        String p = "llama.";
        // every float hyper-parameter must be a finite number: a NaN rope factor gives NaN logits
        for (Map.Entry<String, MetadataValue> e : md.entries().entrySet()) {
            if (e.getKey().startsWith(p) && e.getValue().value() instanceof Number n
                    && !Double.isFinite(n.doubleValue())) {
                return Optional.of(e.getKey() + " = " + n + " is not a finite number");
            }
        }
        for (String k : List.of("context_length", "embedding_length", "block_count", "feed_forward_length",
                "attention.head_count")) {
            Optional<String> missing = requireUnsigned(md, p + k, 1, 0xFFFF_FFFFL);
            if (missing.isPresent()) {
                return missing;
            }
        }
        long layers = md.getLong(p + "block_count");
        if (layers > MAX_LAYERS) {
            return Optional.of(p + "block_count = " + layers + " exceeds llama.cpp's limit of " + MAX_LAYERS + " layers");
        }
        long experts = md.findLong(p + "expert_count").orElse(0);
        long used = md.findLong(p + "expert_used_count").orElse(0);
        if (experts < 0 || experts > MAX_EXPERTS) {
            return Optional.of(p + "expert_count = " + experts + " is outside llama.cpp's limit of 0.." + MAX_EXPERTS);
        }
        if (experts > 0 ? used < 1 || used > experts : used != 0) {
            return Optional.of(p + "expert_used_count = " + used + " must be " + (experts > 0 ? "1.." + experts
                    : "0 without experts"));
        }
        long embd = md.getLong(p + "embedding_length");
        long heads = md.getLong(p + "attention.head_count");
        long headsKv = md.findLong(p + "attention.head_count_kv").orElse(heads);
        if (headsKv < 1 || headsKv > heads || heads % headsKv != 0) {
            return Optional.of(p + "attention.head_count_kv = " + headsKv + " must divide attention.head_count = " + heads);
        }
        long keyLength = md.findLong(p + "attention.key_length").orElse(embd / heads);
        long valueLength = md.findLong(p + "attention.value_length").orElse(embd / heads);
        long rot = md.findLong(p + "rope.dimension_count").orElse(keyLength);
        // models/llama.cpp: GGML_ASSERT(n_embd_head_v == n_embd_head_k) and (n_embd_head == n_rot)
        if (keyLength < 2 || keyLength % 2 != 0 || keyLength > 0xFFFF) {
            return Optional.of("attention key length " + keyLength + " (llama.attention.key_length, or embedding "
                    + embd + " / heads " + heads + ") must be even, 2..65535");
        }
        if (valueLength != keyLength) {
            return Optional.of("attention value length " + valueLength + " differs from key length " + keyLength);
        }
        if (rot != keyLength) {
            return Optional.of(p + "rope.dimension_count = " + rot + " must equal the key length " + keyLength);
        }
        Object scaling = md.find(p + "rope.scaling.type").map(MetadataValue::value).orElse("linear");
        if (!(scaling instanceof String s) || !ROPE_SCALING_TYPES.contains(s)) {
            return Optional.of(p + "rope.scaling.type = " + scaling + " is not one of " + ROPE_SCALING_TYPES);
        }
        for (String k : md.entries().keySet()) {
            if (k.startsWith(p + "rope.scaling.") && !ROPE_SCALING_KEYS.contains(k.substring((p + "rope.scaling.").length()))) {
                return Optional.of(k + " is not read by llama.cpp's llama graph (it would be ignored)");
            }
        }
        for (String k : List.of("rope.freq_base", "attention.layer_norm_rms_epsilon", "rope.scaling.attn_factor")) {
            if (md.contains(p + k) && !(md.getDouble(p + k) > 0)) {
                return Optional.of(p + k + " = " + md.getDouble(p + k) + " must be positive");
            }
        }
        if (!md.contains(p + "attention.layer_norm_rms_epsilon")) {
            return Optional.of(p + "attention.layer_norm_rms_epsilon is missing (llama.cpp requires it)");
        }
        // Finite is not enough. llama.cpp multiplies q and k by the attention factor (scores by
        // its square, into an F16 cache); under YaRN it divides that factor by 1 + 0.1 ln(factor)
        // for a scaling factor below 1, which is zero at e^-10; and rotary angles are positions
        // times 1 / factor, which must stay a finite float.
        double attnFactor = md.findDouble(p + "rope.scaling.attn_factor").orElse(1);
        for (String k : List.of("rope.scaling.factor", "rope.scale_linear")) {
            double f = md.findDouble(p + k).orElse(0);
            if (f < 0) {
                return Optional.of(p + k + " = " + f + " is negative");
            }
            if (f != 0 && MAX_POSITION / f > Float.MAX_VALUE) {
                return Optional.of(p + k + " = " + f + " is so small that rotary angles (position / factor) "
                        + "overflow a float");
            }
            if (f != 0 && f < 1 && "yarn".equals(scaling)) {
                attnFactor /= 1 + 0.1 * Math.log(f);
            }
        }
        if (!(Math.abs(attnFactor) <= MAX_ATTN_FACTOR)) {
            return Optional.of("the attention factor llama.cpp derives from " + p + "rope.scaling.attn_factor"
                    + ("yarn".equals(scaling) ? " and the YaRN scaling factor" : "") + " is " + (float) attnFactor
                    + ", beyond +-" + MAX_ATTN_FACTOR + ": attention scores grow with its square and overflow");
        }
        Object causal = md.find(p + "attention.causal").map(MetadataValue::value).orElse(Boolean.TRUE);
        if (!(causal instanceof Boolean)) {
            return Optional.of(p + "attention.causal must be a bool, not " + causal);
        }
        return Optional.empty();
    }

    /**
     * Why llama.cpp must not read this vocabulary, or empty. This is all a vocabulary-only load
     * reads, so the tokenizer provider calls it alone.
     */
    static Optional<String> vocabularyProblem(GgufMetadata md) {
        try {
            Object model = md.find("tokenizer.ggml.model").map(MetadataValue::value).orElse(null);
            if (!"llama".equals(model)) {
                return Optional.of("tokenizer.ggml.model is " + (model == null ? "missing" : "'" + model + "'")
                        + "; only SentencePiece ('llama') vocabularies are checked for llama.cpp");
            }
            MetadataArray tokens = md.find("tokenizer.ggml.tokens").map(MetadataValue::value)
                    .filter(MetadataArray.class::isInstance).map(MetadataArray.class::cast).orElse(null);
            if (tokens == null || tokens.elementType() != GgufValueType.STRING || tokens.length() == 0) {
                return Optional.of("tokenizer.ggml.tokens is missing or not a non-empty string array");
            }
            String[] words = (String[]) tokens.values();
            int n = words.length;
            Optional<String> arrays = arrayProblem(md, "tokenizer.ggml.scores", n, Set.of(GgufValueType.FLOAT32, GgufValueType.INT32));
            if (arrays.isEmpty()) {
                arrays = arrayProblem(md, "tokenizer.ggml.token_type", n, Set.of(GgufValueType.INT32));
            }
            if (arrays.isPresent()) {
                return arrays;
            }
            int[] types = md.findIntArray("tokenizer.ggml.token_type").orElse(null);
            // llama-vocab.cpp: GGML_ASSERT(id_to_token.size() == token_to_id.size()), after empty
            // strings became "[EMPTY_<i>]"
            Map<String, Integer> seen = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                String w = words[i].isEmpty() ? "[EMPTY_" + i + "]" : words[i];
                Integer before = seen.putIfAbsent(w, i);
                if (before != null) {
                    return Optional.of("tokenizer.ggml.tokens has the string '" + printable(w) + "' twice (ids " + before
                            + " and " + i + "); llama.cpp aborts on a duplicate token");
                }
                if (types != null && types[i] == TOKEN_TYPE_BYTE && !BYTE_TOKEN.matcher(w).matches()) {
                    return Optional.of("token " + i + " '" + printable(w) + "' has type BYTE but is not <0xHH>");
                }
            }
            // the SentencePiece tokenizer falls back to <0xHH> for any byte it has no piece for:
            // a missing one is an uncaught std::out_of_range
            for (int b = 0; b < 256; b++) {
                String hex = String.format("<0x%02X>", b);
                if (!seen.containsKey(hex)) {
                    return Optional.of("tokenizer.ggml.tokens lacks the byte token " + hex
                            + " (llama.cpp's byte fallback needs all 256)");
                }
            }
            for (String s : SPECIAL_IDS) {
                String key = "tokenizer.ggml." + s + "_token_id";
                if (md.contains(key)) {
                    long id = md.getLong(key);
                    if (id < 0 || id >= n) {
                        return Optional.of(key + " = " + id + " is outside the vocabulary 0.." + (n - 1));
                    }
                }
            }
            // tokenize with special tokens asserts the BOS (and EOS) it adds exists
            boolean addBos = md.findBool("tokenizer.ggml.add_bos_token").orElse(true);
            boolean addEos = md.findBool("tokenizer.ggml.add_eos_token").orElse(false);
            if (addBos && !md.contains("tokenizer.ggml.bos_token_id") && n <= 1) {
                return Optional.of("the vocabulary has no BOS token (default id 1) but adds one");
            }
            if (addEos && !md.contains("tokenizer.ggml.eos_token_id") && n <= 2) {
                return Optional.of("the vocabulary has no EOS token (default id 2) but adds one");
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<String> arrayProblem(GgufMetadata md, String key, int n, Set<GgufValueType> types) {
        Optional<MetadataValue> v = md.find(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!(v.get().value() instanceof MetadataArray a) || !types.contains(a.elementType())) {
            return Optional.of(key + " must be an array of " + types);
        }
        if (a.length() < n) {
            return Optional.of(key + " has " + a.length() + " entries for " + n + " tokens");
        }
        return Optional.empty();
    }

    /** Shapes as {@code models/llama.cpp} creates them, so the message names the tensor at fault. */
    private static Optional<String> tensorProblem(GgufMetadata md, List<TensorInfo> tensors) {
        String p = "llama.";
        Map<String, TensorInfo> byName = new HashMap<>();
        for (TensorInfo t : tensors) {
            if (!LlamaCppBackend.TENSOR_TYPES.contains(t.type())) {
                return Optional.of("tensor " + t.name() + " has type " + t.type() + ", which llama.cpp does not compute with");
            }
            byName.put(t.name(), t);
        }
        long embd = md.getLong(p + "embedding_length");
        long heads = md.getLong(p + "attention.head_count");
        long headsKv = md.findLong(p + "attention.head_count_kv").orElse(heads);
        long headDim = md.findLong(p + "attention.key_length").orElse(embd / heads);
        long ff = md.getLong(p + "feed_forward_length");
        long experts = md.findLong(p + "expert_count").orElse(0);
        long vocab = md.findArray("tokenizer.ggml.tokens").map(MetadataArray::length).orElse(0);
        long declared = md.findLong(p + "vocab_size").orElse(vocab);
        if (declared != vocab) {
            return Optional.of(p + "vocab_size = " + declared + " but tokenizer.ggml.tokens has " + vocab);
        }
        long layers = md.getLong(p + "block_count");
        List<String> wrong = new ArrayList<>();
        expect(byName, wrong, "token_embd.weight", embd, vocab);
        expect(byName, wrong, "output_norm.weight", embd);
        if (byName.containsKey("output.weight")) {
            expect(byName, wrong, "output.weight", embd, vocab);
        }
        for (long i = 0; i < layers && wrong.isEmpty(); i++) {
            String b = "blk." + i + ".";
            expect(byName, wrong, b + "attn_norm.weight", embd);
            if (!byName.containsKey(b + "attn_qkv.weight")) {
                expect(byName, wrong, b + "attn_q.weight", embd, headDim * heads);
                expect(byName, wrong, b + "attn_k.weight", embd, headDim * headsKv);
                expect(byName, wrong, b + "attn_v.weight", embd, headDim * headsKv);
            }
            expect(byName, wrong, b + "attn_output.weight", headDim * heads, embd);
            expect(byName, wrong, b + "ffn_norm.weight", embd);
            if (experts == 0) {
                expect(byName, wrong, b + "ffn_gate.weight", embd, ff);
                expect(byName, wrong, b + "ffn_up.weight", embd, ff);
                expect(byName, wrong, b + "ffn_down.weight", ff, embd);
            } else {
                expect(byName, wrong, b + "ffn_gate_inp.weight", embd, experts);
                expect(byName, wrong, b + "ffn_gate_exps.weight", embd, ff, experts);
                expect(byName, wrong, b + "ffn_up_exps.weight", embd, ff, experts);
                expect(byName, wrong, b + "ffn_down_exps.weight", ff, embd, experts);
            }
        }
        return wrong.isEmpty() ? Optional.empty() : Optional.of(wrong.getFirst());
    }

    private static void expect(Map<String, TensorInfo> byName, List<String> wrong, String name, long... shape) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            wrong.add("tensor " + name + " is missing");
            return;
        }
        long[] got = t.shape();
        boolean same = got.length == shape.length;
        for (int i = 0; same && i < got.length; i++) {
            same = got[i] == shape[i];
        }
        if (!same) {
            wrong.add("tensor " + name + " has shape " + java.util.Arrays.toString(got) + ", llama.cpp expects "
                    + java.util.Arrays.toString(shape));
        }
    }

    private static Optional<String> requireUnsigned(GgufMetadata md, String key, long min, long max) {
        if (!md.contains(key)) {
            return Optional.of(key + " is missing");
        }
        long v = md.getLong(key);
        if (v < min || v > max) {
            return Optional.of(key + " = " + v + " is outside " + min + ".." + max);
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(40).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

}
