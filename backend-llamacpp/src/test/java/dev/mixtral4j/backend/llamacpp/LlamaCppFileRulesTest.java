package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.testkit.GgufRewrite;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LlamaCppFileRules} in process: valid files pass, each class of file that aborted llama.cpp
 * is refused with a message naming the key, token or tensor, and the backend, its tokenizer
 * provider and load all go through the rules. (That these files really abort llama.cpp is shown in
 * a child JVM by {@link NativeLoadFuzzTest}.)
 */
class LlamaCppFileRulesTest {
    @TempDir
    static Path dir;

    private static Optional<String> problem(NativeFuzzCase c) throws IOException {
        return NativeLoadFuzzTest.problem(c.write(dir), false);
    }

    @Test
    void generatedModelsOfEveryShapePass() throws IOException {
        for (String seed : new String[] {"moe", "dense"}) {
            assertEquals(Optional.empty(), problem(new NativeFuzzCase(seed)), seed);
        }
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K}) {
            Path p = SyntheticModel.builder().tensorType(t).embeddingLength(256).write(dir.resolve(t + ".gguf"));
            assertEquals(Optional.empty(), NativeLoadFuzzTest.problem(p, false), t.toString());
        }
        // what llama.cpp computes beyond the plain recipe passes too
        assertEquals(Optional.empty(), problem(new NativeFuzzCase(
                "moe ; set llama.rope.scaling.type str yarn ; set llama.rope.scaling.factor f32 4 ; set llama.attention.causal bool false")));
        // the bounds leave every published value alone: linear compression, YaRN's own factor
        assertEquals(Optional.empty(), problem(new NativeFuzzCase(
                "moe ; set llama.rope.scaling.type str linear ; set llama.rope.scaling.factor f32 1e-20 ; set llama.rope.scaling.attn_factor f32 16")));
        assertEquals(Optional.empty(), problem(new NativeFuzzCase(
                "moe ; set llama.rope.scaling.type str yarn ; set llama.rope.scaling.factor f32 0.01 ; set llama.rope.scaling.attn_factor f32 1.2")));
    }

    @Test
    void eachClassOfAbortIsRefusedByName() throws IOException {
        String[][] cases = {
                {"moe ; tokcopy 298 299", "b' twice (ids 298 and 299)"},
                {"moe ; set llama.block_count u32 513", "llama.block_count = 513 exceeds llama.cpp's limit of 512"},
                {"moe ; set llama.block_count u32 2147483647", "llama.block_count = 2147483647"},
                {"moe ; set llama.expert_count u32 1025", "llama.expert_count = 1025"},
                {"moe ; set llama.expert_used_count u32 5", "llama.expert_used_count = 5 must be 1..4"},
                {"moe ; set llama.attention.key_length u32 24", "key length 24"},
                {"moe ; set llama.rope.scaling.type str bogus", "llama.rope.scaling.type = bogus"},
                {"moe ; set llama.rope.scaling.factor f32 NaN", "llama.rope.scaling.factor = NaN is not a finite number"},
                {"moe ; set llama.rope.scaling.attn_factor f32 Infinity", "llama.rope.scaling.attn_factor = Infinity"},
                {"moe ; set llama.rope.scaling.yarn_beta_fast f32 32", "llama.rope.scaling.yarn_beta_fast"},
                {"moe ; set llama.rope.scaling.attn_factor f32 3.4e38", "derives from llama.rope.scaling.attn_factor is 3.4E38"},
                {"moe ; set llama.rope.scaling.attn_factor f32 17", "is 17.0, beyond +-16.0"},
                {"moe ; set llama.rope.scaling.factor f32 1e-30", "llama.rope.scaling.factor = 1.0000000031710769E-30 is so small"},
                {"moe ; set llama.rope.scaling.type str yarn ; set llama.rope.scaling.factor f32 4.539993e-5",
                    "llama.rope.scaling.attn_factor and the YaRN scaling factor is"},
                {"moe ; tok 4 zz ; ttype 4 1", "lacks the byte token <0x01>"},
                {"moe ; tok 5 \\e ; ttype 5 1 ; tok 6 [EMPTY_5] ; ttype 6 1", "'[EMPTY_5]' twice (ids 5 and 6)"},
                {"moe ; ttype 260 6", "token 260 '\u2581e' has type BYTE"},
                {"moe ; set tokenizer.ggml.eos_token_id u32 300", "tokenizer.ggml.eos_token_id = 300 is outside the vocabulary 0..299"},
                {"moe ; set tokenizer.ggml.model str gpt2", "tokenizer.ggml.model is 'gpt2'"},
                {"moe ; set llama.vocab_size u32 301", "llama.vocab_size = 301 but tokenizer.ggml.tokens has 300"},
                {"moe ; shape blk.1.attn_k.weight 64,16", "tensor blk.1.attn_k.weight has shape [64, 16], llama.cpp expects [64, 32]"},
                {"moe ; drop blk.1.ffn_gate_exps.weight", "tensor blk.1.ffn_gate_exps.weight is missing"},
                {"moe ; set llama.final_logit_softcapping f32 30", "logit soft-capping (llama.final_logit_softcapping = 30.0)"},
                {"moe ; set split.count u32 2", "split.count"},
        };
        for (String[] c : cases) {
            Optional<String> why = problem(new NativeFuzzCase(c[0]));
            assertTrue(why.isPresent(), c[0]);
            assertTrue(why.get().contains(c[1]), c[0] + " -> " + why.get());
        }
    }

    /** The duplicate-token file killed `--backend java` too, through the llama.cpp tokenizer provider. */
    @Test
    void backendTokenizerProviderAndLoadAllApplyTheRules() throws IOException {
        NativeTestSupport.runtime();
        Path dup = new NativeFuzzCase("moe ; tokcopy 298 299").write(dir);
        Backend backend = new LlamaCppBackendProvider().backend();
        try (ModelFile m = ModelFile.open(dup)) {
            Availability a = backend.supports(m);
            assertFalse(a.available());
            assertTrue(a.reason().contains("twice"), a.reason());
            Availability t = new LlamaCppTokenizerProvider().supports(m);
            assertFalse(t.available());
            assertTrue(t.reason().contains("twice"), t.reason());
            assertThrows(ModelFormatException.class, () -> new LlamaCppTokenizerProvider().create(m));
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> backend.load(m, LoadOptions.builder().backend("llamacpp").threads(1).build()));
            assertTrue(e.getMessage().contains("twice"), e.getMessage());
        }
        try (ModelFile m = ModelFile.open(new NativeFuzzCase("moe").write(dir))) {
            assertTrue(backend.supports(m).available(), backend.supports(m).reason());
            assertTrue(new LlamaCppTokenizerProvider().supports(m).available());
        }
    }

    /**
     * attention.causal = false is computed by llama.cpp, but only in one micro-batch: a batch above
     * the 512-token micro-batch hit GGML_ASSERT in llama_decode. The session now sizes the
     * micro-batch to the batch for such files.
     */
    @Test
    void nonCausalBatchBeyondTheMicroBatchRuns() throws IOException {
        NativeTestSupport.runtime();
        Path plain = SyntheticModel.builder().contextLength(1024).seed(5).write(dir.resolve("long.gguf"));
        Path p = GgufRewrite.of(plain).metadata("llama.attention.causal", MetadataValue.ofBool(false))
                .write(dir.resolve("noncausal.gguf"));
        Backend backend = new LlamaCppBackendProvider().backend();
        try (ModelFile m = ModelFile.open(p);
             BackendModel model = backend.load(m, LoadOptions.builder().backend("llamacpp").threads(1).build());
             BackendSession s = model.newSession(new SessionOptions(1024, null, 1024))) {
            int[] tokens = new int[600];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = 3 + i % 290;
            }
            Logits l = s.forward(tokens, 0, false);
            for (float f : l.last()) {
                assertTrue(Float.isFinite(f));
            }
        }
    }
}
