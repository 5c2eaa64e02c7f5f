package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.GenerationStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mixtral4j generate}: continues a text prompt, streaming the text; stats on stderr. */
@Command(name = "generate",
        description = {"Continues a text prompt, streaming the generated text.",
                "The prompt is encoded with BOS; the text streams to stdout as it is generated, and the prompt and "
                        + "generation speeds go to stderr."})
public final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The prompt.")
        String text;

        @Option(names = {"-f", "--prompt-file"}, required = true, paramLabel = "FILE", description = "Read the prompt from a file.")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", paramLabel = "N",
            description = "Most tokens to generate; -1 until the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when this text is generated (repeatable).")
    List<String> stop;

    @Option(names = "--special", description = "Parse control-token text in the prompt (e.g. [INST]) into control tokens.")
    boolean special;

    @Option(names = "--no-echo", description = "Do not print the prompt before the generated text.")
    boolean noEcho;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (maxTokens == 0 || maxTokens < -1) {
            throw new UsageException("-n must be positive, or -1");
        }
        String text = prompt.text != null ? prompt.text : InputFiles.readUtf8(prompt.file, "--prompt-file");
        GenerationOptions.Builder ob = GenerationOptions.builder().maxTokens(maxTokens)
                .sampler(samplerOptions.sampler()).addBos(true).parseSpecial(special);
        if (stop != null) {
            ob.stopStrings(stop);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model model = modelOptions.load(); Session session = model.newSession()) {
            model.tokenizer(); // fail early, with the reasons, when no tokenizer reads this file
            if (!noEcho) {
                out.print(text);
                out.flush();
            }
            GenerationResult result = session.generate(text, ob.build(), t -> {
                out.print(t.text());
                out.flush();
            });
            out.println();
            out.flush();
            err.println(stats(session.backend().id(), result.stats()));
            err.flush();
        }
        return Mixtral4jCli.OK;
    }

    static String stats(String backend, GenerationStats s) {
        return String.format(Locale.ROOT,
                "[%s] prompt: %d tokens (%d computed) at %.1f t/s; generated: %d tokens at %.1f t/s; "
                        + "first token after %.0f ms; stopped: %s",
                backend, s.promptTokens(), s.prefilledTokens(), s.promptTokensPerSecond(), s.generatedTokens(),
                s.generatedTokensPerSecond(), s.timeToFirstTokenNanos() / 1e6,
                s.stopReason().toString().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
}
