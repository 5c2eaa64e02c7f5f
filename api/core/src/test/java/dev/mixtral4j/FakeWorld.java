package dev.mixtral4j;

import dev.mixtral4j.fakes.CharTokenizer;
import dev.mixtral4j.fakes.FakeBackend;
import dev.mixtral4j.fakes.TestBackendProvider;
import dev.mixtral4j.fakes.TinyGguf;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Two agreeing fake backends ("a" preferred, "b"), the char tokenizer and a tiny model file. */
final class FakeWorld {
    final FakeBackend a;
    final FakeBackend b;
    final ModelLoader loader;
    final Path file;

    FakeWorld(Path dir, FakeBackend.LogitsFunction function, int contextLength) throws IOException {
        this.a = new FakeBackend("a", function);
        this.b = new FakeBackend("b", function);
        this.loader = ModelLoader.of(
                Backends.of(TestBackendProvider.wrapping(a, 10), TestBackendProvider.wrapping(b, 5))
                        .withSettings(k -> null),
                List.of(new CharTokenizer.Provider()));
        this.file = TinyGguf.write(dir.resolve("tiny.gguf"), TinyGguf.charModel(contextLength));
    }

    Model load(LoadOptions options) throws IOException {
        return loader.load(file, options);
    }

    Model load() throws IOException {
        return load(LoadOptions.builder().batchSize(64).build());
    }

    /** Logits that favour printable characters only (so text never ends by chance). */
    static float[] printable(int[] history, int vocab) {
        float[] l = FakeBackend.hashLogits(history, vocab);
        for (int v = 0; v < vocab; v++) {
            if (!CharTokenizer.isPrintable(v)) {
                l[v] -= 50f;
            }
        }
        return l;
    }

    /** After {@code offset} tokens, the model says {@code continuation} and then EOS. */
    static FakeBackend.LogitsFunction scripted(int[] continuation, int offset) {
        return (history, vocab) -> {
            float[] l = new float[vocab];
            int i = history.length - offset;
            l[i >= 0 && i < continuation.length ? continuation[i] : CharTokenizer.EOS] = 10f;
            return l;
        };
    }

    /** Greedy continuation computed straight from the function, without the generation loop. */
    static int[] greedy(FakeBackend.LogitsFunction f, int[] prompt, int n) {
        int[] history = prompt.clone();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            float[] l = f.next(history, CharTokenizer.VOCAB);
            int best = 0;
            for (int v = 1; v < l.length; v++) {
                if (l[v] > l[best]) {
                    best = v;
                }
            }
            out[i] = best;
            history = java.util.Arrays.copyOf(history, history.length + 1);
            history[history.length - 1] = best;
        }
        return out;
    }
}
