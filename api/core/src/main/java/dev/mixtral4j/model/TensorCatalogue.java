package dev.mixtral4j.model;

import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Resolves the tensors of a Mixtral-family GGUF into {@link WeightMatrix} views, checking every
 * shape against the {@link ModelConfig}. It understands both expert layouts: merged 3-D tensors
 * ({@code blk.N.ffn_gate_exps.weight}, expert outermost) and the older per-expert tensors
 * ({@code blk.N.ffn_gate.E.weight}); and a missing {@code output.weight}, which means the output
 * projection is tied to {@code token_embd.weight}.
 */
public final class TensorCatalogue {
    private final GgufFile file;
    private final ModelConfig config;

    public TensorCatalogue(GgufFile file, ModelConfig config) {
        this.file = file;
        this.config = config;
    }

    /** Token embedding: vocab rows of embedding width. */
    public WeightMatrix tokenEmbedding() {
        return matrix("token_embd.weight", config.embeddingLength(), config.vocabSize());
    }

    public WeightMatrix outputNorm() {
        return matrix("output_norm.weight", config.embeddingLength(), 1);
    }

    /** The output projection, or the token embedding when the file ties them. */
    public WeightMatrix output() {
        return file.findTensor("output.weight").isPresent()
                ? matrix("output.weight", config.embeddingLength(), config.vocabSize())
                : tokenEmbedding();
    }

    /** True when the file has no {@code output.weight} and reuses the embedding. */
    public boolean isOutputTied() {
        return file.findTensor("output.weight").isEmpty();
    }

    /** True when layer experts are stored as merged 3-D tensors. */
    public boolean hasMergedExperts() {
        return file.findTensor("blk.0.ffn_gate_exps.weight").isPresent();
    }

    public List<LayerWeights> layers() {
        // block_count comes from the file: a huge one must end at the first missing layer, not in
        // an OutOfMemoryError for the list
        List<LayerWeights> layers = new ArrayList<>(Math.min(config.blockCount(), file.tensors().size()));
        for (int i = 0; i < config.blockCount(); i++) {
            layers.add(layer(i));
        }
        return layers;
    }

    public LayerWeights layer(int i) {
        String b = "blk." + i + ".";
        int d = config.embeddingLength();
        int qDim = config.headCount() * config.headDim();
        int kv = config.kvDim();
        int ff = config.feedForwardLength();
        WeightMatrix router = null;
        List<WeightMatrix> gate = new ArrayList<>();
        List<WeightMatrix> up = new ArrayList<>();
        List<WeightMatrix> down = new ArrayList<>();
        if (config.isMoe()) {
            router = matrix(b + "ffn_gate_inp.weight", d, config.expertCount());
            if (file.findTensor(b + "ffn_gate_exps.weight").isPresent()) {
                gate = experts(b + "ffn_gate_exps.weight", d, ff);
                up = experts(b + "ffn_up_exps.weight", d, ff);
                down = experts(b + "ffn_down_exps.weight", ff, d);
            } else {
                for (int e = 0; e < config.expertCount(); e++) {
                    gate.add(matrix(b + "ffn_gate." + e + ".weight", d, ff));
                    up.add(matrix(b + "ffn_up." + e + ".weight", d, ff));
                    down.add(matrix(b + "ffn_down." + e + ".weight", ff, d));
                }
            }
        } else {
            gate.add(matrix(b + "ffn_gate.weight", d, ff));
            up.add(matrix(b + "ffn_up.weight", d, ff));
            down.add(matrix(b + "ffn_down.weight", ff, d));
        }
        return new LayerWeights(i,
                matrix(b + "attn_norm.weight", d, 1),
                matrix(b + "attn_q.weight", d, qDim),
                matrix(b + "attn_k.weight", d, kv),
                matrix(b + "attn_v.weight", d, kv),
                matrix(b + "attn_output.weight", qDim, d),
                matrix(b + "ffn_norm.weight", d, 1),
                router, gate, up, down);
    }

    /** Every tensor the forward pass needs, resolved and shape-checked (fails on the first problem). */
    public void validate() {
        tokenEmbedding();
        outputNorm();
        output();
        layers();
    }

    /**
     * Every weight of the forward pass (norms included), resolved and shape-checked: what a
     * backend's {@code supports()} walks to check types without building anything.
     */
    public List<WeightMatrix> allWeights() {
        List<WeightMatrix> all = new ArrayList<>();
        all.add(tokenEmbedding());
        all.add(outputNorm());
        all.add(output());
        for (LayerWeights l : layers()) {
            all.addAll(List.of(l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm()));
            if (l.router() != null) {
                all.add(l.router());
            }
            all.addAll(l.gate());
            all.addAll(l.up());
            all.addAll(l.down());
        }
        return all;
    }

    public Optional<TensorInfo> find(String name) {
        return file.findTensor(name);
    }

    private WeightMatrix matrix(String name, int columns, int rows) {
        TensorInfo t = file.findTensor(name).orElseThrow(() -> new ModelFormatException(
                file.path() + ": tensor '" + name + "' is missing"));
        boolean vectorOk = rows == 1 && t.rank() == 1 && t.dim(0) == columns;
        boolean matrixOk = t.rank() == 2 && t.dim(0) == columns && t.dim(1) == rows;
        if (!vectorOk && !matrixOk) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + ", expected "
                    + (rows == 1 ? "[" + columns + "]" : "[" + columns + ", " + rows + "]")
                    + " from the model config", file.absoluteOffset(t));
        }
        return new WeightMatrix(name, t.type(), columns, rows, file.tensorData(t));
    }

    private List<WeightMatrix> experts(String name, int columns, int rows) {
        TensorInfo t = file.findTensor(name).orElseThrow(() -> new ModelFormatException(
                file.path() + ": tensor '" + name + "' is missing"));
        int n = config.expertCount();
        if (t.rank() != 3 || t.dim(0) != columns || t.dim(1) != rows || t.dim(2) != n) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + ", expected [" + columns + ", " + rows + ", " + n
                    + "] from the model config", file.absoluteOffset(t));
        }
        MemorySegment all = file.tensorData(t);
        long bytesPerExpert = t.type().bytesFor((long) columns) * rows;
        List<WeightMatrix> list = new ArrayList<>(n);
        for (int e = 0; e < n; e++) {
            list.add(new WeightMatrix(name + "[" + e + "]", t.type(), columns, rows,
                    all.asSlice(e * bytesPerExpert, bytesPerExpert)));
        }
        return list;
    }
}
