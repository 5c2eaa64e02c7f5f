package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Message;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.GenerationResult;
import dev.mixtral4j.generation.StopReason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
                        + "none). Type a message and press Enter; /reset starts a new conversation, /backend ID moves "
                        + "the conversation to another backend, /stats shows the figures, Ctrl-C stops the answer being "
                        + "written, /exit (or the end of input) quits."})
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
            ChatStats totals = new ChatStats();
            try (CtrlC ctrlC = prompt != null ? null : CtrlC.install()) {
                List<Message> conversation = start();
                if (prompt != null) {
                    conversation.add(Message.user(prompt));
                    reply(session, conversation, options, out, err, null, totals);
                    return Mixtral4jCli.OK;
                }
                err.printf("Chatting with %s on %s. /reset starts over, /backend ID moves to another backend, /stats "
                                + "shows the figures, /exit quits%s.%n", model.path().getFileName(), session.backend().id(),
                        ctrlC.installed() ? "; Ctrl-C stops an answer" : "");
                err.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
                while (true) {
                    out.print("> ");
                    out.flush();
                    String line = in.readLine();
                    String command = line == null ? null : line.strip();
                    if (command == null || command.equals("/exit") || command.equals("/quit")) {
                        out.println();
                        break;
                    }
                    if (line.isBlank()) {
                        continue;
                    }
                    if (command.equals("/reset")) {
                        conversation = start();
                        session.reset();
                        err.println("(new conversation)");
                        err.flush();
                        continue;
                    }
                    if (command.equals("/stats")) {
                        err.println(totals.describe(session));
                        err.flush();
                        continue;
                    }
                    if (command.equals("/backend") || command.startsWith("/backend ")) {
                        session = moveTo(session, command.substring("/backend".length()).strip(), model, err, totals);
                        continue;
                    }
                    if (command.startsWith("/") && !command.startsWith("//")) {
                        err.println("unknown command " + command + ": /reset starts over, /backend ID moves to another "
                                + "backend, /stats shows the figures, /exit quits (start a message with // to send a slash)");
                        err.flush();
                        continue;
                    }
                    conversation.add(Message.user(command.startsWith("//") ? command.substring(1) : line));
                    GenerationResult r = reply(session, conversation, options, out, err, ctrlC, totals);
                    conversation.add(Message.assistant(r.text()));
                }
            } finally {
                session.close();
            }
        }
        return Mixtral4jCli.OK;
    }

    /**
     * {@code /backend ID}: the conversation moves to another backend (its tokens are computed
     * there again); on failure it stays where it was.
     */
    private static Session moveTo(Session session, String id, Model model, PrintWriter err, ChatStats totals) {
        if (id.isEmpty()) {
            err.println("(on " + session.backend().id() + "; available: " + String.join(", ",
                    model.backends().available().stream().map(b -> b.id()).toList()) + ")");
            err.flush();
            return session;
        }
        String from = session.backend().id();
        int tokens = session.tokens().length;
        long t0 = System.nanoTime();
        Session moved;
        try {
            moved = session.transferTo(id);
        } catch (RuntimeException e) {
            err.println("(cannot move to " + id + ": " + Mixtral4jCli.oneLine(e) + "; still on " + from + ")");
            err.flush();
            return session;
        }
        long nanos = System.nanoTime() - t0;
        if (moved == session) {
            err.println("(already on " + id + ")");
        } else {
            totals.moved(from, moved.backend().id());
            err.println(String.format(Locale.ROOT, "(moved from %s to %s: %d tokens of the conversation computed again "
                            + "in %.0f ms, %.1f t/s; the next answers come from %s)", from, moved.backend().id(), tokens,
                    nanos / 1e6, tokens == 0 ? 0 : tokens * 1e9 / nanos, moved.backend().id()));
        }
        err.flush();
        return moved;
    }

    private List<Message> start() {
        List<Message> conversation = new ArrayList<>();
        if (system != null && !system.isBlank()) {
            conversation.add(Message.system(system));
        }
        return conversation;
    }

    private GenerationResult reply(Session session, List<Message> conversation, GenerationOptions options,
                                   PrintWriter out, PrintWriter err, CtrlC ctrlC, ChatStats totals) {
        java.util.function.Supplier<GenerationResult> answer = () -> session.chat(conversation, options, t -> {
            out.print(t.text());
            out.flush();
        });
        GenerationResult r = ctrlC == null ? answer.get() : ctrlC.during(session::cancel, answer);
        out.println();
        out.flush();
        totals.add(session.backend().id(), r.stats());
        if (r.stopReason() == StopReason.CANCELLED) {
            err.println("(stopped)");
            err.flush();
        }
        if (stats) {
            err.println(GenerateCommand.stats(session.backend().id(), r.stats()));
            err.flush();
        }
        return r;
    }
}
