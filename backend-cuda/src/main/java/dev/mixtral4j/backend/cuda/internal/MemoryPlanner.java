package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.model.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/** Computes the device memory a model needs, without a device. */
public final class MemoryPlanner {
    private MemoryPlanner() {
    }

    public static MemoryPlan plan(ModelConfig config, TensorCatalogue tensors, CudaOptions options, int contextLength) {
        return plan(config, weightBytes(tensors), contextLength, options.batchSize(), options.kvCacheType(),
                options.maxSplits());
    }

    public static MemoryPlan plan(ModelConfig c, long weightBytes, int contextLength, int batch, GgmlType kvType,
                                  int maxSplits) {
        return new MemoryPlan(weightBytes, kvCacheBytes(c, contextLength, kvType),
                new ScratchLayout(c, Math.min(batch, contextLength), maxSplits).totalBytes(), contextLength);
    }

    /** Keys and values of every layer for {@code contextLength} tokens. */
    public static long kvCacheBytes(ModelConfig c, int contextLength, GgmlType kvType) {
        long elem = kvType == GgmlType.F16 ? 2 : 4;
        return ScratchLayout.align(2L * c.blockCount() * contextLength * c.kvDim() * elem);
    }

    /** Bytes of one uploaded tensor: norms (single-row vectors) widen to F32, matrices stay as stored. */
    public static long uploadBytes(WeightMatrix w, boolean asF32) {
        long bytes = asF32 ? (long) w.columns() * w.rows() * Float.BYTES : w.data().byteSize();
        return ScratchLayout.align(bytes);
    }

    /** What uploading every tensor of the catalogue takes (a tied output counted once). */
    public static long weightBytes(TensorCatalogue t) {
        return uploads(t).stream().mapToLong(u -> u.bytes).sum();
    }

    /** One device allocation: a name, its bytes, and the matrices copied into it (experts back to back). */
    public record Upload(String name, long bytes, List<WeightMatrix> parts, boolean asF32) {
    }

    /** The allocations of a model, in upload order. */
    public static List<Upload> uploads(TensorCatalogue t) {
        List<Upload> out = new ArrayList<>();
        WeightMatrix embd = t.tokenEmbedding();
        out.add(matrix(embd));
        out.add(norm(t.outputNorm()));
        if (!t.isOutputTied()) {
            out.add(matrix(t.output()));
        }
        for (LayerWeights l : t.layers()) {
            out.add(norm(l.attnNorm()));
            out.add(matrix(l.wq()));
            out.add(matrix(l.wk()));
            out.add(matrix(l.wv()));
            out.add(matrix(l.wo()));
            out.add(norm(l.ffnNorm()));
            if (l.router() != null) {
                out.add(matrix(l.router()));
            }
            out.add(experts("blk." + l.index() + ".ffn_gate", l.gate()));
            out.add(experts("blk." + l.index() + ".ffn_up", l.up()));
            out.add(experts("blk." + l.index() + ".ffn_down", l.down()));
        }
        return out;
    }

    private static Upload matrix(WeightMatrix w) {
        return new Upload(w.name(), uploadBytes(w, false), List.of(w), false);
    }

    private static Upload norm(WeightMatrix w) {
        return new Upload(w.name(), uploadBytes(w, true), List.of(w), true);
    }

    private static Upload experts(String name, List<WeightMatrix> parts) {
        long bytes = 0;
        for (WeightMatrix w : parts) {
            bytes += w.data().byteSize();
        }
        return new Upload(name, ScratchLayout.align(bytes), parts, false);
    }
}
