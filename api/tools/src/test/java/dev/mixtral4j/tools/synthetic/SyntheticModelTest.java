package dev.mixtral4j.tools.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SyntheticModelTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void writesALoadableModelOfEachType(GgmlType type) throws IOException {
        Path p = SyntheticModel.builder().tensorType(type).write(dir.resolve(type + ".gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            ModelConfig c = m.config();
            assertEquals(64, c.embeddingLength());
            assertEquals(2, c.blockCount());
            assertEquals(4, c.headCount());
            assertEquals(2, c.headCountKv());
            assertEquals(16, c.headDim());
            assertEquals(4, c.expertCount());
            assertEquals(2, c.expertUsedCount());
            assertEquals(300, c.vocabSize());
            assertEquals(128, c.contextLength());
            m.tensors().validate();
            assertTrue(m.tensors().hasMergedExperts());
            assertFalse(m.tensors().isOutputTied());
            assertEquals(type, m.tensors().layer(1).wq().type());
            assertEquals(type, m.tensors().layer(0).down().get(3).type());
            assertEquals(GgmlType.F32, m.tensors().layer(0).router().type());
            assertEquals(GgmlType.F32, m.tensors().layer(0).attnNorm().type());
            assertEquals(300, m.metadata().findStringArray("tokenizer.ggml.tokens").orElseThrow().length);
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        Path a = SyntheticModel.builder().seed(1).tensorType(GgmlType.Q4_0).write(dir.resolve("a.gguf"));
        Path b = SyntheticModel.builder().seed(1).tensorType(GgmlType.Q4_0).write(dir.resolve("b.gguf"));
        Path c = SyntheticModel.builder().seed(2).tensorType(GgmlType.Q4_0).write(dir.resolve("c.gguf"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void mergedAndPerExpertLayoutsHoldTheSameExperts() throws IOException {
        Path merged = SyntheticModel.builder().tensorType(GgmlType.Q8_0).write(dir.resolve("m.gguf"));
        Path split = SyntheticModel.builder().tensorType(GgmlType.Q8_0)
                .expertLayout(SyntheticModel.ExpertLayout.PER_EXPERT).write(dir.resolve("s.gguf"));
        try (ModelFile m = ModelFile.open(merged); ModelFile s = ModelFile.open(split)) {
            assertFalse(s.tensors().hasMergedExperts());
            assertTrue(s.gguf().findTensor("blk.1.ffn_down.3.weight").isPresent());
            for (int l = 0; l < 2; l++) {
                LayerWeights lm = m.tensors().layer(l);
                LayerWeights ls = s.tensors().layer(l);
                for (int e = 0; e < 4; e++) {
                    assertArrayEquals(bytes(lm.gate().get(e)), bytes(ls.gate().get(e)));
                    assertArrayEquals(bytes(lm.up().get(e)), bytes(ls.up().get(e)));
                    assertArrayEquals(bytes(lm.down().get(e)), bytes(ls.down().get(e)));
                }
                assertArrayEquals(bytes(lm.wq()), bytes(ls.wq()));
                assertArrayEquals(bytes(lm.router()), bytes(ls.router()));
            }
            // experts differ from each other
            assertFalse(java.util.Arrays.equals(bytes(m.tensors().layer(0).gate().get(0)),
                    bytes(m.tensors().layer(0).gate().get(1))));
        }
    }

    @Test
    void tiedOutputAndDenseModel() throws IOException {
        Path p = SyntheticModel.builder().experts(0).tiedOutput(true).slidingWindow(16).write(dir.resolve("d.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            assertFalse(m.config().isMoe());
            assertEquals(16, m.config().slidingWindow());
            assertTrue(m.tensors().isOutputTied());
            assertEquals("token_embd.weight", m.tensors().output().name());
            assertFalse(m.tensors().layer(0).isMoe());
            assertEquals(1, m.tensors().layer(0).gate().size());
            assertTrue(m.gguf().findTensor("blk.0.ffn_gate.weight").isPresent());
            assertTrue(m.gguf().findTensor("blk.0.ffn_gate_inp.weight").isEmpty());
            m.tensors().validate();
        }
    }

    @Test
    void weightsHaveTheIntendedSpread() throws IOException {
        Path p = SyntheticModel.builder().embeddingLength(256).write(dir.resolve("s.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            float[] q = f.tensorData(f.tensor("blk.0.attn_q.weight")).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            double sum = 0, sq = 0;
            for (float v : q) {
                sum += v;
                sq += v * v;
            }
            double mean = sum / q.length, std = Math.sqrt(sq / q.length - mean * mean);
            assertEquals(1 / 16.0, std, 0.005, "std 1/sqrt(256)");
            assertEquals(0, mean, 0.002);
            float[] norm = f.tensorData(f.tensor("blk.0.attn_norm.weight")).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            for (float v : norm) {
                assertTrue(v > 0.8 && v < 1.2, "norm weight near 1: " + v);
            }
        }
    }

    @Test
    void q4KMixFollowsLlamaCppRules() throws IOException {
        SyntheticModel.Builder b = SyntheticModel.builder().embeddingLength(256).feedForwardLength(256).layers(8)
                .experts(8).fileType("Q4_K_M");
        Map<String, GgmlType> types = b.tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(GgmlType.Q6_K, types.get("output.weight"));
        assertEquals(GgmlType.Q4_K, types.get("token_embd.weight"));
        assertEquals(GgmlType.Q4_K, types.get("blk.3.attn_q.weight"));
        // 8 experts: attn_k and attn_v Q8_0, attn_output Q5_K
        assertEquals(GgmlType.Q8_0, types.get("blk.3.attn_v.weight"));
        assertEquals(GgmlType.Q8_0, types.get("blk.3.attn_k.weight"));
        assertEquals(GgmlType.Q5_K, types.get("blk.3.attn_output.weight"));
        // use_more_bits(i, 8): layers 0, 7 and (i-1)%3==2 -> 3, 6
        for (int l = 0; l < 8; l++) {
            boolean more = l == 0 || l == 7 || l == 3 || l == 6;
            assertEquals(more ? GgmlType.Q6_K : GgmlType.Q4_K, types.get("blk." + l + ".ffn_down_exps.weight"), "layer " + l);
            assertEquals(GgmlType.Q4_K, types.get("blk." + l + ".ffn_up_exps.weight"));
        }
        Map<String, GgmlType> dense = SyntheticModel.builder().embeddingLength(256).feedForwardLength(256).layers(8)
                .experts(0).fileType("Q4_K_M").tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(GgmlType.Q6_K, dense.get("blk.0.attn_v.weight"));
        assertEquals(GgmlType.Q4_K, dense.get("blk.1.attn_v.weight"));
        assertEquals(GgmlType.Q4_K, dense.get("blk.0.attn_k.weight"));
        Path p = b.layers(2).write(dir.resolve("k.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            m.tensors().validate();
            assertEquals(15, m.metadata().getInt("general.file_type"));
        }
    }

    /** llama-quant.cpp's choices for IQ4_XS / IQ4_NL without an importance matrix, on a Mixtral-shaped model. */
    @ParameterizedTest
    @EnumSource(names = {"IQ4_XS", "IQ4_NL"})
    void iq4MixFollowsLlamaCppRules(GgmlType main) throws IOException {
        SyntheticModel.Builder b = SyntheticModel.builder().embeddingLength(256).feedForwardLength(512).layers(16)
                .heads(8).kvHeads(2).experts(8).fileType(main.name());
        Map<String, GgmlType> types = b.tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(GgmlType.Q6_K, types.get("output.weight"));
        assertEquals(main, types.get("token_embd.weight"));
        assertEquals(main, types.get("blk.5.attn_q.weight"));
        assertEquals(GgmlType.Q8_0, types.get("blk.5.attn_k.weight"));
        assertEquals(GgmlType.Q8_0, types.get("blk.5.attn_v.weight"));
        assertEquals(GgmlType.Q5_K, types.get("blk.5.attn_output.weight"));
        for (int l = 0; l < 16; l++) {
            // first eighth of the layers: Q5_K ffn_down
            assertEquals(l < 2 ? GgmlType.Q5_K : main, types.get("blk." + l + ".ffn_down_exps.weight"), "layer " + l);
            assertEquals(main, types.get("blk." + l + ".ffn_gate_exps.weight"));
            assertEquals(main, types.get("blk." + l + ".ffn_up_exps.weight"));
        }
        assertEquals(GgmlType.F32, types.get("blk.0.ffn_gate_inp.weight"));
        // 4 experts, 4 query heads per KV head: attn_v Q5_K, attn_k and attn_output stay IQ4
        Map<String, GgmlType> four = SyntheticModel.builder().embeddingLength(256).feedForwardLength(256).heads(8)
                .kvHeads(2).experts(4).fileType(main.name()).tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(GgmlType.Q5_K, four.get("blk.1.attn_v.weight"));
        assertEquals(main, four.get("blk.1.attn_k.weight"));
        assertEquals(main, four.get("blk.1.attn_output.weight"));
        // the 8-expert Mixtral preset: IQ4 where the bytes are
        Map<String, GgmlType> mixtral = SyntheticModel.preset("mixtral-8x7b").layers(2).fileType(main.name())
                .tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(main, mixtral.get("blk.1.ffn_down_exps.weight"));
        assertEquals(GgmlType.Q8_0, mixtral.get("blk.1.attn_v.weight"));
        Path p = b.layers(2).write(dir.resolve(main + "-mix.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            m.tensors().validate();
            assertEquals(main == GgmlType.IQ4_XS ? 30 : 25, m.metadata().getInt("general.file_type"));
            assertEquals(main, m.tensors().layer(1).up().get(0).type());
        }
    }

    /** A pure IQ4_XS model: rows of 256 values are IQ4_XS; narrower ones demote to IQ4_NL as llama.cpp does. */
    @Test
    void pureIq4XsFallsBackToIq4NlOnNarrowRows() throws IOException {
        Path p = SyntheticModel.builder().embeddingLength(256).feedForwardLength(96).tensorType(GgmlType.IQ4_XS)
                .write(dir.resolve("iq4xs.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            m.tensors().validate();
            assertEquals(GgmlType.IQ4_XS, m.tensors().layer(0).wq().type());
            assertEquals(GgmlType.IQ4_XS, m.tensors().layer(0).up().get(0).type());
            assertEquals(GgmlType.IQ4_NL, m.tensors().layer(0).down().get(0).type(), "96 columns");
            assertEquals(30, m.metadata().getInt("general.file_type"));
            // small tensors are quantized floats: the uniform weights of std 1/16 come back close
            float[] q = dev.mixtral4j.quant.Dequantizer.dequantizeRow(m.tensors().layer(0).wq(), 3);
            double sq = 0;
            for (float v : q) {
                sq += v * v;
            }
            assertEquals(1 / 16.0, Math.sqrt(sq / q.length), 0.006);
        }
    }

    @Test
    void kQuantsFallBackOnNarrowRowsAsLlamaCppDoes() {
        Map<String, GgmlType> types = SyntheticModel.builder().fileType("Q4_K_M").tensors().stream()
                .collect(Collectors.toMap(SyntheticModel.PlannedTensor::name, SyntheticModel.PlannedTensor::type));
        assertEquals(GgmlType.Q5_0, types.get("blk.0.attn_q.weight"));
        assertEquals(GgmlType.Q8_0, types.get("output.weight"));
    }

    @Test
    void presetsHaveRealShapes() {
        ModelConfig mixtral = SyntheticModel.preset("mixtral-8x7b").config();
        assertEquals(4096, mixtral.embeddingLength());
        assertEquals(32, mixtral.blockCount());
        assertEquals(8, mixtral.expertCount());
        assertEquals(14336, mixtral.feedForwardLength());
        assertEquals(128, mixtral.headDim());
        ModelConfig mistral = SyntheticModel.preset("mistral-7b").config();
        assertEquals(0, mistral.expertCount());
        assertEquals(4096, mistral.slidingWindow());
        long bytes = SyntheticModel.preset("mixtral-8x7b").layers(2).fileType("Q4_0").tensorBytes();
        assertTrue(bytes > 1_500_000_000L && bytes < 1_800_000_000L, "2 layers at Q4_0 ~1.6 GB: " + bytes);
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.preset("nope"));
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.builder().vocabSize(100).config());
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.builder().heads(3).config());
    }

    @Test
    void layerCountDoesNotChangeOtherLayers() throws IOException {
        Path two = SyntheticModel.builder().layers(2).write(dir.resolve("2.gguf"));
        Path three = SyntheticModel.builder().layers(3).write(dir.resolve("3.gguf"));
        try (GgufFile a = GgufFile.open(two); GgufFile b = GgufFile.open(three)) {
            for (TensorInfo t : a.tensors()) {
                assertArrayEquals(a.tensorData(t).toArray(ValueLayout.JAVA_BYTE),
                        b.tensorData(b.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
            assertNotEquals(a.tensors().size(), b.tensors().size());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL",
        "IQ4_XS"})
    void randomBlocksHaveZeroMeanAndTheIntendedSpread(GgmlType type) throws IOException {
        // width 1024: target std 1/32 for attn_q; mean must be ~0 or a bias builds up over layers
        Path p = SyntheticModel.builder().embeddingLength(1024).heads(8).kvHeads(8).feedForwardLength(256).layers(1)
                .experts(2).expertsUsed(1).tensorType(type).weightSource(SyntheticModel.WeightSource.RANDOM_BLOCKS)
                .write(dir.resolve("rb-" + type + ".gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            WeightMatrix q = m.tensors().layer(0).wq();
            assertEquals(type, q.type());
            double sum = 0, sq = 0;
            long n = 0;
            for (int r = 0; r < q.rows(); r++) {
                for (float v : dev.mixtral4j.quant.Dequantizer.dequantizeRow(q, r)) {
                    assertTrue(Float.isFinite(v));
                    sum += v;
                    sq += (double) v * v;
                    n++;
                }
            }
            double mean = sum / n, std = Math.sqrt(sq / n - mean * mean);
            assertEquals(1 / 32.0, std, 0.3 / 32.0, type + " std");
            assertTrue(Math.abs(mean) < 0.02 * std, type + " mean " + mean + " vs std " + std);
        }
    }

    @Test
    void generatedVocabularyHasTheLlamaLayout() throws IOException {
        Path p = SyntheticModel.builder().write(dir.resolve("v.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            var md = f.metadata();
            assertEquals("llama", md.getString("tokenizer.ggml.model"));
            String[] tokens = md.findStringArray("tokenizer.ggml.tokens").orElseThrow();
            int[] types = md.findIntArray("tokenizer.ggml.token_type").orElseThrow();
            float[] scores = md.findFloatArray("tokenizer.ggml.scores").orElseThrow();
            assertEquals(300, tokens.length);
            assertEquals(300, types.length);
            assertEquals(300, scores.length);
            assertEquals("<unk>", tokens[0]);
            assertEquals("<s>", tokens[1]);
            assertEquals("</s>", tokens[2]);
            assertEquals("<0x00>", tokens[3]);
            assertEquals("<0x0A>", tokens[13]);
            assertEquals("<0xFF>", tokens[258]);
            assertEquals(6, types[3]);
            assertEquals(6, types[258]);
            assertEquals(3, types[1]);
            assertEquals(1, types[259]);
            assertEquals(300, java.util.Set.of(tokens).size(), "tokens are unique");
            assertEquals(1, md.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(2, md.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals(0, md.getInt("tokenizer.ggml.unknown_token_id"));
            assertEquals(true, md.findBool("tokenizer.ggml.add_bos_token").orElseThrow());
            assertEquals(true, md.findBool("tokenizer.ggml.add_space_prefix").orElseThrow());
            for (String key : new String[] {"llama.context_length", "llama.embedding_length", "llama.block_count",
                    "llama.feed_forward_length", "llama.rope.dimension_count", "llama.attention.head_count",
                    "llama.attention.head_count_kv", "llama.expert_count", "llama.expert_used_count",
                    "llama.vocab_size", "general.file_type"}) {
                md.getLong(key);
            }
            md.getDouble("llama.rope.freq_base");
            md.getDouble("llama.attention.layer_norm_rms_epsilon");
            assertEquals("llama", md.getString("general.architecture"));
        }
    }

    @Test
    void tokenizerCanComeFromARealVocabulary() throws IOException {
        String shared = System.getProperty("mixtral4j.shared");
        Path vocab = shared == null ? null : Path.of(shared, "vocab", "mistral-v1-vocab.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(vocab != null && Files.exists(vocab),
                "Mistral's vocabulary is not at ${mixtral4j.shared}/vocab/mistral-v1-vocab.gguf");
        Path p = SyntheticModel.builder().tokenizerFrom(vocab).write(dir.resolve("real-vocab.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            assertEquals(32000, m.config().vocabSize());
            assertEquals(32000, m.tensors().output().rows());
            assertEquals("▁the", m.metadata().findStringArray("tokenizer.ggml.tokens").orElseThrow()[272]);
        }
    }

    private static byte[] bytes(WeightMatrix w) {
        return w.data().toArray(ValueLayout.JAVA_BYTE);
    }
}
