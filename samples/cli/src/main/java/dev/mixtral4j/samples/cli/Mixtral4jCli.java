package dev.mixtral4j.samples.cli;

import dev.mixtral4j.spi.ProgressListener;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code mixtral4j} command line. Exit codes: 0 success, 1 a run-time failure (reported in
 * one line, with the stack trace only under {@code --verbose}), 2 a usage error.
 */
@Command(name = "mixtral4j",
        // Subcommands inherit --help, --version and the footer.
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Runs Mixtral-family sparse mixture-of-experts models (GGUF) on the backend of your choice.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        footer = {"", "Exit codes: 0 success, 1 failure (one-line message; --verbose for the stack trace), 2 usage error."})
public final class Mixtral4jCli implements Runnable {

    /**
     * Every subcommand, in the order `mixtral4j --help` lists them. To add a command, write a
     * class annotated with {@code @Command(name = ...)} in this package and add one line here.
     */
    static final List<Class<?>> COMMANDS = List.of(
            DemoCommand.class,
            InfoCommand.class,
            BackendsCommand.class,
            EvalCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            TokenizeCommand.class,
            BenchCommand.class,
            RoutingCommand.class,
            PerplexityCommand.class,
            ServeCommand.class);

    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Print stack traces and more detail on failure.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "No progress bars or progress messages on stderr (for scripts).")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // `mixtral4j` alone: show what it can do rather than fail silently.
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** A command that reads standard input (given to it, so tests can supply their own). */
    interface ReadsInput {
        void input(InputStream in);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(execute(System.in, out, err, args));
    }

    /** Runs the command line with the given streams; returns the exit code. Used by tests. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(InputStream.nullInputStream(), out, err, args);
    }

    /** Runs the command line with the given streams, stdin included; returns the exit code. */
    public static int execute(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(in, out, err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The configured command line: all subcommands, streams, exit codes and error handling. */
    public static CommandLine commandLine(InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K made = defaults.create(cls);
                if (made instanceof ReadsInput r) {
                    r.input(in);
                }
                return made;
            }
        };
        CommandLine cl = new CommandLine(new Mixtral4jCli(), factory);
        for (Class<?> command : COMMANDS) {
            cl.addSubcommand(command);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(Mixtral4jCli::handleFailure);
        // What the library reports of its own long work (natives extracted, weights uploaded to a
        // GPU) becomes bars, like the commands' own; none with --quiet.
        cl.setExecutionStrategy(parsed -> {
            CommandLine.ParseResult leaf = parsed;
            while (leaf.subcommand() != null) {
                leaf = leaf.subcommand();
            }
            try (Progress.LibraryBars bars = Progress.forLibrary(leaf.commandSpec())) {
                return ProgressListener.reportingTo(bars, () -> new CommandLine.RunLast().execute(parsed));
            }
        });
        return cl;
    }

    private static int handleFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        boolean verbose = parsed.hasMatchedOption("--verbose") || anySubcommandVerbose(parsed);
        if (e instanceof UsageException) {
            err.println("mixtral4j " + cl.getCommandName() + ": " + e.getMessage());
            err.println("Try 'mixtral4j " + cl.getCommandName() + " --help'.");
            return USAGE;
        }
        err.println("error: " + oneLine(e));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return FAILURE;
    }

    private static boolean anySubcommandVerbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A file-system failure in words: the JDK's own messages are just the path ("/x/y") or, for
     * undecodable text, "Input length = 1".
     */
    private static String fileProblem(Throwable t) {
        if (t instanceof java.nio.file.NoSuchFileException f) {
            return "no such file or folder: " + f.getFile();
        }
        if (t instanceof java.nio.file.AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        }
        if (t instanceof java.nio.charset.CharacterCodingException) {
            return "a file or input is not valid UTF-8 text";
        }
        return t.getMessage();
    }

    /** The message of the exception (and of its causes when they add something), on one line. */
    static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String m = fileProblem(t);
            if (m == null || m.isBlank()) {
                m = t.getClass().getSimpleName();
            }
            if (sb.indexOf(m) < 0) {
                if (!sb.isEmpty()) {
                    sb.append(": ");
                }
                sb.append(m);
            }
        }
        return sb.toString().replace('\n', ' ').replace('\r', ' ');
    }
}
