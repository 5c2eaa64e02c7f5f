package dev.mixtral4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.model.ModelFeature;
import dev.mixtral4j.model.ModelFeatures;
import dev.mixtral4j.model.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each feature that changes the math is found by the key or tensor that carries it, and only then. */
class ModelFeaturesTest {
    @TempDir
    Path dir;

    private final Path moe = Fixtures.tinyMoe(GgmlType.F32).path();

    private List<ModelFeatures.Use> uses(GgufRewrite r) throws IOException {
        Path p = r.write(dir.resolve("v" + System.nanoTime() + ".gguf"));
        try (var g = dev.mixtral4j.gguf.GgufFile.open(p)) {
            return ModelFeatures.detect(g.metadata(), g.tensors());
        }
    }

    private void assertFinds(ModelFeature f, String where, GgufRewrite r) throws IOException {
        List<ModelFeatures.Use> u = uses(r);
        assertEquals(1, u.size(), u.toString());
        assertEquals(f, u.getFirst().feature(), u.toString());
        assertTrue(u.getFirst().where().contains(where), u.toString());
    }

    @Test
    void thePlainFixturesUseNothing() throws IOException {
        for (var f : Fixtures.standard()) {
            try (ModelFile m = ModelFile.open(f.path())) {
                List<ModelFeatures.Use> u = ModelFeatures.detect(m);
                // the sliding-window fixture is the one plain file with a feature
                assertTrue(u.isEmpty() || u.stream().allMatch(x -> x.feature() == ModelFeature.SLIDING_WINDOW), f + ": " + u);
            }
        }
    }

    @Test
    void findsEachFeatureByItsKeyOrTensor() throws IOException {
        assertFinds(ModelFeature.ROPE_SCALING, "llama.rope.scaling.factor",
                GgufRewrite.of(moe).metadata("llama.rope.scaling.type", MetadataValue.ofString("linear"))
                        .metadata("llama.rope.scaling.factor", MetadataValue.ofFloat32(4)));
        assertFinds(ModelFeature.ROPE_SCALING, "llama.rope.scaling.type = yarn",
                GgufRewrite.of(moe).metadata("llama.rope.scaling.type", MetadataValue.ofString("yarn")));
        assertFinds(ModelFeature.ROPE_FREQUENCY_FACTORS, "rope_freqs.weight",
                GgufRewrite.of(moe).tensor("rope_freqs.weight", new long[] {8}, new float[8]));
        assertFinds(ModelFeature.ATTENTION_BIAS, "blk.1.attn_output.bias",
                GgufRewrite.of(moe).tensor("blk.1.attn_output.bias", new long[] {64}, new float[64]));
        assertFinds(ModelFeature.FFN_BIAS, "blk.0.ffn_gate_inp.bias",
                GgufRewrite.of(moe).tensor("blk.0.ffn_gate_inp.bias", new long[] {4}, new float[4]));
        assertFinds(ModelFeature.NON_CAUSAL_ATTENTION, "llama.attention.causal",
                GgufRewrite.of(moe).metadata("llama.attention.causal", MetadataValue.ofBool(false)));
        assertFinds(ModelFeature.LOGIT_SOFTCAPPING, "llama.final_logit_softcapping",
                GgufRewrite.of(moe).metadata("llama.final_logit_softcapping", MetadataValue.ofFloat32(30)));
        assertFinds(ModelFeature.VALUE_HEAD_LENGTH, "llama.attention.value_length",
                GgufRewrite.of(moe).metadata("llama.attention.value_length", MetadataValue.ofUint32(32)));
        assertFinds(ModelFeature.OTHER_HYPERPARAMETER, "llama.attention.scale",
                GgufRewrite.of(moe).metadata("llama.attention.scale", MetadataValue.ofFloat32(0.1f)));
        assertFinds(ModelFeature.OTHER_TENSOR, "blk.0.attn_q_norm.weight",
                GgufRewrite.of(moe).tensor("blk.0.attn_q_norm.weight", new long[] {16}, new float[16]));
    }

    @Test
    void valuesThatChangeNothingAreNotFeatures() throws IOException {
        assertEquals(List.of(), uses(GgufRewrite.of(moe)
                .metadata("llama.rope.scaling.type", MetadataValue.ofString("linear"))
                .metadata("llama.rope.scaling.factor", MetadataValue.ofFloat32(1))
                .metadata("llama.attention.causal", MetadataValue.ofBool(true))
                .metadata("llama.attention.value_length", MetadataValue.ofUint32(16))
                .metadata("llama.attention.key_length", MetadataValue.ofUint32(16))
                .metadata("llama.expert_weights_norm", MetadataValue.ofBool(true))
                .metadata("llama.rope.scaling.original_context_length", MetadataValue.ofUint32(128))));
    }

    @Test
    void anotherArchitectureIsAFeatureAndItsKeysAreItsOwn() throws IOException {
        List<ModelFeatures.Use> u = uses(GgufRewrite.of(moe).metadata("general.architecture", MetadataValue.ofString("qwen2moe")));
        assertEquals(ModelFeature.ARCHITECTURE, u.getFirst().feature(), u.toString());
        assertTrue(u.getFirst().where().contains("qwen2moe"), u.toString());
    }

    @Test
    void theRefusalNamesWhatIsMissingAndTheBackend() throws IOException {
        Path p = GgufRewrite.of(moe).metadata("llama.rope.scaling.type", MetadataValue.ofString("linear"))
                .metadata("llama.rope.scaling.factor", MetadataValue.ofFloat32(2))
                .tensor("blk.0.attn_q.bias", new long[] {64}, new float[64]).write(dir.resolve("two.gguf"));
        try (ModelFile m = ModelFile.open(p)) {
            Optional<String> why = ModelFeatures.refusal(m, EnumSet.of(ModelFeature.ATTENTION_BIAS), "demo");
            assertTrue(why.isPresent());
            assertTrue(why.get().contains("RoPE scaling (llama.rope.scaling.factor = 2.0)") && why.get().contains("demo backend")
                    && !why.get().contains("attn_q.bias"), why.get());
            assertEquals(Optional.empty(), ModelFeatures.refusal(m,
                    EnumSet.of(ModelFeature.ATTENTION_BIAS, ModelFeature.ROPE_SCALING), "demo"));
        }
    }
}
