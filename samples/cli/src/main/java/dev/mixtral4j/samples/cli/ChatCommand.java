package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Message;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mixtral4j chat}: a conversation formatted with the model's chat template. Every turn
 * passes the whole conversation to the session, which reuses what its KV cache already holds.
 */
@Command(name = "chat",
        description = {"Chats with a model, interactively on stdin or once with --prompt.",
                "Messages are formatted with the model's chat template (the Mistral Instruct format when the file has "
                        + "none). Type a message and press Enter; /reset starts a new conversation, /exit (or the end "
                        + "of input) quits."})
public final class ChatCommand implements Callable<Integer>, Mixtral4jCli.ReadsInput {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplerOptions samplerOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt.")
    String system;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Answer this one message and exit.")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "1024", paramLabel = "N",
            description = "Most tokens per reply; -1 until the context is full (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--stats", description = "Print the speed of each reply on stderr.")
    boolean stats;

    @Spec
    CommandSpec spec;

    private InputStream input = System.in;

    @Override
    public void input(InputStream in) {
        this.input = in;
    }

    @Override
    public Integer call() throws IOException {
        if (maxTokens == 0 || maxTokens < -1) {
            throw new UsageException("-n must be positive, or -1");
        }
        GenerationOptions options = GenerationOptions.builder().maxTokens(maxTokens).sampler(samplerOptions.sampler()).build();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model model = modelOptions.load()) {
            model.tokenizer(); // fail early, with the reasons, when no tokenizer reads this file
            Session session = model.newSession();
            try {
                List<Message> conversation = start();
                if (prompt != null) {
                    conversation.add(Message.user(prompt));
                    reply(session, conversation, options, out, err);
                    return Mixtral4jCli.OK;
                }
                err.printf("Chatting with %s on %s. /reset starts over, /exit quits.%n",
                        model.path().getFileName(), session.backend().id());
                err.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
                while (true) {
                    out.print("> ");
                    out.flush();
                    String line = in.readLine();
                    if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
                        out.println();
                        break;
                    }
                    if (line.isBlank()) {
                        continue;
                    }
                    if (line.strip().equals("/reset")) {
                        conversation = start();
                        session.reset();
                        err.println("(new conversation)");
                        err.flush();
                        continue;
                    }
                    if (line.strip().startsWith("/") && !line.strip().startsWith("//")) {
                        err.println("unknown command " + line.strip() + ": /reset starts over, /exit quits "
                                + "(start a message with // to send a slash)");
                        err.flush();
                        continue;
                    }
                    conversation.add(Message.user(line.strip().startsWith("//") ? line.strip().substring(1) : line));
                    GenerationResult r = reply(session, conversation, options, out, err);
                    conversation.add(Message.assistant(r.text()));
                }
            } finally {
                session.close();
            }
        }
        return Mixtral4jCli.OK;
    }

    private List<Message> start() {
        List<Message> conversation = new ArrayList<>();
        if (system != null && !system.isBlank()) {
            conversation.add(Message.system(system));
        }
        return conversation;
    }

    private GenerationResult reply(Session session, List<Message> conversation, GenerationOptions options,
                                   PrintWriter out, PrintWriter err) {
        GenerationResult r = session.chat(conversation, options, t -> {
            out.print(t.text());
            out.flush();
        });
        out.println();
        out.flush();
        if (stats) {
            err.println(GenerateCommand.stats(session.backend().id(), r.stats()));
            err.flush();
        }
        return r;
    }
}
