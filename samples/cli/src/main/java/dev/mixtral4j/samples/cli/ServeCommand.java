package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Model;
import dev.mixtral4j.samples.server.OpenAiServer;
import dev.mixtral4j.samples.server.ServerOptions;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mixtral4j serve}: the OpenAI-compatible server and web chat, until Ctrl-C. */
@Command(name = "serve",
        description = {"Serves a model over an OpenAI-compatible HTTP API, with a web chat at /.",
                "Endpoints: GET /v1/models, POST /v1/chat/completions, POST /v1/completions (streamed with "
                        + "\"stream\": true), GET /health. --parallel sessions answer at once, each keeping its KV "
                        + "cache for the next request that shares its start; up to --queue more wait, beyond that a "
                        + "503. Stop with Ctrl-C."})
public final class ServeCommand implements Callable<Integer> {

    /** The server this command runs, for tests in this package that stop it. */
    static final AtomicReference<OpenAiServer> RUNNING = new AtomicReference<>();

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N",
            description = "TCP port; 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-np", "--parallel"}, defaultValue = "1", paramLabel = "N",
            description = "Requests computed at once, each in its own session and KV cache (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--queue", defaultValue = "" + ServerOptions.DEFAULT_QUEUE, paramLabel = "N",
            description = "Requests that may wait for a session; more get a 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = {"-a", "--alias"}, paramLabel = "ID",
            description = "Model id clients name in \"model\" (default: the file name without .gguf).")
    String alias;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be between 0 and 65535: " + port);
        }
        if (parallel < 1) {
            throw new UsageException("--parallel must be at least 1: " + parallel);
        }
        if (queue < 0) {
            throw new UsageException("--queue must not be negative: " + queue);
        }
        PrintWriter out = spec.commandLine().getOut();
        ServerOptions options = ServerOptions.defaults().withHost(host).withPort(port).withParallel(parallel)
                .withQueue(queue).withModelId(alias);
        try (Model model = modelOptions.load(); OpenAiServer server = OpenAiServer.start(model, options)) {
            Thread hook = new Thread(server::close, "mixtral4j-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            RUNNING.set(server);
            String root = server.baseUrl().substring(0, server.baseUrl().length() - "/v1".length());
            out.printf("Serving %s on backend %s with %d session(s) of %d tokens%n", server.modelId(),
                    model.backend().id(), parallel, model.defaultSessionOptions().contextLength());
            out.printf("Web chat: %s/   OpenAI API: %s   (Ctrl-C stops)%n", root, server.baseUrl());
            out.flush();
            try {
                server.awaitShutdown();
            } finally {
                RUNNING.compareAndSet(server, null);
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it closes the server
                }
            }
        }
        return Mixtral4jCli.OK;
    }
}
