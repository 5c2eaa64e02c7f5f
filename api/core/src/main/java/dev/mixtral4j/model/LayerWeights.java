package dev.mixtral4j.model;

import java.util.List;

/**
 * The weights of one transformer block. For a mixture-of-experts block {@code router} is the
 * gate input ({@code ffn_gate_inp}, one row per expert) and the expert lists hold one matrix per
 * expert; for a dense block {@code router} is null and the lists hold exactly one matrix each.
 */
public record LayerWeights(
        int index,
        WeightMatrix attnNorm,
        WeightMatrix wq,
        WeightMatrix wk,
        WeightMatrix wv,
        WeightMatrix wo,
        WeightMatrix ffnNorm,
        WeightMatrix router,
        List<WeightMatrix> gate,
        List<WeightMatrix> up,
        List<WeightMatrix> down) {

    public LayerWeights {
        gate = List.copyOf(gate);
        up = List.copyOf(up);
        down = List.copyOf(down);
    }

    public boolean isMoe() {
        return router != null;
    }
}
