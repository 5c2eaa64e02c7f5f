package dev.mixtral4j.sampling;

import dev.mixtral4j.spi.Candidates;
import dev.mixtral4j.spi.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Samplers applied in order, the last of which chooses the token. A chain is itself a
 * {@link Sampler}: {@link #accept}, {@link #reset} and {@link #copy} reach every step. Not
 * thread-safe (samplers such as penalties and dist carry state); {@link #copy()} one per sequence.
 */
public final class SamplerChain implements Sampler {
    private final List<Sampler> steps;

    /**
     * @throws IllegalArgumentException when empty or when the last step does not select a token
     *         ({@link Sampler#selectsToken()})
     */
    public SamplerChain(List<? extends Sampler> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a sampler chain needs at least one sampler");
        }
        if (!steps.getLast().selectsToken()) {
            throw new IllegalArgumentException("a sampler chain must end with a sampler that selects a token "
                    + "(greedy, dist), not " + steps.getLast().name());
        }
        this.steps = List.copyOf(steps);
    }

    /** The steps, in order. */
    public List<Sampler> steps() {
        return steps;
    }

    @Override
    public String name() {
        return "chain";
    }

    @Override
    public boolean selectsToken() {
        return true;
    }

    @Override
    public void apply(Candidates candidates) {
        for (Sampler s : steps) {
            s.apply(candidates);
        }
        if (candidates.selected() < 0) {
            throw new IllegalStateException("sampler chain " + this + " selected no token");
        }
    }

    /** Runs the chain on one row of logits and returns the chosen token, without accepting it. */
    public int sample(float[] logits) {
        Candidates c = new Candidates(logits);
        apply(c);
        return c.selectedToken();
    }

    @Override
    public void accept(int token) {
        for (Sampler s : steps) {
            s.accept(token);
        }
    }

    @Override
    public void reset() {
        for (Sampler s : steps) {
            s.reset();
        }
    }

    @Override
    public SamplerChain copy() {
        List<Sampler> copies = new ArrayList<>(steps.size());
        for (Sampler s : steps) {
            copies.add(s.copy());
        }
        return new SamplerChain(copies);
    }

    @Override
    public String toString() {
        return steps.stream().map(Object::toString).collect(Collectors.joining(" -> "));
    }
}
