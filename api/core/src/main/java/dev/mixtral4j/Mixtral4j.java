package dev.mixtral4j;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Entry point.
 *
 * <pre>{@code
 * try (Model model = Mixtral4j.load(Path.of("mixtral-8x7b-instruct.Q4_K_M.gguf"),
 *                                   LoadOptions.builder().backend("auto").build());
 *      Session chat = model.newSession()) {
 *     GenerationResult r = chat.chat(List.of(Message.user("Bonjour !")),
 *             GenerationOptions.builder().maxTokens(256)
 *                     .sampler(Samplers.chain().topK(40).topP(0.95).temperature(0.7).seed(7)).build(),
 *             token -> System.out.print(token.text()));
 * }
 * }</pre>
 *
 * Each call discovers backends and tokenizers afresh with ServiceLoader; use a {@link ModelLoader}
 * to choose them yourself.
 */
public final class Mixtral4j {

    private Mixtral4j() {
    }

    /** Loads with {@link LoadOptions#defaults()} (backend "auto"). */
    public static Model load(Path path) throws IOException {
        return ModelLoader.discover().load(path);
    }

    public static Model load(Path path, LoadOptions options) throws IOException {
        return ModelLoader.discover().load(path, options);
    }

    /** The backends on the class path or module path, each with its availability. */
    public static Backends backends() {
        return Backends.discover();
    }
}
