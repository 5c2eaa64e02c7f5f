package dev.mixtral4j.samples.cli;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.generation.TokenListener;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.routing.RoutingRecorder;
import dev.mixtral4j.routing.RoutingStatistics;
import dev.mixtral4j.routing.RoutingSubscription;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.spi.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mixtral4j routing}: where the router sends the tokens of some texts, as the Mixtral paper
 * analyses it. Each file is run through the model in a fresh session with a {@link RoutingRecorder}
 * attached; then per layer: expert usage (first choice, either choice), the share of consecutive
 * tokens with the same first-choice expert and with an expert in common beside random routing
 * (the paper's Table 5), and optionally an HTML page and a JSON document.
 */
@Command(name = "routing",
        description = {"Shows which experts each layer chooses for the tokens of some texts (the Mixtral paper's "
                + "routing analysis).",
                "Per layer and file: how often each expert is the first choice and among the chosen ones; the share "
                        + "of consecutive tokens with the same first-choice expert and with an expert in common, beside "
                        + "what independent random routing gives. --html writes a page with the text coloured by "
                        + "expert (layer selector, usage charts); --json the traces for scripts. Without --model a "
                        + "small synthetic Mixtral (random weights) is used."})
public final class RoutingCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the demo's synthetic Mixtral, written once to the temp directory).")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT",
            description = "A UTF-8 text file to route; repeat for several (e.g. code, maths, prose).")
    List<Path> files;

    @Option(names = {"-b", "--backend"}, defaultValue = "auto", paramLabel = "ID",
            description = "Backend id, or auto (default: ${DEFAULT-VALUE}); it must report routing traces.")
    String backend;

    @Option(names = "--html", paramLabel = "OUT.html", description = "Write the self-contained routing page here.")
    Path html;

    @Option(names = "--json", paramLabel = "OUT.json", description = "Write the traces and statistics as JSON here.")
    Path json;

    @Option(names = "--max-tokens", defaultValue = "2048", paramLabel = "N",
            description = "Most tokens per file, BOS included; the rest is left out (default: ${DEFAULT-VALUE}, "
                    + "and never more than the model's context).")
    int maxTokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch", defaultValue = "512", paramLabel = "N",
            description = "Most tokens per forward call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 2) {
            throw new UsageException("--max-tokens must be at least 2");
        }
        if (threads != null && threads < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> texts = new ArrayList<>();
        for (Path f : files) {
            texts.add(read(f));
        }
        Path modelFile = model != null ? model : DemoCommand.syntheticModel(spec, null, "Q8_0", out);
        int context;
        try (ModelFile mf = ModelFile.open(modelFile)) {
            if (!mf.config().isMoe()) {
                throw new UsageException(modelFile + " is a dense model (no experts): there is no routing to show");
            }
            context = Math.min(maxTokens, mf.config().contextLength());
        }
        LoadOptions.Builder options = LoadOptions.builder().backend(backend).batchSize(batch).contextLength(context);
        if (threads != null) {
            options.threads(threads);
        }
        List<RoutedText> routed = new ArrayList<>();
        String backendId;
        try (Model m = Mixtral4j.load(modelFile, options.build())) {
            backendId = m.backend().id();
            if (!m.backend().supportsRoutingTraces()) {
                throw new UsageException("backend '" + backendId + "' does not report routing traces; try --backend java");
            }
            Tokenizer tokenizer = m.tokenizer();
            for (int i = 0; i < files.size(); i++) {
                routed.add(route(m, tokenizer, files.get(i).toString(), texts.get(i), context));
            }
        }
        print(out, modelFile, backendId, routed);
        Map<String, Object> doc = RoutingJson.document(modelFile.getFileName().toString(), backendId, routed);
        if (json != null) {
            Files.writeString(json, Json.write(doc), StandardCharsets.UTF_8);
            out.printf("JSON written to %s%n", json);
        }
        if (html != null) {
            Files.writeString(html, RoutingPage.render(doc), StandardCharsets.UTF_8);
            out.printf("HTML page written to %s%n", html);
        }
        out.flush();
        return Mixtral4jCli.OK;
    }

    private static String read(Path f) {
        try {
            byte[] bytes = Files.readAllBytes(f);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new UsageException("no such file: " + f);
        } catch (CharacterCodingException e) {
            throw new UsageException(f + " is not UTF-8 text");
        } catch (IOException e) {
            throw new UsageException("cannot read " + f + ": " + e.getMessage());
        }
    }

    /** Runs one text (BOS first) through a fresh session with a recorder attached. */
    static RoutedText route(Model m, Tokenizer tokenizer, String name, String text, int context) {
        int[] all = tokenizer.encode(text, true, false);
        int[] ids = all.length > context ? Arrays.copyOf(all, context) : all;
        if (ids.length < 2) {
            throw new UsageException(name + " holds no text to route");
        }
        RoutingRecorder recorder = new RoutingRecorder();
        try (Session s = m.newSession(); RoutingSubscription ignored = s.attach(recorder)) {
            // one generated token: the whole text is computed, the sampled token stays pending
            s.generate(ids, GenerationOptions.builder().maxTokens(1).sampler(Samplers.greedy()).build(),
                    TokenListener.none());
        }
        RoutingTrace trace = recorder.trace().orElseThrow(() -> new IllegalStateException(
                "backend '" + m.backend().id() + "' reported no routing for " + name));
        if (trace.tokenCount() != ids.length || trace.startPosition() != 0) {
            throw new IllegalStateException("routing of " + name + " covers positions " + trace.startPosition() + ".."
                    + (trace.startPosition() + trace.tokenCount() - 1) + ", expected 0.." + (ids.length - 1));
        }
        List<String> pieces = new ArrayList<>(ids.length);
        Tokenizer.StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        for (int id : ids) {
            pieces.add(decoder.accept(id));
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            pieces.set(pieces.size() - 1, pieces.getLast() + rest);
        }
        return new RoutedText(name, trace, pieces, RoutingStatistics.of(trace), all.length - ids.length);
    }

    static void print(PrintWriter out, Path modelFile, String backendId, List<RoutedText> routed) {
        RoutingTrace first = routed.getFirst().trace();
        int experts = first.expertCount();
        out.printf(Locale.ROOT, "%s on %s: %d layers, %d of %d experts per token%n", modelFile.getFileName(), backendId,
                first.layerCount(), first.expertsUsed(), experts);
        for (RoutedText r : routed) {
            RoutingStatistics s = r.stats();
            out.printf(Locale.ROOT, "%n== %s: %d tokens (BOS included)%s%n", r.file(), s.tokenCount(),
                    r.truncated() > 0 ? ", " + r.truncated() + " more left out (context full)" : "");
            out.printf(Locale.ROOT, "consecutive tokens with the same expert (the paper's Table 5):%n");
            out.printf(Locale.ROOT, "  layer  same first choice  an expert in common%n");
            for (int l = 0; l < s.layerCount(); l++) {
                out.printf(Locale.ROOT, "  %5d  %16.1f%%  %18.1f%%%n", l, 100 * s.sameFirstChoiceRate(l),
                        100 * s.sharedExpertRate(l));
            }
            out.printf(Locale.ROOT, "  random %15.1f%%  %18.1f%%%n", 100 * s.randomSameFirstChoice(),
                    100 * s.randomSharedExpert());
            out.printf(Locale.ROOT, "expert usage, %% of tokens: first choice | among the %d chosen%n", s.expertsUsed());
            StringBuilder head = new StringBuilder("  layer ");
            for (int e = 0; e < experts; e++) {
                head.append(String.format(Locale.ROOT, "%6s", "e" + e));
            }
            head.append("  |");
            for (int e = 0; e < experts; e++) {
                head.append(String.format(Locale.ROOT, "%6s", "e" + e));
            }
            out.println(head);
            for (int l = 0; l < s.layerCount(); l++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %5d ", l));
                for (int e = 0; e < experts; e++) {
                    row.append(String.format(Locale.ROOT, "%6.1f", 100 * s.firstChoiceShare(l, e)));
                }
                row.append("  |");
                for (int e = 0; e < experts; e++) {
                    row.append(String.format(Locale.ROOT, "%6.1f", 100 * s.anyChoiceShare(l, e)));
                }
                out.println(row);
            }
        }
    }
}
