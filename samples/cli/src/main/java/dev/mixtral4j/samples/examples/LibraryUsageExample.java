package dev.mixtral4j.samples.examples;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user API in one page: list the backends, load a model on the best one, chat with it
 * (streaming), continue the conversation, and move it to another backend mid-way.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp 'samples/target/mixtral4j-samples-0.1.0-SNAPSHOT.jar:samples/target/lib/*' \
 *      dev.mixtral4j.samples.examples.LibraryUsageExample [model.gguf]
 * </pre>
 * Without an argument it writes a tiny synthetic model first (its vocabulary is synthetic too,
 * so the text is gibberish; the mechanics are the same).
 */
public final class LibraryUsageExample {

    private LibraryUsageExample() {
    }

    public static void main(String[] args) throws IOException {
        Path model = args.length > 0 ? Path.of(args[0])
                : SyntheticModel.builder().seed(1).contextLength(512).write(Files.createTempFile("mixtral4j-example", ".gguf"));
        run(model, System.out);
    }

    /** Runs the example on {@code modelPath}, printing to {@code out}; returns the conversation. */
    public static List<Message> run(Path modelPath, PrintStream out) throws IOException {
        // 1. What can run here, and why not when not.
        for (BackendInfo b : Mixtral4j.backends()) {
            out.println("backend " + b);
        }

        // 2. Load on the best available backend ("auto"; or name one: "java", "llamacpp", "cuda"),
        //    with a KV cache of 512 tokens (0 would mean the model's whole trained context).
        LoadOptions load = LoadOptions.builder().backend("auto").contextLength(512).build();
        GenerationOptions sampling = GenerationOptions.builder()
                .maxTokens(24)
                .sampler(Samplers.chain().topK(40).topP(0.95).temperature(0.7).seed(7))
                .build();
        List<Message> conversation = new ArrayList<>(List.of(
                Message.system("You answer in one short sentence."),
                Message.user("What is a mixture of experts?")));
        try (Model model = Mixtral4j.load(modelPath, load)) {
            Session chat = model.newSession();
            try {
                // 3. Stream a reply, token by token.
                out.print("assistant: ");
                GenerationResult first = chat.chat(conversation, sampling, token -> out.print(token.text()));
                out.println();
                out.println("(" + first.stats() + ")");
                conversation.add(Message.assistant(first.text()));

                // 4. Move the conversation to another available backend, if there is one; the KV
                //    cache is rebuilt there and the chat goes on where it was.
                String current = chat.backend().id();
                String other = model.backends().available().stream().map(BackendInfo::id)
                        .filter(id -> !id.equals(current)).findFirst().orElse(null);
                if (other != null) {
                    out.println("moving the conversation from " + chat.backend().id() + " to " + other);
                    chat = chat.transferTo(other);
                }

                // 5. Continue: pass the whole conversation; what the session holds is reused.
                conversation.add(Message.user("Give an example."));
                out.print("assistant: ");
                GenerationResult second = chat.chat(conversation, sampling, token -> out.print(token.text()));
                out.println();
                out.println("(" + second.stats() + ")");
                conversation.add(Message.assistant(second.text()));
            } finally {
                chat.close();
            }
        }
        return conversation;
    }
}
