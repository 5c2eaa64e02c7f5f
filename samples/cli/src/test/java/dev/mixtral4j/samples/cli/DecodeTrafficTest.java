package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.tools.synthetic.SyntheticModel.ExpertLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one generated token reads: bench turns tokens/s into GB/s with it. */
class DecodeTrafficTest {

    @TempDir
    Path dir;

    @Test
    void aTokenReadsOneEmbeddingRowTheChosenExpertsAndEverythingElse() throws Exception {
        Path file = SyntheticModel.builder().experts(4).expertsUsed(2).write(dir.resolve("moe.gguf"));
        try (ModelFile mf = ModelFile.open(file)) {
            long embedding = 0;
            long experts = 0;
            long rest = 0;
            int vocab = mf.config().vocabSize();
            for (TensorInfo t : mf.gguf().tensors()) {
                if (t.name().equals("token_embd.weight")) {
                    embedding = t.byteSize();
                } else if (t.name().contains("_exps.")) {
                    experts += t.byteSize();
                } else {
                    rest += t.byteSize();
                }
            }
            assertTrue(experts > 0 && rest > 0 && embedding > 0);
            assertEquals(rest + embedding / vocab + experts / 2, DecodeTraffic.bytesPerToken(mf));
        }
    }

    @Test
    void filesWithOneTensorPerExpertCountTheSameTraffic() throws Exception {
        Path merged = SyntheticModel.builder().experts(4).expertsUsed(1).write(dir.resolve("merged.gguf"));
        Path split = SyntheticModel.builder().experts(4).expertsUsed(1).expertLayout(ExpertLayout.PER_EXPERT)
                .write(dir.resolve("split.gguf"));
        try (ModelFile a = ModelFile.open(merged); ModelFile b = ModelFile.open(split)) {
            assertEquals(DecodeTraffic.bytesPerToken(a), DecodeTraffic.bytesPerToken(b));
        }
    }

    @Test
    void aDenseModelReadsEveryWeightButTheEmbedding() throws Exception {
        Path file = SyntheticModel.builder().experts(0).expertsUsed(0).write(dir.resolve("dense.gguf"));
        try (ModelFile mf = ModelFile.open(file)) {
            long all = 0;
            long embedding = 0;
            for (TensorInfo t : mf.gguf().tensors()) {
                all += t.byteSize();
                if (t.name().equals("token_embd.weight")) {
                    embedding = t.byteSize();
                }
            }
            assertEquals(all - embedding + embedding / mf.config().vocabSize(), DecodeTraffic.bytesPerToken(mf));
        }
    }

    @Test
    void aTiedEmbeddingIsReadWholeAsTheOutputHead() throws Exception {
        Path separate = SyntheticModel.builder().experts(0).expertsUsed(0).write(dir.resolve("separate.gguf"));
        Path tied = SyntheticModel.builder().experts(0).expertsUsed(0).tiedOutput(true).write(dir.resolve("tied.gguf"));
        try (ModelFile a = ModelFile.open(separate); ModelFile b = ModelFile.open(tied)) {
            long embedding = a.gguf().tensors().stream().filter(t -> t.name().equals("token_embd.weight"))
                    .mapToLong(TensorInfo::byteSize).sum();
            assertTrue(b.gguf().tensors().stream().noneMatch(t -> t.name().equals("output.weight")));
            // same weights but for the output tensor, which the tied file reads from the embedding
            long output = a.gguf().tensors().stream().filter(t -> t.name().equals("output.weight"))
                    .mapToLong(TensorInfo::byteSize).sum();
            assertEquals(DecodeTraffic.bytesPerToken(a) - output - embedding / a.config().vocabSize() + embedding,
                    DecodeTraffic.bytesPerToken(b));
        }
    }

    @Test
    void theBandwidthProbeReadsTheWholeBufferAtAnyThreadCount() {
        ReadBandwidth probe = new ReadBandwidth(8L << 20);
        assertEquals(8L << 20, probe.bufferBytes());
        // each pass checks the sum of every element it read; an uneven split must read them all too
        for (int threads : new int[] {1, 2, 3}) {
            assertTrue(probe.bytesPerSecond(threads) > 0);
        }
    }
}
