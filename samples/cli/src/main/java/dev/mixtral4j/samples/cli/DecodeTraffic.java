package dev.mixtral4j.samples.cli;

import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import java.util.regex.Pattern;

/**
 * Bytes of weights one generated token reads, on average, from a model file: every tensor once,
 * except the token embedding (one row, unless it doubles as the output head) and the expert tensors of a mixture-of-experts layer, of
 * which a token reads the chosen k of E experts. Decode is bound by this traffic, so tokens/s times
 * this figure is the memory bandwidth a backend achieves, comparable with the machine's.
 */
final class DecodeTraffic {
    /** Stacked experts ({@code blk.N.ffn_up_exps.weight}) and the older one-tensor-per-expert files ({@code blk.N.ffn_up.3.weight}). */
    private static final Pattern EXPERT = Pattern.compile("blk\\.\\d+\\.ffn_(gate|up|down)(_exps|\\.\\d+)\\.weight");

    private DecodeTraffic() {
    }

    static long bytesPerToken(ModelFile mf) {
        int experts = mf.config().expertCount();
        int used = mf.config().expertUsedCount();
        double share = experts > 0 ? (double) used / experts : 1.0;
        // without an output tensor the embedding is the output head too, read whole for the logits
        boolean tied = mf.gguf().tensors().stream().noneMatch(t -> t.name().equals("output.weight"));
        double total = 0;
        for (TensorInfo t : mf.gguf().tensors()) {
            if (t.name().equals("token_embd.weight") && !tied) {
                long rows = t.rank() > 1 ? t.dim(1) : 1;
                total += (double) t.byteSize() / rows;
            } else if (EXPERT.matcher(t.name()).matches()) {
                total += t.byteSize() * share;
            } else {
                total += t.byteSize();
            }
        }
        return Math.round(total);
    }
}
