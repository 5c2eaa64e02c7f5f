package dev.mixtral4j.samples.cli;

import dev.mixtral4j.BackendInfo;
import dev.mixtral4j.Backends;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.MetadataValue;
import dev.mixtral4j.gguf.MetadataValue.MetadataArray;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.spi.Availability;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mixtral4j info FILE}: what a GGUF file holds and which backends can run it. */
@Command(name = "info",
        description = {"Shows what a GGUF file holds and which backends can run it.",
                "Prints the format version, the metadata (long arrays abbreviated), the model configuration "
                        + "(or why the file is not a runnable Mixtral-family model), the tensor table, totals, "
                        + "and for every backend found whether it can run the file."})
public final class InfoCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "A GGUF file.")
    Path file;

    @Option(names = "--no-tensors", description = "Leave out the tensor table (totals are still shown).")
    boolean noTensors;

    @Option(names = "--full", description = "Show metadata strings and arrays in full rather than abbreviated.")
    boolean full;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file + " (no such file)");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile gguf = GgufFile.open(file)) {
            printHeader(out, gguf);
            printMetadata(out, gguf);
            ModelFile model = printModel(out, gguf);
            try {
                printTensors(out, gguf);
                printBackends(out, model);
            } finally {
                if (model != null) {
                    model.close();
                }
            }
        }
        out.flush();
        return Mixtral4jCli.OK;
    }

    private void printHeader(PrintWriter out, GgufFile gguf) {
        out.printf("file:     %s%n", gguf.path());
        out.printf("size:     %d bytes (%s)%n", gguf.fileSize(), Sizes.bytes(gguf.fileSize()));
        out.printf("gguf:     version %d, alignment %d, tensor data at offset %d%n",
                gguf.version(), gguf.alignment(), gguf.dataOffset());
    }

    private void printMetadata(PrintWriter out, GgufFile gguf) {
        Map<String, MetadataValue> entries = gguf.metadata().entries();
        out.printf("%nmetadata: %d entries%n", entries.size());
        int width = entries.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, MetadataValue> e : entries.entrySet()) {
            MetadataValue v = e.getValue();
            String text = full ? fullText(v) : MetadataFormat.format(v);
            out.printf("  %-" + width + "s  %-7s  %s%n", e.getKey(), v.type(), text);
        }
    }

    private static String fullText(MetadataValue v) {
        if (v.value() instanceof MetadataArray a) {
            StringBuilder sb = new StringBuilder().append(a.elementType()).append('[').append(a.length()).append("] [");
            for (int i = 0; i < a.length(); i++) {
                Object e = java.lang.reflect.Array.get(a.values(), i);
                sb.append(i == 0 ? "" : ", ").append(e instanceof String s ? '"' + s + '"' : String.valueOf(e));
            }
            return sb.append(']').toString();
        }
        return v.value() instanceof String s ? '"' + s + '"' : String.valueOf(v.value());
    }

    /** Prints the config (or why there is none) and returns the opened model, or null when not runnable. */
    private ModelFile printModel(PrintWriter out, GgufFile gguf) {
        out.printf("%nmodel:%n");
        ModelConfig config;
        try {
            int vocabFallback = gguf.findTensor("token_embd.weight").map(t -> (int) t.dim(1)).orElse(0);
            config = ModelConfig.fromMetadata(gguf.metadata(), vocabFallback);
        } catch (RuntimeException e) {
            out.printf("  not a runnable Mixtral-family model: %s%n", notRunnableReason(gguf, e));
            return null;
        }
        String p = config.architecture() + ".";
        out.printf("  architecture        %s%s%n", config.architecture(),
                isMixtralFamily(config) ? "" : " (not Mixtral-family: the values below are read with its own keys)");
        out.printf("  context length      %d%n", config.contextLength());
        out.printf("  embedding length    %d%n", config.embeddingLength());
        out.printf("  layers              %d%n", config.blockCount());
        out.printf("  feed-forward length %d%s%n", config.feedForwardLength(), config.isMoe() ? " (per expert)" : "");
        out.printf("  heads               %d query, %d key/value (group %d), head dim %d%s%n",
                config.headCount(), config.headCountKv(), config.groupSize(), config.headDim(),
                defaulted(gguf, p + "attention.head_count_kv"));
        out.printf("  rope                %d dims%s, base %s%s%n", config.ropeDimensionCount(),
                defaulted(gguf, p + "rope.dimension_count"), config.ropeFreqBase(), defaulted(gguf, p + "rope.freq_base"));
        out.printf("  rms epsilon         %s%s%n", config.rmsEps(), defaulted(gguf, p + "attention.layer_norm_rms_epsilon"));
        out.printf("  experts             %s%n", config.isMoe()
                ? config.expertCount() + " (" + config.expertUsedCount() + " used per token)" : "none (dense)");
        out.printf("  vocabulary          %d%n", config.vocabSize());
        out.printf("  sliding window      %s%n", config.slidingWindow() == 0 ? "none" : config.slidingWindow());
        List<String> refusals = new ArrayList<>();
        if (gguf.tensors().isEmpty()) {
            refusals.add("vocabulary-only file (no tensors)");
        }
        if (!isMixtralFamily(config)) {
            refusals.add("architecture '" + config.architecture() + "' is not Mixtral-family ('llama')");
        }
        if (!refusals.isEmpty()) {
            out.printf("  not a runnable Mixtral-family model: %s%n", String.join("; ", refusals));
            return null;
        }
        ModelFile model;
        try {
            model = ModelFile.open(gguf.path());
        } catch (Exception e) {
            out.printf("  not a runnable Mixtral-family model: %s%n", Mixtral4jCli.oneLine(e));
            return null;
        }
        try {
            TensorCatalogue tc = model.tensors();
            tc.tokenEmbedding();
            tc.outputNorm();
            tc.output();
            tc.layers();
            out.printf("  experts layout      %s%n", !config.isMoe() ? "n/a" : tc.hasMergedExperts()
                    ? "merged (ffn_*_exps)" : "per expert (ffn_*.E.weight)");
            out.printf("  output              %s%n", tc.isOutputTied() ? "tied to token_embd" : "output.weight");
            out.printf("  runnable            yes: every tensor present with the expected shape%n");
        } catch (RuntimeException e) {
            out.printf("  not a runnable Mixtral-family model: %s%n", Mixtral4jCli.oneLine(e));
        }
        return model;
    }

    /** GGUF stores Mixtral, Mistral and Llama alike as architecture "llama". */
    static boolean isMixtralFamily(ModelConfig config) {
        return config.architecture().equals("llama");
    }

    /** " (default)" when the file does not set {@code key}, so the value shown is ModelConfig's default. */
    private static String defaulted(GgufFile gguf, String key) {
        return gguf.metadata().contains(key) ? "" : " (default)";
    }

    private static String notRunnableReason(GgufFile gguf, Exception e) {
        String arch = gguf.metadata().findString("general.architecture").orElse("llama");
        List<String> reasons = new ArrayList<>();
        if (gguf.tensors().isEmpty()) {
            reasons.add("vocabulary-only file (no tensors)");
        }
        if (!arch.equals("llama")) {
            reasons.add("architecture '" + arch + "' is not Mixtral-family ('llama')");
        }
        reasons.add("no model configuration: " + Mixtral4jCli.oneLine(e).replace(gguf.path() + ": ", ""));
        return String.join("; ", reasons);
    }

    private void printTensors(PrintWriter out, GgufFile gguf) {
        out.printf("%ntensors:  %d%n", gguf.tensors().size());
        Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
        long elements = 0;
        long bytes = 0;
        int nameWidth = gguf.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
        if (!noTensors && !gguf.tensors().isEmpty()) {
            out.printf("  %-" + nameWidth + "s  %-6s  %-24s  %12s%n", "name", "type", "shape", "bytes");
        }
        for (TensorInfo t : gguf.tensors()) {
            long n = t.elementCount();
            elements += n;
            bytes += t.byteSize();
            long[] agg = byType.computeIfAbsent(t.type(), k -> new long[3]);
            agg[0]++;
            agg[1] += n;
            agg[2] += t.byteSize();
            if (!noTensors) {
                out.printf("  %-" + nameWidth + "s  %-6s  %-24s  %12d%n", t.name(), t.type(), shape(t), t.byteSize());
            }
        }
        out.printf("%ntotals:   %d tensors, %d parameters (%s), %d bytes of tensor data (%s)%n",
                gguf.tensors().size(), elements, Sizes.count(elements), bytes, Sizes.bytes(bytes));
        if (!byType.isEmpty()) {
            out.printf("  by type: %s%n", byType.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()[0] + " tensors " + Sizes.bytes(e.getValue()[2]))
                    .collect(Collectors.joining(", ")));
        }
    }

    static String shape(TensorInfo t) {
        return Arrays.stream(t.shape()).mapToObj(Long::toString).collect(Collectors.joining(" x ", "[", "]"));
    }

    private void printBackends(PrintWriter out, ModelFile model) {
        out.printf("%nbackends:%n");
        Backends backends = Backends.discover();
        var found = backends.all();
        if (found.isEmpty()) {
            out.printf("  none found on the class path%n");
            return;
        }
        int w = found.stream().mapToInt(f -> f.id().length()).max().orElse(4);
        for (BackendInfo f : found) {
            String verdict;
            if (!f.availability().available()) {
                verdict = "unavailable here: " + f.availability().reason();
            } else if (model == null) {
                verdict = "cannot run: not a runnable model";
            } else {
                try {
                    Availability a = backends.get(f.id()).supports(model);
                    verdict = (a.available() ? "can run" : "cannot run")
                            + (a.reason() == null || a.reason().isBlank() ? "" : ": " + a.reason());
                } catch (RuntimeException | LinkageError e) {
                    verdict = "cannot run: " + Mixtral4jCli.oneLine(e);
                }
            }
            out.printf("  %-" + w + "s  %s%n", f.id(), verdict);
        }
    }
}
