package dev.mixtral4j.tools.synthetic;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.GgufValueType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.tools.gguf.GgufWriter;
import dev.mixtral4j.tools.quant.Quantizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Writes deterministic Mixtral-shaped GGUF files: the real tensor structure, metadata and a
 * tokenizer llama.cpp can load, filled with seeded random weights. The same builder settings and
 * seed always produce the same bytes, so tests, benchmarks and the CLI demo can make their models
 * instead of downloading them.
 *
 * <pre>{@code
 * Path tiny = SyntheticModel.builder().tensorType(GgmlType.Q8_0).seed(7).write(dir.resolve("tiny.gguf"));
 * Path big  = SyntheticModel.preset("mixtral-8x7b").layers(2).fileType("Q4_0").write(dir.resolve("m.gguf"));
 * }</pre>
 *
 * <p>Weights are uniform random with mean zero and standard deviation {@code 1/sqrt(input width)}
 * (about 0.016 at width 4096, the scale of real checkpoints), the output projection twice that so
 * logits spread; norm weights are near 1; norms and the router are F32 as llama.cpp keeps them.
 * Every 2-D weight (and every expert of a merged tensor) draws from its own random stream keyed
 * by the seed and the weight's name, so a merged-layout file and a per-expert-layout file with
 * the same seed hold identical expert weights, and changing the layer count leaves the other
 * layers unchanged.
 *
 * <p>Quantized weights are written either by quantizing the random floats or, for large tensors
 * where that would be slow, as random but valid quantized blocks with scales chosen for the same
 * spread (see {@link WeightSource}). Both are deterministic.
 */
public final class SyntheticModel {

    /** How the experts of a mixture-of-experts layer are stored. */
    public enum ExpertLayout {
        /** One 3-D tensor per projection, {@code blk.N.ffn_gate_exps.weight}, expert outermost (current llama.cpp). */
        MERGED,
        /** One 2-D tensor per expert, {@code blk.N.ffn_gate.E.weight} (early-2024 files; llama.cpp v0.5.0 no longer loads these). */
        PER_EXPERT
    }

    /** Where quantized weight bytes come from. */
    public enum WeightSource {
        /** Random blocks for tensors above {@value #FAST_PATH_ELEMENTS} elements, quantized floats below. */
        AUTO,
        /** Generate floats and quantize them with the reference quantizer (slow for big models; types without one use random blocks). */
        QUANTIZED_FLOATS,
        /** Write random valid blocks directly: fast, deterministic, values of the same spread. */
        RANDOM_BLOCKS
    }

    /** Tensors (per expert) with more elements than this use random blocks under {@link WeightSource#AUTO}. */
    public static final long FAST_PATH_ELEMENTS = 1L << 22;

    /** One tensor of the planned file. */
    public record PlannedTensor(String name, GgmlType type, long[] shape) {
        public PlannedTensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteSize() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return type.bytesFor(n);
        }
    }

    private SyntheticModel() {
    }

    /** A builder with the defaults of a tiny test model (width 64, 2 layers, 4 experts, vocab 300, F32). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder preset to a real model's shape: {@code "mixtral-8x7b"}, {@code "mistral-7b"} (v0.1,
     * dense, 4096 sliding window) or {@code "tiny-moe"} (the {@link #builder()} defaults). Every
     * setting can still be changed, e.g. {@code .layers(2)} for a fast full-width model.
     */
    public static Builder preset(String name) {
        Builder b = new Builder();
        switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny-moe", "tiny" -> { }
            case "mixtral-8x7b" -> b.name("synthetic-mixtral-8x7b").embeddingLength(4096).layers(32).heads(32)
                    .kvHeads(8).feedForwardLength(14336).experts(8).expertsUsed(2).vocabSize(32000)
                    .contextLength(32768).ropeBase(1e6f).rmsEps(1e-5f).slidingWindow(0);
            case "mistral-7b" -> b.name("synthetic-mistral-7b").embeddingLength(4096).layers(32).heads(32)
                    .kvHeads(8).feedForwardLength(14336).experts(0).expertsUsed(0).vocabSize(32000)
                    .contextLength(32768).ropeBase(10000f).rmsEps(1e-5f).slidingWindow(4096);
            default -> throw new IllegalArgumentException("unknown preset '" + name
                    + "' (known: tiny-moe, mixtral-8x7b, mistral-7b)");
        }
        return b;
    }

    /** Settings of a synthetic model; {@link #write(Path)} produces the file. */
    public static final class Builder {
        private String name = "synthetic-tiny-moe";
        private long seed = 42;
        private int embedding = 64;
        private int layers = 2;
        private int heads = 4;
        private int kvHeads = 2;
        private int ffn = 128;
        private int experts = 4;
        private int expertsUsed = 2;
        private int vocab = 300;
        private int context = 128;
        private float ropeBase = 1e6f;
        private float rmsEps = 1e-5f;
        private int slidingWindow = 0;
        private GgmlType weightType = GgmlType.F32;
        private String mix;
        private ExpertLayout layout = ExpertLayout.MERGED;
        private boolean tiedOutput = false;
        private WeightSource source = WeightSource.AUTO;
        private Map<String, MetadataValue> tokenizer;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        /** Seed of every random stream; same seed, same bytes. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder embeddingLength(int n) {
            this.embedding = n;
            return this;
        }

        public Builder layers(int n) {
            this.layers = n;
            return this;
        }

        public Builder heads(int n) {
            this.heads = n;
            return this;
        }

        public Builder kvHeads(int n) {
            this.kvHeads = n;
            return this;
        }

        /** Hidden width of one expert's (or the dense) FFN. */
        public Builder feedForwardLength(int n) {
            this.ffn = n;
            return this;
        }

        /** Experts per layer; 0 makes a dense (Mistral-style) model. */
        public Builder experts(int n) {
            this.experts = n;
            return this;
        }

        public Builder expertsUsed(int n) {
            this.expertsUsed = n;
            return this;
        }

        public Builder vocabSize(int n) {
            this.vocab = n;
            return this;
        }

        public Builder contextLength(int n) {
            this.context = n;
            return this;
        }

        public Builder ropeBase(float base) {
            this.ropeBase = base;
            return this;
        }

        public Builder rmsEps(float eps) {
            this.rmsEps = eps;
            return this;
        }

        /** Attention window in tokens; 0 for none. */
        public Builder slidingWindow(int n) {
            this.slidingWindow = n;
            return this;
        }

        /** One storage type for all big matrices (norms and router stay F32). */
        public Builder tensorType(GgmlType type) {
            this.weightType = Objects.requireNonNull(type);
            this.mix = null;
            return this;
        }

        /**
         * A llama.cpp file type by name: a single type ("F32", "F16", "BF16", "Q8_0", "Q4_0",
         * "Q4_K", ...) or the mixture {@code "Q4_K_M"} (Q4_K for most matrices, Q6_K for the
         * output and for attn_v / ffn_down in the layers llama.cpp gives more bits, with its
         * 8-expert and odd-width exceptions), or the mixtures {@code "IQ4_XS"} and {@code "IQ4_NL"}
         * as llama.cpp's quantizer makes them without an importance matrix (IQ4 for most matrices
         * and the token embedding; Q6_K output; for 8 experts Q8_0 attn_k / attn_v and Q5_K
         * attn_output; Q5_K ffn_down in the first eighth of the layers; IQ4_XS rows that are not
         * whole 256-blocks in IQ4_NL). {@link #tensorType(GgmlType)} with an IQ4 type gives every
         * matrix that type instead.
         */
        public Builder fileType(String fileType) {
            String f = fileType.toUpperCase(Locale.ROOT);
            if (f.equals("Q4_K_M") || f.equals("IQ4_XS") || f.equals("IQ4_NL")) {
                this.weightType = f.equals("Q4_K_M") ? GgmlType.Q4_K : GgmlType.valueOf(f);
                this.mix = f;
                return this;
            }
            return tensorType(GgmlType.byName(f).orElseThrow(
                    () -> new IllegalArgumentException("unknown file type '" + fileType + "'")));
        }

        public Builder expertLayout(ExpertLayout layout) {
            this.layout = Objects.requireNonNull(layout);
            return this;
        }

        /** Leave out {@code output.weight} so the output projection is tied to the embedding. */
        public Builder tiedOutput(boolean tied) {
            this.tiedOutput = tied;
            return this;
        }

        public Builder weightSource(WeightSource source) {
            this.source = Objects.requireNonNull(source);
            return this;
        }

        /**
         * Uses the tokenizer (every {@code tokenizer.*} key) of an existing GGUF, e.g. Mistral's
         * real vocabulary, instead of the generated one; the vocabulary size follows it.
         */
        public Builder tokenizerFrom(GgufMetadata metadata) {
            Map<String, MetadataValue> copy = new LinkedHashMap<>();
            metadata.entries().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    copy.put(k, v);
                }
            });
            String[] tokens = metadata.findStringArray("tokenizer.ggml.tokens").orElseThrow(
                    () -> new IllegalArgumentException("metadata has no tokenizer.ggml.tokens"));
            this.tokenizer = copy;
            this.vocab = tokens.length;
            return this;
        }

        /** Reads {@link #tokenizerFrom(GgufMetadata)} from a GGUF file. */
        public Builder tokenizerFrom(Path gguf) throws IOException {
            try (GgufFile f = GgufFile.open(gguf)) {
                return tokenizerFrom(f.metadata());
            }
        }

        /** The hyper-parameters the file will carry (validated). */
        public ModelConfig config() {
            if (embedding <= 0 || heads <= 0 || embedding % heads != 0) {
                throw new IllegalArgumentException("embedding length " + embedding + " must be a positive multiple of "
                        + heads + " heads");
            }
            if (tokenizer == null && vocab < SyntheticVocabulary.RESERVED + 1) {
                throw new IllegalArgumentException("vocabulary size " + vocab + " is below "
                        + (SyntheticVocabulary.RESERVED + 1));
            }
            try {
                return new ModelConfig("llama", context, embedding, layers, ffn, heads, kvHeads, embedding / heads,
                        embedding / heads, ropeBase, rmsEps, experts, experts == 0 ? 0 : expertsUsed, vocab,
                        slidingWindow);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }

        /** The tensors the file will hold, in file order, with their types and shapes. */
        public List<PlannedTensor> tensors() {
            return plan(config()).stream().map(Slot::planned).toList();
        }

        /** Size of the file {@link #write(Path)} will produce, give or take the header. */
        public long tensorBytes() {
            long sum = 0;
            for (PlannedTensor t : tensors()) {
                sum += t.byteSize();
            }
            return sum;
        }

        /**
         * Writes the model to {@code target} (through a temporary file moved into place), streaming
         * tensor by tensor so any size can be written.
         *
         * @return {@code target}
         */
        public Path write(Path target) throws IOException {
            ModelConfig c = config();
            List<Slot> slots = plan(c);
            try (GgufWriter w = GgufWriter.create(target)) {
                metadata(w, c, slots);
                for (Slot s : slots) {
                    w.addTensor(s.name, s.type, s.shape);
                }
                TensorFiller filler = new TensorFiller(seed, source);
                for (Slot s : slots) {
                    try (GgufWriter.TensorChannel ch = w.beginTensor(s.name)) {
                        filler.fill(s, ch);
                    }
                }
                return w.finish();
            }
        }

        private void metadata(GgufWriter w, ModelConfig c, List<Slot> slots) {
            w.putString("general.architecture", "llama");
            w.putString("general.name", name);
            w.putUint32("general.file_type", fileTypeId());
            if (slots.stream().anyMatch(s -> s.type.isQuantized())) {
                w.putUint32("general.quantization_version", 2);
            }
            w.putUint32("llama.context_length", c.contextLength());
            w.putUint32("llama.embedding_length", c.embeddingLength());
            w.putUint32("llama.block_count", c.blockCount());
            w.putUint32("llama.feed_forward_length", c.feedForwardLength());
            w.putUint32("llama.rope.dimension_count", c.ropeDimensionCount());
            w.putUint32("llama.attention.head_count", c.headCount());
            w.putUint32("llama.attention.head_count_kv", c.headCountKv());
            w.putFloat32("llama.attention.layer_norm_rms_epsilon", c.rmsEps());
            w.putFloat32("llama.rope.freq_base", c.ropeFreqBase());
            if (c.isMoe()) {
                w.putUint32("llama.expert_count", c.expertCount());
                w.putUint32("llama.expert_used_count", c.expertUsedCount());
            }
            w.putUint32("llama.vocab_size", c.vocabSize());
            if (c.slidingWindow() > 0) {
                w.putUint32("llama.attention.sliding_window", c.slidingWindow());
            }
            if (tokenizer != null) {
                w.putAll(tokenizer);
                return;
            }
            SyntheticVocabulary v = new SyntheticVocabulary(c.vocabSize());
            w.putString("tokenizer.ggml.model", "llama");
            w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, v.tokens);
            w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, v.scores);
            w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, v.types);
            w.putUint32("tokenizer.ggml.bos_token_id", SyntheticVocabulary.BOS);
            w.putUint32("tokenizer.ggml.eos_token_id", SyntheticVocabulary.EOS);
            w.putUint32("tokenizer.ggml.unknown_token_id", SyntheticVocabulary.UNK);
            w.putBool("tokenizer.ggml.add_bos_token", true);
            w.putBool("tokenizer.ggml.add_eos_token", false);
            w.putBool("tokenizer.ggml.add_space_prefix", true);
        }

        /** llama.cpp's {@code llama_ftype} for the chosen types. */
        private long fileTypeId() {
            if ("Q4_K_M".equals(mix)) {
                return 15;
            }
            return switch (weightType) {
                case F32 -> 0;
                case F16 -> 1;
                case Q4_0 -> 2;
                case Q4_1 -> 3;
                case Q8_0 -> 7;
                case Q5_0 -> 8;
                case Q5_1 -> 9;
                case Q2_K -> 10;
                case Q3_K -> 11;
                case Q4_K -> 14;
                case Q5_K -> 16;
                case Q6_K -> 18;
                case IQ4_NL -> 25;
                case IQ4_XS -> 30;
                case BF16 -> 32;
                default -> throw new IllegalArgumentException("no llama.cpp file type for " + weightType);
            };
        }

        private List<Slot> plan(ModelConfig c) {
            if (!TensorFiller.canWrite(weightType)) {
                throw new IllegalArgumentException("cannot write weights of type " + weightType);
            }
            int d = c.embeddingLength();
            int q = c.headCount() * c.headDim();
            int kv = c.kvDim();
            int ff = c.feedForwardLength();
            int n = c.blockCount();
            double wd = 1 / Math.sqrt(d);
            List<Slot> s = new ArrayList<>();
            s.add(Slot.matrix("token_embd.weight", typeFor(tiedOutput ? Role.OUTPUT : Role.EMBEDDING, 0, d), d,
                    c.vocabSize(), wd));
            for (int l = 0; l < n; l++) {
                String b = "blk." + l + ".";
                s.add(Slot.norm(b + "attn_norm.weight", d));
                s.add(Slot.matrix(b + "attn_q.weight", typeFor(Role.ATTN_Q, l, d), d, q, wd));
                s.add(Slot.matrix(b + "attn_k.weight", typeFor(Role.ATTN_K, l, d), d, kv, wd));
                s.add(Slot.matrix(b + "attn_v.weight", typeFor(Role.ATTN_V, l, d), d, kv, wd));
                s.add(Slot.matrix(b + "attn_output.weight", typeFor(Role.ATTN_OUTPUT, l, q), q, d, 1 / Math.sqrt(q)));
                s.add(Slot.norm(b + "ffn_norm.weight", d));
                if (c.isMoe()) {
                    int e = c.expertCount();
                    s.add(new Slot(b + "ffn_gate_inp.weight", GgmlType.F32, new long[] {d, e}, wd, false,
                            List.of(b + "ffn_gate_inp")));
                    if (layout == ExpertLayout.MERGED) {
                        s.add(Slot.experts(b, "ffn_gate", typeFor(Role.FFN_GATE, l, d), d, ff, e, wd));
                        s.add(Slot.experts(b, "ffn_down", typeFor(Role.FFN_DOWN, l, ff), ff, d, e, 1 / Math.sqrt(ff)));
                        s.add(Slot.experts(b, "ffn_up", typeFor(Role.FFN_UP, l, d), d, ff, e, wd));
                    } else {
                        for (int x = 0; x < e; x++) {
                            s.add(Slot.expert(b, "ffn_gate", x, typeFor(Role.FFN_GATE, l, d), d, ff, wd));
                            s.add(Slot.expert(b, "ffn_down", x, typeFor(Role.FFN_DOWN, l, ff), ff, d, 1 / Math.sqrt(ff)));
                            s.add(Slot.expert(b, "ffn_up", x, typeFor(Role.FFN_UP, l, d), d, ff, wd));
                        }
                    }
                } else {
                    s.add(Slot.matrix(b + "ffn_gate.weight", typeFor(Role.FFN_GATE, l, d), d, ff, wd));
                    s.add(Slot.matrix(b + "ffn_down.weight", typeFor(Role.FFN_DOWN, l, ff), ff, d, 1 / Math.sqrt(ff)));
                    s.add(Slot.matrix(b + "ffn_up.weight", typeFor(Role.FFN_UP, l, d), d, ff, wd));
                }
            }
            s.add(Slot.norm("output_norm.weight", d));
            if (!tiedOutput) {
                s.add(Slot.matrix("output.weight", typeFor(Role.OUTPUT, 0, d), d, c.vocabSize(), 2 * wd));
            }
            return Collections.unmodifiableList(s);
        }

        private GgmlType typeFor(Role role, int layer, int columns) {
            GgmlType t = weightType;
            if ("Q4_K_M".equals(mix)) {
                t = TensorTypeRules.q4KM(role, layer, layers, experts);
            } else if (mix != null) {
                t = TensorTypeRules.iq4(weightType, role, layer, layers, experts, kvHeads > 0 ? heads / kvHeads : 1);
            }
            return TensorTypeRules.fallback(t, columns);
        }
    }

    /** What a weight is for, as llama.cpp's type rules distinguish it. */
    enum Role { EMBEDDING, ATTN_Q, ATTN_K, ATTN_V, ATTN_OUTPUT, FFN_GATE, FFN_UP, FFN_DOWN, OUTPUT }

    /**
     * One tensor to write: its name, type, shape, the spread of its values, whether it is a norm
     * (values near 1), and the names of the random streams of its 2-D parts (one per expert for a
     * merged tensor).
     */
    record Slot(String name, GgmlType type, long[] shape, double std, boolean norm, List<String> streams) {
        static Slot matrix(String name, GgmlType type, int columns, int rows, double std) {
            return new Slot(name, type, new long[] {columns, rows}, std, false,
                    List.of(name.substring(0, name.length() - ".weight".length())));
        }

        static Slot norm(String name, int width) {
            return new Slot(name, GgmlType.F32, new long[] {width}, 0.1, true,
                    List.of(name.substring(0, name.length() - ".weight".length())));
        }

        static Slot experts(String block, String what, GgmlType type, int columns, int rows, int n, double std) {
            List<String> streams = new ArrayList<>(n);
            for (int e = 0; e < n; e++) {
                streams.add(block + what + "." + e);
            }
            return new Slot(block + what + "_exps.weight", type, new long[] {columns, rows, n}, std, false, streams);
        }

        static Slot expert(String block, String what, int e, GgmlType type, int columns, int rows, double std) {
            return new Slot(block + what + "." + e + ".weight", type, new long[] {columns, rows}, std, false,
                    List.of(block + what + "." + e));
        }

        int columns() {
            return (int) shape[0];
        }

        int rowsPerStream() {
            return shape.length == 1 ? 1 : (int) shape[1];
        }

        PlannedTensor planned() {
            return new PlannedTensor(name, type, shape);
        }
    }

    /** Streams the random contents of each {@link Slot}. */
    static final class TensorFiller {
        private static final int CHUNK = 1 << 20;
        private final long seed;
        private final WeightSource source;
        private byte[] chunk = new byte[CHUNK];

        TensorFiller(long seed, WeightSource source) {
            this.seed = seed;
            this.source = source;
        }

        static boolean canWrite(GgmlType type) {
            return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16
                    || RandomBlocks.TYPES.contains(type);
        }

        void fill(Slot s, GgufWriter.TensorChannel out) throws IOException {
            int cols = s.columns();
            int rowBytes = (int) s.type.bytesFor(cols);
            if (chunk.length < rowBytes) {
                chunk = new byte[rowBytes];
            }
            float[] row = new float[cols];
            for (String stream : s.streams) {
                SplittableRandom rnd = new SplittableRandom(streamSeed(seed, stream));
                int rows = s.rowsPerStream();
                boolean blocks = s.type.isQuantized() && useRandomBlocks(s.type, (long) rows * cols);
                int used = 0;
                for (int r = 0; r < rows; r++) {
                    if (used + rowBytes > chunk.length) {
                        out.write(ByteBuffer.wrap(chunk, 0, used));
                        used = 0;
                    }
                    if (blocks) {
                        RandomBlocks.fill(s.type, rnd, s.std, chunk, used, cols / s.type.blockSize());
                    } else {
                        double a = s.std * Math.sqrt(3);
                        for (int i = 0; i < cols; i++) {
                            double u = (rnd.nextDouble() * 2 - 1) * a;
                            row[i] = (float) (s.norm ? 1 + u : u);
                        }
                        encode(s.type, row, chunk, used);
                    }
                    used += rowBytes;
                }
                if (used > 0) {
                    out.write(ByteBuffer.wrap(chunk, 0, used));
                }
            }
        }

        private boolean useRandomBlocks(GgmlType type, long elements) {
            return switch (source) {
                case RANDOM_BLOCKS -> true;
                case QUANTIZED_FLOATS -> !Quantizer.supports(type);
                case AUTO -> elements > FAST_PATH_ELEMENTS || !Quantizer.supports(type);
            };
        }

        /** Plain and quantized types alike go through the reference encoders (bit-exact with ggml's). */
        private static void encode(GgmlType type, float[] row, byte[] dst, int at) {
            Quantizer.quantize(type, row, 0, row.length, dst, at);
        }

        /** FNV-1a of the stream name mixed with the seed: stable across JVMs and releases. */
        static long streamSeed(long seed, String stream) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < stream.length(); i++) {
                h ^= stream.charAt(i);
                h *= 0x100000001b3L;
            }
            return h ^ (seed * 0x9E3779B97F4A7C15L);
        }
    }
}
