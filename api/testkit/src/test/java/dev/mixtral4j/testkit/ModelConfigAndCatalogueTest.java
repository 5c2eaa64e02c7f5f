package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.model.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigAndCatalogueTest {
    @TempDir
    Path dir;

    private final Path moe = Fixtures.tinyMoe(GgmlType.Q8_0).path();

    @Test
    void configFromMetadata() throws IOException {
        try (ModelFile m = ModelFile.open(moe)) {
            ModelConfig c = m.config();
            assertEquals("llama", c.architecture());
            assertEquals(128, c.contextLength());
            assertEquals(64, c.embeddingLength());
            assertEquals(2, c.blockCount());
            assertEquals(128, c.feedForwardLength());
            assertEquals(4, c.headCount());
            assertEquals(2, c.headCountKv());
            assertEquals(16, c.headDim());
            assertEquals(16, c.ropeDimensionCount());
            assertEquals(1e6f, c.ropeFreqBase());
            assertEquals(1e-5f, c.rmsEps());
            assertEquals(4, c.expertCount());
            assertEquals(2, c.expertUsedCount());
            assertEquals(300, c.vocabSize());
            assertEquals(0, c.slidingWindow());
            assertEquals(32, c.kvDim());
            assertEquals(2, c.groupSize());
        }
    }

    @Test
    void vocabularyFallsBackToTheTokenListAndKeyLengthSetsTheHeadDim() throws IOException {
        Path p = GgufRewrite.of(moe).removeMetadata("llama.vocab_size")
                .metadata("llama.attention.key_length", MetadataValue.ofUint32(16)).write(dir.resolve("v.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            assertEquals(300, m.config().vocabSize());
            assertEquals(16, m.config().headDim());
        }
    }

    @Test
    void missingWrongTypedOrInconsistentMetadataIsNamed() throws IOException {
        Path missing = GgufRewrite.of(moe).removeMetadata("llama.embedding_length").write(dir.resolve("a.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(missing).close());
        assertTrue(e.getMessage().contains("'llama.embedding_length' is missing"), e.getMessage());

        Path typed = GgufRewrite.of(moe).metadata("llama.block_count", MetadataValue.ofString("two"))
                .write(dir.resolve("b.gguf"));
        e = assertThrows(ModelFormatException.class, () -> ModelFile.open(typed).close());
        assertTrue(e.getMessage().contains("'llama.block_count' is STRING"), e.getMessage());

        Path kv = GgufRewrite.of(moe).metadata("llama.attention.head_count_kv", MetadataValue.ofUint32(3))
                .write(dir.resolve("c.gguf"));
        e = assertThrows(ModelFormatException.class, () -> ModelFile.open(kv).close());
        assertTrue(e.getMessage().contains("KV head count") && e.getMessage().contains("= 3"), e.getMessage());

        Path used = GgufRewrite.of(moe).metadata("llama.expert_used_count", MetadataValue.ofUint32(5))
                .write(dir.resolve("d.gguf"));
        e = assertThrows(ModelFormatException.class, () -> ModelFile.open(used).close());
        assertTrue(e.getMessage().contains("experts used count"), e.getMessage());
    }

    @Test
    void mergedExpertsAreSlicedPerExpert() throws IOException {
        try (ModelFile m = ModelFile.open(moe)) {
            TensorCatalogue t = m.tensors();
            assertTrue(t.hasMergedExperts());
            LayerWeights l = t.layer(1);
            assertTrue(l.isMoe());
            assertEquals(4, l.gate().size());
            TensorInfo merged = m.gguf().tensor("blk.1.ffn_down_exps.weight");
            byte[] all = m.gguf().tensorData(merged).toArray(ValueLayout.JAVA_BYTE);
            long per = GgmlType.Q8_0.bytesFor(128) * 64;
            for (int e = 0; e < 4; e++) {
                WeightMatrix w = l.down().get(e);
                assertEquals("blk.1.ffn_down_exps.weight[" + e + "]", w.name());
                assertEquals(128, w.columns());
                assertEquals(64, w.rows());
                assertArrayEquals(Arrays.copyOfRange(all, (int) (e * per), (int) ((e + 1) * per)),
                        w.data().toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(4, l.router().rows());
            assertEquals(64, l.router().columns());
            assertEquals(64, l.wq().rows());
            assertEquals(32, l.wk().rows());
            assertEquals(64, l.wo().columns());
        }
    }

    @Test
    void perExpertTensorsResolve() throws IOException {
        try (ModelFile m = ModelFile.open(Fixtures.tinyMoePerExpert(GgmlType.F32).path())) {
            assertFalse(m.tensors().hasMergedExperts());
            LayerWeights l = m.tensors().layer(0);
            assertEquals("blk.0.ffn_up.3.weight", l.up().get(3).name());
            assertEquals(128, l.up().get(3).rows());
            m.tensors().validate();
        }
    }

    @Test
    void tiedOutputIsTheEmbedding() throws IOException {
        try (ModelFile m = ModelFile.open(Fixtures.tiedOutput(GgmlType.F32).path())) {
            assertTrue(m.tensors().isOutputTied());
            assertEquals("token_embd.weight", m.tensors().output().name());
            assertEquals(300, m.tensors().output().rows());
        }
    }

    @Test
    void denseModelHasOneFfnAndNoRouter() throws IOException {
        try (ModelFile m = ModelFile.open(Fixtures.dense(GgmlType.F32).path())) {
            assertFalse(m.config().isMoe());
            LayerWeights l = m.tensors().layer(1);
            assertFalse(l.isMoe());
            assertNull(l.router());
            assertEquals(1, l.gate().size());
            assertEquals("blk.1.ffn_gate.weight", l.gate().get(0).name());
            assertEquals(192, l.gate().get(0).rows());
        }
    }

    @Test
    void wrongShapesAreNamed() throws IOException {
        Path q = GgufRewrite.of(Fixtures.tinyMoe(GgmlType.F32).path())
                .tensor("blk.1.attn_q.weight", new long[] {64, 32}, new float[64 * 32]).write(dir.resolve("q.gguf"));
        try (ModelFile m = ModelFile.open(q)) {
            m.tensors().layer(0);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.tensors().layer(1));
            assertTrue(e.getMessage().contains("'blk.1.attn_q.weight' has shape [64, 32], expected [64, 64]"),
                    e.getMessage());
            assertEquals(m.gguf().absoluteOffset(m.gguf().tensor("blk.1.attn_q.weight")), e.offset());
            assertThrows(ModelFormatException.class, () -> m.tensors().validate());
        }
        Path exps = GgufRewrite.of(Fixtures.tinyMoe(GgmlType.F32).path())
                .tensor("blk.0.ffn_up_exps.weight", new long[] {64, 128, 3}, new float[64 * 128 * 3])
                .write(dir.resolve("e.gguf"));
        try (ModelFile m = ModelFile.open(exps)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.tensors().layer(0));
            assertTrue(e.getMessage().contains("'blk.0.ffn_up_exps.weight' has shape [64, 128, 3], expected [64, 128, 4]"),
                    e.getMessage());
        }
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Path p = GgufRewrite.of(moe).dropTensors("blk.0.ffn_norm.weight"::equals).write(dir.resolve("m.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.tensors().validate());
            assertTrue(e.getMessage().contains("'blk.0.ffn_norm.weight' is missing"), e.getMessage());
        }
    }
}
