package dev.mixtral4j.testkit;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.tools.synthetic.SyntheticModel.ExpertLayout;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Ready-made tiny Mixtral-family models for tests, generated with {@link SyntheticModel} on first
 * use into one temporary directory per JVM (deleted at exit) and cached, so every test class in a
 * run shares them.
 *
 * <p>The standard tiny MoE: embedding 64, 2 layers, 4 query heads and 2 KV heads (head dim 16),
 * 4 experts of FFN width 128 with 2 used per token, vocabulary 300 (the synthetic SentencePiece
 * vocabulary llama.cpp loads), context 128, RoPE base 1e6. K-quant fixtures use width 256 (a
 * K-quant block is 256 values), as do the IQ4 fixtures. All fixtures use seed {@link #SEED}: the F32, F16, BF16 and Q8_0
 * fixtures hold the same random weights at different precisions.
 */
public final class Fixtures {
    /** Seed of every fixture. */
    public static final long SEED = 20240101L;

    private static final Map<String, Path> CACHE = new ConcurrentHashMap<>();
    private static volatile Path dir;

    /**
     * One fixture: a generated file and what it is.
     *
     * @param name        stable id, e.g. {@code moe-q8_0}, used in test names and file names
     * @param path        the GGUF file
     * @param weightType  storage type of the big matrices (for a mix, its main type)
     * @param mergedExperts true for {@code ffn_*_exps} tensors, false for per-expert tensors
     * @param tiedOutput  true when the file has no {@code output.weight}
     * @param moe         false for a dense (Mistral-style) model
     * @param slidingWindow attention window, 0 for none
     */
    public record Fixture(String name, Path path, GgmlType weightType, boolean mergedExperts, boolean tiedOutput,
                          boolean moe, int slidingWindow) {
        @Override
        public String toString() {
            return name;
        }
    }

    private Fixtures() {
    }

    /** The standard tiny MoE builder (see the class comment); tests may change it and use {@link #custom}. */
    public static SyntheticModel.Builder tinyMoeBuilder() {
        return SyntheticModel.builder().seed(SEED).embeddingLength(64).layers(2).heads(4).kvHeads(2)
                .feedForwardLength(128).experts(4).expertsUsed(2).vocabSize(300).contextLength(128)
                .ropeBase(1e6f).rmsEps(1e-5f);
    }

    /** The tiny MoE with merged experts in {@code type}. */
    public static Fixture tinyMoe(GgmlType type) {
        return fixture("moe-" + lower(type), type, true, false, true, 0, () -> tinyMoeBuilder().tensorType(type));
    }

    /** The tiny MoE with per-expert tensors ({@code blk.N.ffn_gate.E.weight}). */
    public static Fixture tinyMoePerExpert(GgmlType type) {
        return fixture("moe-per-expert-" + lower(type), type, false, false, true, 0,
                () -> tinyMoeBuilder().tensorType(type).expertLayout(ExpertLayout.PER_EXPERT));
    }

    /** The tiny MoE without {@code output.weight}. */
    public static Fixture tiedOutput(GgmlType type) {
        return fixture("moe-tied-" + lower(type), type, true, true, true, 0,
                () -> tinyMoeBuilder().tensorType(type).tiedOutput(true));
    }

    /** A dense (no experts) model of the same width, FFN 192. */
    public static Fixture dense(GgmlType type) {
        return fixture("dense-" + lower(type), type, true, false, false, 0,
                () -> tinyMoeBuilder().tensorType(type).experts(0).feedForwardLength(192));
    }

    /** The tiny MoE with an 8-token sliding attention window (Mistral v0.1 style). */
    public static Fixture slidingWindow(GgmlType type) {
        return fixture("moe-swa8-" + lower(type), type, true, false, true, 8,
                () -> tinyMoeBuilder().tensorType(type).slidingWindow(8));
    }

    /** A width-256 MoE for K-quants ({@code "Q4_K"}, {@code "Q6_K"}, {@code "Q4_K_M"}, ...). */
    public static Fixture kQuant(String fileType) {
        GgmlType main = fileType.equalsIgnoreCase("Q4_K_M") ? GgmlType.Q4_K
                : GgmlType.byName(fileType).orElseThrow(() -> new IllegalArgumentException(fileType));
        return fixture("moe256-" + fileType.toLowerCase(java.util.Locale.ROOT), main, true, false, true, 0,
                () -> tinyMoeBuilder().embeddingLength(256).feedForwardLength(256).fileType(fileType));
    }

    /**
     * A width-256 MoE in llama.cpp's {@code "IQ4_XS"} or {@code "IQ4_NL"} file type: with the tiny
     * model's 4 experts and 2 query heads per KV head every matrix but the output (Q6_K) is IQ4.
     */
    public static Fixture iq4(String fileType) {
        GgmlType main = GgmlType.byName(fileType.toUpperCase(java.util.Locale.ROOT))
                .filter(t -> t == GgmlType.IQ4_XS || t == GgmlType.IQ4_NL)
                .orElseThrow(() -> new IllegalArgumentException("not an IQ4 file type: " + fileType));
        return fixture("moe256-" + lower(main), main, true, false, true, 0,
                () -> tinyMoeBuilder().embeddingLength(256).feedForwardLength(256).fileType(main.name()));
    }

    /** The standard set every backend should be checked on (see {@link BackendConformanceKit}). */
    public static List<Fixture> standard() {
        List<Fixture> all = new ArrayList<>();
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0)) {
            all.add(tinyMoe(t));
        }
        all.add(tinyMoePerExpert(GgmlType.F32));
        all.add(tinyMoePerExpert(GgmlType.Q8_0));
        all.add(tiedOutput(GgmlType.F32));
        all.add(dense(GgmlType.F32));
        all.add(dense(GgmlType.Q8_0));
        all.add(slidingWindow(GgmlType.F32));
        for (String k : List.of("Q4_K", "Q6_K", "Q4_K_M")) {
            all.add(kQuant(k));
        }
        all.add(iq4("IQ4_XS"));
        all.add(iq4("IQ4_NL"));
        return all;
    }

    /** A fixture from any builder, cached under {@code name}. */
    public static Path custom(String name, SyntheticModel.Builder builder) {
        return CACHE.computeIfAbsent(name, n -> write(n, builder));
    }

    /**
     * A copy of {@code source} without the tensors {@code drop} matches, e.g. to check that a
     * backend names a missing tensor at load.
     */
    public static Path withoutTensors(Path source, String name, Predicate<String> drop) {
        return CACHE.computeIfAbsent(name, n -> {
            try {
                return GgufRewrite.of(source).dropTensors(drop).write(directory().resolve(n + ".gguf"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Two models that must give the same logits on any correct forward pass: the tiny F32 MoE with
     * every expert replaced by its expert 0, and the dense model whose FFN is that expert. Their
     * outputs agree only if the routing weights of the chosen experts sum to one, so a backend
     * that drops or mis-normalises the router weights fails on this pair.
     *
     * @return {@code [moe with identical experts, dense equivalent]}
     */
    public static List<Fixture> identicalExpertsAndDense() {
        Path source = tinyMoe(GgmlType.F32).path();
        Path moe = CACHE.computeIfAbsent("moe-identical-experts-f32", n -> rewriteExperts(source, n, false));
        Path dense = CACHE.computeIfAbsent("dense-of-expert0-f32", n -> rewriteExperts(source, n, true));
        return List.of(new Fixture("moe-identical-experts-f32", moe, GgmlType.F32, true, false, true, 0),
                new Fixture("dense-of-expert0-f32", dense, GgmlType.F32, true, false, false, 0));
    }

    private static Path rewriteExperts(Path source, String name, boolean dense) {
        try (dev.mixtral4j.model.ModelFile m = dev.mixtral4j.model.ModelFile.open(source)) {
            GgufRewrite rw = GgufRewrite.of(source);
            var c = m.config();
            for (int l = 0; l < c.blockCount(); l++) {
                var layer = m.tensors().layer(l);
                String b = "blk." + l + ".";
                String[] kinds = {"ffn_gate", "ffn_up", "ffn_down"};
                var first = List.of(layer.gate().get(0), layer.up().get(0), layer.down().get(0));
                for (int k = 0; k < 3; k++) {
                    var e0 = first.get(k);
                    if (dense) {
                        rw.tensor(b + kinds[k] + ".weight", e0.type(), new long[] {e0.columns(), e0.rows()}, e0.data());
                    } else {
                        long bytes = e0.data().byteSize();
                        java.lang.foreign.MemorySegment all = java.lang.foreign.MemorySegment.ofArray(
                                new byte[(int) (bytes * c.expertCount())]);
                        for (int e = 0; e < c.expertCount(); e++) {
                            all.asSlice(e * bytes, bytes).copyFrom(e0.data());
                        }
                        rw.tensor(b + kinds[k] + "_exps.weight", e0.type(),
                                new long[] {e0.columns(), e0.rows(), c.expertCount()}, all);
                    }
                }
            }
            if (dense) {
                rw.dropTensors(t -> t.contains("_exps.") || t.contains("ffn_gate_inp"))
                        .removeMetadata("llama.expert_count").removeMetadata("llama.expert_used_count");
            }
            return rw.write(directory().resolve(name + ".gguf"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Fixture fixture(String name, GgmlType type, boolean merged, boolean tied, boolean moe, int window,
            java.util.function.Supplier<SyntheticModel.Builder> builder) {
        Path p = CACHE.computeIfAbsent(name, n -> write(n, builder.get()));
        return new Fixture(name, p, type, merged, tied, moe, window);
    }

    private static Path write(String name, SyntheticModel.Builder builder) {
        try {
            return builder.name("fixture-" + name).write(directory().resolve(name + ".gguf"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write fixture " + name, e);
        }
    }

    private static String lower(GgmlType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The per-JVM fixture directory (created on first use, deleted at exit). */
    public static Path directory() {
        Path d = dir;
        if (d == null) {
            synchronized (Fixtures.class) {
                d = dir;
                if (d == null) {
                    try {
                        d = Files.createTempDirectory("mixtral4j-fixtures-");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    Path toDelete = d;
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(toDelete)));
                    dir = d;
                }
            }
        }
        return d;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
