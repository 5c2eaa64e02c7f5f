package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the backend accepts and what uploading a model costs, on generated files, without a GPU. */
class ModelCheckTest {
    @TempDir
    Path dir;

    private ModelFile open(SyntheticModel.Builder b, String name) throws Exception {
        return ModelFile.open(b.write(dir.resolve(name)));
    }

    @Test
    void acceptsTheTypesItHasKernelsFor() throws Exception {
        for (String type : new String[] {"F32", "F16", "BF16", "Q8_0", "Q4_0"}) {
            try (ModelFile m = open(SyntheticModel.builder().fileType(type), type + ".gguf")) {
                assertEquals(Optional.empty(), CudaBackend.checkModel(m), type);
            }
        }
        try (ModelFile m = open(SyntheticModel.builder().embeddingLength(256).feedForwardLength(256).fileType("Q4_K_M"),
                "q4km.gguf")) {
            assertEquals(Optional.empty(), CudaBackend.checkModel(m), "Q4_K_M");
        }
    }

    @Test
    void rejectsOtherTypesNamingTheTensor() throws Exception {
        try (ModelFile m = open(SyntheticModel.builder().fileType("Q5_0"), "q5.gguf")) {
            Optional<String> why = CudaBackend.checkModel(m);
            assertTrue(why.isPresent());
            assertTrue(why.get().contains("Q5_0") && why.get().contains("tensor "), why.get());
        }
    }

    /** Files whose math the kernels do not compute are refused by name, not run wrong. */
    @Test
    void refusesFeaturesItDoesNotCompute() throws Exception {
        Path plain = SyntheticModel.builder().write(dir.resolve("plain.gguf"));
        Path scaled = dev.mixtral4j.testkit.GgufRewrite.of(plain)
                .metadata("llama.rope.scaling.type", dev.mixtral4j.gguf.MetadataValue.ofString("yarn"))
                .tensor("blk.1.attn_q.bias", new long[] {64}, new float[64]).write(dir.resolve("scaled.gguf"));
        try (ModelFile m = ModelFile.open(scaled)) {
            Optional<String> why = CudaBackend.checkModel(m);
            assertTrue(why.isPresent());
            assertTrue(why.get().contains("llama.rope.scaling.type = yarn") && why.get().contains("blk.1.attn_q.bias")
                    && why.get().contains("cuda backend"), why.get());
        }
        try (ModelFile m = ModelFile.open(plain)) {
            assertEquals(Optional.empty(), CudaBackend.checkModel(m));
        }
    }

    @Test
    void weightBytesOfTheTinyModelByHand() throws Exception {
        // defaults: width 64, 2 layers, 4 heads of 16, 2 KV heads, FFN 128, 4 experts, vocab 300, F32
        long embd = 300 * 64 * 4;                     // token_embd (and output, not tied)
        long layer = 256                              // attn_norm
                + 64 * 64 * 4 + 2 * (64 * 32 * 4)     // wq, wk, wv
                + 64 * 64 * 4                         // wo
                + 256                                 // ffn_norm
                + 4 * 64 * 4                          // router
                + 3L * 4 * 128 * 64 * 4;              // gate, up, down of 4 experts
        long expected = embd + 256 + embd + 2 * layer;
        for (SyntheticModel.ExpertLayout layout : SyntheticModel.ExpertLayout.values()) {
            try (ModelFile m = open(SyntheticModel.builder().expertLayout(layout), layout + ".gguf")) {
                assertEquals(expected, MemoryPlanner.weightBytes(m.tensors()), layout.toString());
            }
        }
        try (ModelFile tied = open(SyntheticModel.builder().tiedOutput(true), "tied.gguf")) {
            assertEquals(expected - embd, MemoryPlanner.weightBytes(tied.tensors()), "a tied output is uploaded once");
        }
    }

    @Test
    void normsWidenToF32AndMatricesStayAsStored() throws Exception {
        try (ModelFile m = open(SyntheticModel.builder().tensorType(GgmlType.Q8_0), "q8.gguf")) {
            for (MemoryPlanner.Upload u : MemoryPlanner.uploads(m.tensors())) {
                if (u.asF32()) {
                    assertEquals(ScratchLayout.align(64 * 4), u.bytes(), u.name());
                } else {
                    long raw = u.parts().stream().mapToLong(w -> w.data().byteSize()).sum();
                    assertEquals(ScratchLayout.align(raw), u.bytes(), u.name());
                }
            }
        }
    }
}
