package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.testkit.GgufRewrite;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One input of the native fuzzer, written as a line of text so that a finding can be kept in the
 * corpus ({@code src/test/resources/native-fuzz/corpus.txt}) without keeping a binary file:
 * {@code SEED ; OP ; OP ...} where SEED is {@code moe} or {@code dense} (a tiny generated model)
 * and each OP changes it:
 * <pre>
 *   set KEY u32|i32|u64|f32|bool|str VALUE     del KEY
 *   tok INDEX TEXT            tokcopy FROM TO          ttype INDEX TYPE
 *   shape TENSOR D0,D1,..     drop TENSOR
 * </pre>
 * TEXT and VALUE may use {@code \s} for a space and {@code \e} for the empty string.
 */
record NativeFuzzCase(String line) {

    /** For exploring by hand: {@code NativeFuzzCase DIR 'CASE'} writes the file and prints the rules' verdict. */
    public static void main(String[] args) throws IOException {
        Path f = new NativeFuzzCase(args[1]).write(Path.of(args[0]));
        System.out.println(f);
        System.out.println("model rules: " + NativeLoadFuzzTest.problem(f, false).orElse("pass"));
        System.out.println("vocabulary rules: " + NativeLoadFuzzTest.problem(f, true).orElse("pass"));
    }

    /** Writes the seed model with the changes applied. */
    Path write(Path dir) throws IOException {
        String[] parts = line.split(";");
        String seed = parts[0].strip();
        Path base = dir.resolve("seed-" + seed + ".gguf");
        if (!Files.exists(base)) {
            SyntheticModel.Builder b = SyntheticModel.builder().seed(3).contextLength(64).vocabSize(300);
            switch (seed) {
                case "moe" -> { }
                case "dense" -> b.experts(0).expertsUsed(0);
                default -> throw new IllegalArgumentException("unknown seed " + seed + " in: " + line);
            }
            Path tmp = Files.createTempFile(dir, "seed", ".tmp");
            b.write(tmp);
            Files.move(tmp, base, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        GgufRewrite r = GgufRewrite.of(base);
        String[] tokens;
        int[] types;
        try (GgufFile g = GgufFile.open(base)) {
            tokens = g.metadata().findStringArray("tokenizer.ggml.tokens").orElseThrow().clone();
            types = g.metadata().findIntArray("tokenizer.ggml.token_type").orElse(new int[tokens.length]).clone();
        }
        boolean tokensChanged = false;
        boolean typesChanged = false;
        for (int i = 1; i < parts.length; i++) {
            String[] w = parts[i].strip().split("\\s+", 4);
            switch (w[0]) {
                case "set" -> r.metadata(w[1], value(w[2], text(w[3])));
                case "del" -> r.removeMetadata(w[1]);
                case "tok" -> {
                    tokens[Integer.parseInt(w[1])] = text(w.length > 2 ? w[2] : "\\e");
                    tokensChanged = true;
                }
                case "tokcopy" -> {
                    tokens[Integer.parseInt(w[2])] = tokens[Integer.parseInt(w[1])];
                    tokensChanged = true;
                }
                case "ttype" -> {
                    types[Integer.parseInt(w[1])] = Integer.parseInt(w[2]);
                    typesChanged = true;
                }
                case "shape" -> {
                    long[] shape = Arrays.stream(w[2].split(",")).mapToLong(Long::parseLong).toArray();
                    long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                    r.tensor(w[1], GgmlType.F32, shape, MemorySegment.ofArray(new byte[Math.toIntExact(4 * n)]));
                }
                case "drop" -> {
                    String name = w[1];
                    r.dropTensors(name::equals);
                }
                default -> throw new IllegalArgumentException("unknown op '" + w[0] + "' in: " + line);
            }
        }
        if (tokensChanged) {
            r.metadata("tokenizer.ggml.tokens", MetadataValue.ofArray(new MetadataArray(GgufValueType.STRING, tokens)));
        }
        if (typesChanged) {
            r.metadata("tokenizer.ggml.token_type", MetadataValue.ofArray(new MetadataArray(GgufValueType.INT32, types)));
        }
        Path out = Files.createTempFile(dir, "case", ".gguf");
        return r.write(out);
    }

    private static String text(String s) {
        return s.equals("\\e") ? "" : s.replace("\\s", " ");
    }

    private static MetadataValue value(String type, String v) {
        return switch (type) {
            case "u32" -> MetadataValue.ofUint32(Long.parseLong(v));
            case "i32" -> MetadataValue.ofInt32(Integer.parseInt(v));
            case "u64" -> MetadataValue.ofUint64(Long.parseUnsignedLong(v));
            case "f32" -> MetadataValue.ofFloat32(Float.parseFloat(v));
            case "bool" -> MetadataValue.ofBool(Boolean.parseBoolean(v));
            case "str" -> MetadataValue.ofString(v);
            default -> throw new IllegalArgumentException("unknown value type " + type);
        };
    }

    /** Integer keys llama.cpp reads for llama, and values around its limits. */
    private static final String[] INT_KEYS = {"llama.context_length", "llama.embedding_length", "llama.block_count",
            "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
            "llama.attention.key_length", "llama.attention.value_length", "llama.rope.dimension_count",
            "llama.expert_count", "llama.expert_used_count", "llama.vocab_size", "llama.attention.sliding_window",
            "llama.rope.scaling.original_context_length", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id", "llama.expert_group_count",
            "llama.nextn_predict_layers", "llama.pooling_type", "llama.expert_gating_func"};
    private static final long[] INT_VALUES = {0, 1, 2, 3, 7, 8, 16, 31, 32, 63, 64, 65, 127, 128, 255, 299, 300, 301,
            511, 512, 513, 1024, 1025, 4096, 65535, 65536, 1L << 31, (1L << 31) - 1, 0xFFFF_FFFFL};
    private static final String[] FLOAT_KEYS = {"llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
            "llama.rope.scaling.factor", "llama.rope.scale_linear", "llama.rope.scaling.attn_factor",
            "llama.attention.scale", "llama.expert_weights_scale", "llama.final_logit_softcapping",
            "llama.rope.scaling.yarn_beta_fast"};
    private static final String[] FLOAT_VALUES = {"NaN", "Infinity", "-Infinity", "0", "-1", "1e-30", "1e30", "0.5",
            "1", "2", "3.4e38"};
    private static final String[] STRING_KEYS = {"llama.rope.scaling.type", "tokenizer.ggml.model",
            "tokenizer.ggml.pre", "general.architecture", "general.type"};
    private static final String[] STRING_VALUES = {"none", "linear", "yarn", "longrope", "bogus", "\\e", "llama",
            "gpt2", "bert", "t5", "mistral", "model", "adapter", "rwkv", "ugm"};
    private static final String[] BOOL_KEYS = {"llama.attention.causal", "tokenizer.ggml.add_bos_token",
            "tokenizer.ggml.add_eos_token", "llama.rope.scaling.finetuned", "llama.expert_weights_norm"};
    private static final String[] TENSORS = {"token_embd.weight", "output.weight", "output_norm.weight",
            "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.attn_v.weight", "blk.0.attn_output.weight",
            "blk.1.ffn_gate_inp.weight", "blk.0.ffn_up_exps.weight", "blk.1.ffn_down_exps.weight", "blk.0.ffn_norm.weight",
            "blk.0.attn_output.bias", "rope_freqs.weight", "blk.0.attn_q.bias"};

    /** A random case of one to three changes. */
    static NativeFuzzCase random(Random rnd) {
        StringBuilder s = new StringBuilder(rnd.nextInt(4) == 0 ? "dense" : "moe");
        int ops = 1 + rnd.nextInt(3);
        for (int i = 0; i < ops; i++) {
            s.append(" ; ");
            switch (rnd.nextInt(9)) {
                case 0, 1 -> {
                    String k = INT_KEYS[rnd.nextInt(INT_KEYS.length)];
                    long v = INT_VALUES[rnd.nextInt(INT_VALUES.length)];
                    s.append(rnd.nextInt(5) == 0 && v <= Integer.MAX_VALUE ? "set " + k + " i32 " + (rnd.nextBoolean() ? v : -v)
                            : rnd.nextInt(8) == 0 ? "set " + k + " u64 " + v : "set " + k + " u32 " + v);
                }
                case 2 -> s.append("set ").append(FLOAT_KEYS[rnd.nextInt(FLOAT_KEYS.length)]).append(" f32 ")
                        .append(FLOAT_VALUES[rnd.nextInt(FLOAT_VALUES.length)]);
                case 3 -> s.append("set ").append(STRING_KEYS[rnd.nextInt(STRING_KEYS.length)]).append(" str ")
                        .append(STRING_VALUES[rnd.nextInt(STRING_VALUES.length)]);
                case 4 -> s.append("set ").append(BOOL_KEYS[rnd.nextInt(BOOL_KEYS.length)]).append(" bool ")
                        .append(rnd.nextBoolean());
                case 5 -> s.append(rnd.nextBoolean() ? "del " + INT_KEYS[rnd.nextInt(INT_KEYS.length)]
                        : "del " + FLOAT_KEYS[rnd.nextInt(FLOAT_KEYS.length)]);
                case 6 -> s.append(switch (rnd.nextInt(4)) {
                    case 0 -> "tokcopy " + rnd.nextInt(300) + " " + rnd.nextInt(300);
                    case 1 -> "tok " + rnd.nextInt(300) + " " + (rnd.nextBoolean() ? "\\e" : "<0x0A>");
                    case 2 -> "ttype " + rnd.nextInt(300) + " " + (rnd.nextInt(9) - 1);
                    default -> "tok " + rnd.nextInt(300) + " [EMPTY_" + rnd.nextInt(300) + "]";
                });
                case 7 -> {
                    String t = TENSORS[rnd.nextInt(TENSORS.length)];
                    long[] dims = {1, 2, 4, 8, 16, 32, 64, 128, 300};
                    int rank = 1 + rnd.nextInt(3);
                    StringBuilder shape = new StringBuilder();
                    for (int d = 0; d < rank; d++) {
                        shape.append(d == 0 ? "" : ",").append(dims[rnd.nextInt(dims.length)]);
                    }
                    s.append("shape ").append(t).append(' ').append(shape);
                }
                default -> s.append("drop ").append(TENSORS[rnd.nextInt(TENSORS.length)]);
            }
        }
        return new NativeFuzzCase(s.toString());
    }

    /** The corpus: one case per line, '#' comments. */
    static List<NativeFuzzCase> corpus() throws IOException {
        try (var in = NativeFuzzCase.class.getResourceAsStream("/native-fuzz/corpus.txt")) {
            if (in == null) {
                throw new IOException("native-fuzz/corpus.txt missing from the test resources");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .map(l -> l.contains("#") ? l.substring(0, l.indexOf('#')) : l).map(String::strip)
                    .filter(l -> !l.isEmpty()).map(NativeFuzzCase::new).toList();
        }
    }
}
