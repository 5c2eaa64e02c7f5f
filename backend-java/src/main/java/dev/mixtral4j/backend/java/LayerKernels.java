package dev.mixtral4j.backend.java;

import dev.mixtral4j.model.LayerWeights;
import java.nio.file.Path;

/** One transformer block's weights with their kernels; a dense block has one "expert". */
record LayerKernels(Weight attnNorm, Weight wq, Weight wk, Weight wv, Weight wo, Weight ffnNorm,
                    Weight router, Weight[] gate, Weight[] up, Weight[] down) {

    static LayerKernels of(Path file, LayerWeights l) {
        int n = l.gate().size();
        Weight[] gate = new Weight[n];
        Weight[] up = new Weight[n];
        Weight[] down = new Weight[n];
        for (int e = 0; e < n; e++) {
            gate[e] = Weight.of(file, l.gate().get(e));
            up[e] = Weight.of(file, l.up().get(e));
            down[e] = Weight.of(file, l.down().get(e));
        }
        return new LayerKernels(Weight.of(file, l.attnNorm()), Weight.of(file, l.wq()), Weight.of(file, l.wk()),
                Weight.of(file, l.wv()), Weight.of(file, l.wo()), Weight.of(file, l.ffnNorm()),
                l.router() == null ? null : Weight.of(file, l.router()), gate, up, down);
    }
}
