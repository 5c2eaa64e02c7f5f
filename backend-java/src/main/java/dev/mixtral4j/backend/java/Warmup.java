package dev.mixtral4j.backend.java;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.WeightMatrix;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the JIT to compile the forward pass of a small model before its first real call.
 *
 * <p>Until C2 compiles a method, every Vector API operation in it allocates and runs element by element
 * (interpreter or C1), 100-1000x slower than the compiled loop. C2 compiles a method after about 5,000
 * calls, or 600 calls whose loops together ran ~15,000 iterations. A large model's first call runs
 * loops long enough for that; a small model's calls are so short that it takes hundreds of forward calls:
 * on the 2-layer tiny-moe model an 8-token prompt plus 8 generated tokens took 5.3 s on the first call
 * and 0.4 ms from about the 400th. So a small model runs, once per JVM, a throwaway session through
 * short prompts, single tokens and (where the context allows) one packed-tile prompt, which costs about
 * 1.3 CPU-seconds at load instead (docs/benchmarks.md, "Small-model fixed cost").
 */
final class Warmup {
    /** {@link dev.mixtral4j.LoadOptions#extra()} key: {@code true} (default) or {@code false}. */
    static final String OPTION = "java.warmup";
    /** Models up to this many weight values get the warm-up; a forward call of theirs costs ~1 ms compiled. */
    private static final long SMALL_MODEL_VALUES = 50_000_000L;
    private static final int ROUNDS = 100;
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private Warmup() {
    }

    /** Whether {@code java.warmup} asks for it; throws on a value other than true or false. */
    static boolean requested(java.util.Map<String, String> options) {
        String v = options.getOrDefault(OPTION, "true");
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("backend option " + OPTION + "=" + v + ": expected true or false");
        }
        return v.equals("true");
    }

    /** Runs the warm-up for {@code m} if it is small and no model has been warmed up in this JVM yet. */
    static void run(JavaBackendModel m) {
        if (weightValues(m) > SMALL_MODEL_VALUES || !DONE.compareAndSet(false, true)) {
            return;
        }
        int ctx = Math.min(128, m.config().contextLength());
        int prompt = Math.min(8, ctx / 2);
        // a prompt of 70 tokens takes the packed matrix-matrix tiles (64+) and the dot-product tiles (6 left over)
        int packed = ctx >= 70 + 1 ? 70 : 0;
        int vocab = m.config().vocabSize();
        try (JavaSession s = new JavaSession(m, ctx, GgmlType.F16, 512, 1)) {
            for (int round = 0; round < ROUNDS; round++) {
                int[] tokens = new int[round % 25 == 0 && packed > 0 ? packed : prompt];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = (round * 7 + i) % vocab;
                }
                s.forward(tokens, 0, false);
                for (int i = 0; i < prompt && tokens.length + i < ctx; i++) {
                    s.forward(new int[] {(round + i) % vocab}, tokens.length + i, false);
                }
            }
        }
    }

    private static long weightValues(JavaBackendModel m) {
        long values = m.embedding.matrix().elementCount() + m.output.matrix().elementCount();
        for (LayerKernels l : m.layers) {
            for (Weight w : new Weight[] {l.wq(), l.wk(), l.wv(), l.wo()}) {
                values += w.matrix().elementCount();
            }
            for (Weight[] experts : new Weight[][] {l.gate(), l.up(), l.down()}) {
                for (Weight w : experts) {
                    WeightMatrix mx = w.matrix();
                    values += mx.elementCount();
                }
            }
        }
        return values;
    }
}
