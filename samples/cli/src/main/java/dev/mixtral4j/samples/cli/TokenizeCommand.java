package dev.mixtral4j.samples.cli;

import dev.mixtral4j.ModelLoader;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mixtral4j tokenize}: text to token ids with a model's own vocabulary. */
@Command(name = "tokenize",
        description = {"Turns text into token ids with the vocabulary of a GGUF file.",
                "With --text, prints one line per token: id and piece. With --jsonl, reads lines "
                        + "{\"text\": \"...\"} on standard input and writes {\"ids\": [...]} lines (no BOS) "
                        + "on standard output, one per input line, for batch use."})
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "A GGUF file (a full model or a vocabulary-only file).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to tokenize (-t means --threads in every command).")
        String text;

        @Option(names = "--jsonl", description = "Read {\"text\": ...} lines on stdin, write {\"ids\": [...]} lines.")
        boolean jsonl;
    }

    @Option(names = "--bos", negatable = true, fallbackValue = "true",
            description = "Prepend BOS with --text (default: yes). --jsonl never adds it.")
    boolean bos = true;

    @Option(names = "--special",
            description = "Parse the text of control tokens such as </s> or [INST] into their ids (default: no).")
    boolean special;

    @Option(names = "--tokenizer", paramLabel = "ID",
            description = "Tokenizer implementation: auto (default: the best ranked that supports the file), spm, ...")
    String tokenizerId = "auto";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model + " (no such file)");
        }
        try (ModelFile file = ModelFile.open(model)) {
            Tokenizer tokenizer = tokenizerFor(file);
            if (input.jsonl) {
                return jsonl(tokenizer, System.in);
            }
            PrintWriter out = spec.commandLine().getOut();
            int[] ids = tokenizer.encode(input.text, bos, special);
            for (int id : ids) {
                out.printf("%6d  %s%n", id, visible(tokenizer.piece(id)));
            }
            out.printf("%d tokens%n", ids.length);
            out.flush();
            return Mixtral4jCli.OK;
        }
    }

    private Tokenizer tokenizerFor(ModelFile file) {
        List<TokenizerProvider> providers = new ArrayList<>(ModelLoader.discoverTokenizers(
                Thread.currentThread().getContextClassLoader()));
        providers.sort(Comparator.comparingInt(TokenizerProvider::rank).reversed());
        StringBuilder reasons = new StringBuilder();
        for (TokenizerProvider p : providers) {
            if (!tokenizerId.equals("auto") && !tokenizerId.equals(p.id())) {
                continue;
            }
            Availability a = p.supports(file);
            if (a.available()) {
                return p.create(file);
            }
            reasons.append("; ").append(p.id()).append(": ").append(a.reason());
        }
        if (!tokenizerId.equals("auto") && providers.stream().noneMatch(p -> p.id().equals(tokenizerId))) {
            throw new UsageException("no tokenizer '" + tokenizerId + "'; found: "
                    + providers.stream().map(TokenizerProvider::id).toList());
        }
        throw new IllegalStateException("no tokenizer supports " + model + reasons);
    }

    /** One output line per non-blank input line; a bad line stops the run, naming its number. */
    int jsonl(Tokenizer tokenizer, InputStream in) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder line = new StringBuilder();
        int lineNo = 0;
        for (String l; (l = reader.readLine()) != null; ) {
            lineNo++;
            if (l.isBlank()) {
                continue;
            }
            String text;
            try {
                if (!(JsonReader.parse(l) instanceof Map<?, ?> m) || !(m.get("text") instanceof String t)) {
                    throw new IllegalArgumentException("expected an object with a string \"text\"");
                }
                text = t;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("stdin line " + lineNo + ": " + e.getMessage(), e);
            }
            int[] ids = tokenizer.encode(text, false, special);
            line.setLength(0);
            line.append("{\"ids\":[");
            for (int k = 0; k < ids.length; k++) {
                if (k > 0) {
                    line.append(',');
                }
                line.append(ids[k]);
            }
            line.append("]}");
            out.println(line);
        }
        out.flush();
        return Mixtral4jCli.OK;
    }

    /** A piece with control characters escaped so each token stays on one line. */
    static String visible(String piece) {
        StringBuilder sb = new StringBuilder(piece.length());
        piece.codePoints().forEach(c -> {
            if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04X", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }
}
