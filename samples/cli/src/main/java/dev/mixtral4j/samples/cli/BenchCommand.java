package dev.mixtral4j.samples.cli;

import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.PrivateFolders;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.routing.RoutingListener;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code mixtral4j bench}: prompt processing and token generation speed of one or more backends
 * on the same file, measured the way llama-bench measures them: {@code -p} random tokens in one
 * forward call from an empty cache, then {@code -n} tokens generated one at a time from an empty
 * cache. Each test has one session of its own size, warmed up once, then cleared and run
 * {@code -r} times, as llama-bench reuses one context per test. With {@code --sequences N,...}
 * it also measures N sequences generating {@code -n} tokens each, decoded together
 * ({@link BackendModel#forwardEach}: one step per token for all N), and reports aggregate and
 * per-sequence tokens/s. Backends are reached through the SPI only.
 */
@Command(name = "bench",
        description = {"Measures prompt processing (pp) and generation (tg) tokens/s per backend, side by side.",
                "pp: -p random tokens in one forward call; tg: -n tokens one at a time; both from an empty "
                        + "cache, after a warm-up, repeated -r times (mean and spread reported)."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model file (or use --synthetic).")
    Path model;

    @Option(names = "--synthetic", paramLabel = "PRESET",
            description = "Benchmark a generated model instead: mixtral-8x7b, mistral-7b or tiny-moe "
                    + "(written once, cached under --cache-dir).")
    String synthetic;

    @Option(names = "--layers", defaultValue = "2", paramLabel = "N",
            description = "Layers of the synthetic model (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--type", defaultValue = "Q4_0", paramLabel = "TYPE",
            description = "Weight type of the synthetic model: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, "
                    + "Q2_K..Q6_K, or the llama.cpp mixtures Q4_K_M, IQ4_XS, IQ4_NL (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where synthetic models are cached (default: ~/.cache/mixtral4j/synthetic).")
    Path cacheDir;

    @Option(names = "--backends", defaultValue = "java", split = ",", paramLabel = "ID",
            description = "Comma-separated backend ids (default: ${DEFAULT-VALUE}); the first is the "
                    + "numerator of the ratios.")
    List<String> backends;

    @Option(names = "-p", defaultValue = "512", paramLabel = "N", description = "Prompt tokens (default: ${DEFAULT-VALUE}; 0 skips).")
    int promptTokens;

    @Option(names = "-n", defaultValue = "128", paramLabel = "N", description = "Generated tokens (default: ${DEFAULT-VALUE}; 0 skips).")
    int genTokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", paramLabel = "N",
            description = "Measured runs of each test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--batch", defaultValue = "512", paramLabel = "N",
            description = "Most tokens per forward call inside the backend (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--kv-type", paramLabel = "F16|F32", description = "KV cache type (default: the backend's).")
    GgmlType kvType;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "A backend option, repeatable: e.g. llamacpp.flash-attn=off.")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--sequences", split = ",", paramLabel = "N",
            description = "Also measure N sequences generating -n tokens each, decoded together (one step for all N "
                    + "per token), for each N listed, e.g. 1,2,4,8: aggregate and per-sequence tokens/s.")
    List<Integer> sequences;

    @Option(names = "--json", description = "One JSON object per backend per line instead of the table.")
    boolean json;

    @Option(names = "--bandwidth",
            description = "Also measure this machine's memory read bandwidth (STREAM-like: threads summing a 512 MiB "
                    + "buffer) at 1 thread and at -t threads, and report generation as a share of it.")
    boolean bandwidth;

    /** Whether the sessions measured have a routing listener attached. */
    enum RoutingMode { OFF, ON, BOTH }

    @Option(names = "--routing-listener", defaultValue = "OFF", paramLabel = "off|on|both",
            description = "Attach a routing listener (it only counts the traces) to the sessions measured; both: "
                    + "every test runs with and without one, alternated, reported as ID and ID+routing "
                    + "(default: ${DEFAULT-VALUE}).")
    RoutingMode routingListener;

    @Spec
    CommandSpec spec;

    /** One backend's figures. */
    record Result(String backend, String model, String type, int threads, int ppTokens, double ppTps, double ppSd,
                  int tgTokens, double tgTps, double tgSd, double ppCpuTps, double tgCpuTps) {
    }

    /**
     * One backend's figures for {@code sequences} sequences decoded together: {@code tokens}
     * generated per sequence, aggregate tokens/s (all sequences) and its spread, tokens per
     * CPU-second (aggregate).
     */
    record SequencesResult(String backend, int sequences, int tokens, double aggregateTps, double aggregateSd,
                           double cpuTps) {
        double perSequenceTps() {
            return aggregateTps / sequences;
        }
    }

    private final List<SequencesResult> sequenceResults = new ArrayList<>();

    /**
     * CPU seconds this process has used (all threads, native ones included), or -1 where
     * /proc is absent. Tokens per CPU-second is the figure that survives a machine shared with
     * other busy processes, where tokens per wall-second mostly measures the scheduler.
     */
    static double processCpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of proc(5) (utime, stime) are 12 and 13 after the command name
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public Integer call() throws IOException {
        if ((model == null) == (synthetic == null)) {
            throw new UsageException("give exactly one of --model FILE and --synthetic PRESET");
        }
        if (promptTokens < 0 || genTokens < 0 || promptTokens + genTokens == 0 || repetitions < 1) {
            throw new UsageException("need -p >= 0, -n >= 0 (not both 0) and -r >= 1");
        }
        if (sequences != null) {
            if (genTokens == 0) {
                throw new UsageException("--sequences measures generation: it needs -n > 0");
            }
            if (routingListener != RoutingMode.OFF) {
                throw new UsageException("--sequences is measured without routing listeners: drop --routing-listener");
            }
            for (int n : sequences) {
                if (n < 1 || n > 256) {
                    throw new UsageException("--sequences takes counts from 1 to 256, not " + n);
                }
            }
        }
        Path file = model != null ? model : syntheticModel();
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PrintWriter out = spec.commandLine().getOut();
        List<Result> results = new ArrayList<>();
        long trafficPerToken;
        try (ModelFile mf = ModelFile.open(file)) {
            trafficPerToken = DecodeTraffic.bytesPerToken(mf);
            String typeName = synthetic != null ? type.toUpperCase(Locale.ROOT) : describeType(mf);
            if (!json) {
                out.printf("model %s: %s, %d layers, %.2f GiB; threads %d, pp %d, tg %d, %d repetitions%n",
                        file.getFileName(), typeName, mf.config().blockCount(),
                        Files.size(file) / (double) (1L << 30), nThreads, promptTokens, genTokens, repetitions);
                out.flush();
            }
            for (String id : backends) {
                Backend be = Backends.discover().select(id.trim());
                if (routingListener != RoutingMode.OFF && !be.supportsRoutingTraces()) {
                    throw new UsageException("backend '" + be.id() + "' does not report routing traces");
                }
                for (Result r : measure(be, mf, file, typeName, nThreads)) {
                results.add(r);
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("backend", r.backend());
                    m.put("model", r.model());
                    m.put("type", r.type());
                    m.put("threads", r.threads());
                    m.put("pp_tokens", r.ppTokens());
                    m.put("pp_tps", round(r.ppTps()));
                    m.put("tg_tokens", r.tgTokens());
                    m.put("tg_tps", round(r.tgTps()));
                    m.put("pp_tokens_per_cpu_s", round(r.ppCpuTps()));
                    m.put("tg_tokens_per_cpu_s", round(r.tgCpuTps()));
                    m.put("weight_bytes_per_token", trafficPerToken);
                    m.put("tg_gb_per_s", round(r.tgTps() * trafficPerToken / 1e9));
                    out.println(Json.write(m));
                    out.flush();
                }
                }
            }
        }
        if (json) {
            for (SequencesResult r : sequenceResults) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("backend", r.backend());
                m.put("sequences", r.sequences());
                m.put("tg_tokens", r.tokens());
                m.put("aggregate_tps", round(r.aggregateTps()));
                m.put("per_sequence_tps", round(r.perSequenceTps()));
                m.put("aggregate_tokens_per_cpu_s", round(r.cpuTps()));
                out.println(Json.write(m));
            }
        } else {
            printTable(out, results, trafficPerToken);
            printSequences(out);
        }
        if (bandwidth) {
            printBandwidth(out, results, trafficPerToken, nThreads);
        }
        out.flush();
        return Mixtral4jCli.OK;
    }

    /**
     * The figures of one backend: one result, or with {@code --routing-listener both} two (without
     * and with a listener), measured on two sessions whose repetitions alternate.
     */
    private List<Result> measure(Backend be, ModelFile mf, Path file, String typeName, int nThreads) {
        int vocab = mf.config().vocabSize();
        int trained = mf.config().contextLength();
        int ctx = Math.min(trained, Math.max(1, Math.max(promptTokens, genTokens)));
        LoadOptions.Builder ob = LoadOptions.builder().backend(be.id()).threads(nThreads).batchSize(batch)
                .contextLength(ctx).kvCacheType(kvType);
        backendOptions.forEach(ob::option);
        LoadOptions options = ob.build();
        Random rnd = new Random(1234);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = rnd.nextInt(vocab);
        }
        boolean[] listened = switch (routingListener) {
            case OFF -> new boolean[] {false};
            case ON -> new boolean[] {true};
            case BOTH -> new boolean[] {false, true};
        };
        int variants = listened.length;
        double[][] pp = new double[variants][repetitions];
        double[][] tg = new double[variants][repetitions];
        double[] ppCpu = new double[variants];
        double[] tgCpu = new double[variants];
        long[] traces = new long[1];
        RoutingListener counter = trace -> traces[0]++;
        int runs = ((promptTokens > 0 ? repetitions + 1 : 0) + (genTokens > 0 ? repetitions + 1 : 0)) * variants
                + (sequences == null ? 0 : sequences.size() * (repetitions + 1));
        try (Progress bar = Progress.start(spec, "bench " + be.id(), runs, null, 1);
             BackendModel bm = be.load(mf, options)) {
            // As llama-bench does: each test has one session sized to that test (n_ctx = p for pp,
            // n for tg), warmed up once, then cleared between repetitions. A fresh session per
            // repetition would time first-touch page faults of new compute buffers (llama.cpp's
            // pp512 buffers run to hundreds of MiB), which llama-bench never counts.
            if (promptTokens > 0) {
                int ppCtx = Math.min(trained, promptTokens);
                List<BackendSession> sessions = sessions(bm, new SessionOptions(ppCtx, kvType, batch), listened, counter);
                try {
                    for (BackendSession s : sessions) {
                        s.forward(prompt, 0, false); // warm-up: the whole test once, like llama-bench
                        bar.step();
                    }
                    for (int r = 0; r < repetitions; r++) {
                        for (int k = 0; k < variants; k++) {
                            // alternate which variant goes first, so neither always follows the other
                            int v = (r % 2 == 0) ? k : variants - 1 - k;
                            BackendSession s = sessions.get(v);
                            s.truncate(0);
                            double c0 = processCpuSeconds();
                            long t0 = System.nanoTime();
                            s.forward(prompt, 0, false);
                            pp[v][r] = promptTokens / ((System.nanoTime() - t0) / 1e9);
                            ppCpu[v] += processCpuSeconds() - c0;
                            bar.step();
                            bar.message(String.format(Locale.ROOT, "pp %.1f t/s", pp[v][r]));
                        }
                    }
                } finally {
                    sessions.forEach(BackendSession::close);
                }
            }
            if (genTokens > 0) {
                int tgCtx = Math.min(trained, genTokens);
                List<BackendSession> sessions = sessions(bm, new SessionOptions(tgCtx, kvType, batch), listened, counter);
                try {
                    for (BackendSession s : sessions) {
                        // warm-up: a few decode steps (JIT compilers of Java backends need more than one)
                        for (int i = 0; i < Math.min(8, genTokens); i++) {
                            s.forward(new int[] {1 + i}, i, false);
                        }
                    }
                    for (int k = 0; k < variants; k++) {
                        bar.step();
                    }
                    for (int r = 0; r < repetitions; r++) {
                        for (int k = 0; k < variants; k++) {
                            int v = (r % 2 == 0) ? k : variants - 1 - k;
                            BackendSession s = sessions.get(v);
                            s.truncate(0);
                            int token = 1;
                            double c0 = processCpuSeconds();
                            long t0 = System.nanoTime();
                            for (int i = 0; i < genTokens; i++) {
                                token = s.forward(new int[] {token}, i, false).argmax(0);
                            }
                            tg[v][r] = genTokens / ((System.nanoTime() - t0) / 1e9);
                            tgCpu[v] += processCpuSeconds() - c0;
                            bar.step();
                            bar.message(String.format(Locale.ROOT, "tg %.1f t/s", tg[v][r]));
                        }
                    }
                } finally {
                    sessions.forEach(BackendSession::close);
                }
                if (sequences != null) {
                    measureSequences(be, bm, new SessionOptions(tgCtx, kvType, batch), bar);
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (int v = 0; v < variants; v++) {
            results.add(new Result(be.id() + (listened[v] ? "+routing" : ""), file.getFileName().toString(), typeName,
                    nThreads, promptTokens, mean(pp[v]), sd(pp[v]), genTokens, mean(tg[v]), sd(tg[v]),
                    ppCpu[v] > 0 ? (double) promptTokens * repetitions / ppCpu[v] : 0,
                    tgCpu[v] > 0 ? (double) genTokens * repetitions / tgCpu[v] : 0));
        }
        if (routingListener != RoutingMode.OFF && traces[0] == 0) {
            throw new IllegalStateException("backend '" + be.id() + "' reported no routing with a listener attached");
        }
        return results;
    }

    /**
     * N sequences generating -n tokens each, decoded together: per step one {@link
     * BackendModel#forwardEach} over all N sessions, each fed the argmax of its previous row (every
     * sequence starts from its own token, so they differ). Each N has its own sessions, warmed up
     * once; the repetitions run every N in turn, in alternating order, so that drift of a shared
     * machine falls on all of them alike.
     */
    private void measureSequences(Backend be, BackendModel bm, SessionOptions options, Progress bar) {
        int groups = sequences.size();
        List<List<BackendSession>> sets = new ArrayList<>();
        double[][] tps = new double[groups][repetitions];
        double[] cpu = new double[groups];
        try {
            for (int n : sequences) {
                List<BackendSession> set = new ArrayList<>();
                sets.add(set);
                for (int i = 0; i < n; i++) {
                    set.add(bm.newSession(options));
                }
                decodeTogether(bm, set, Math.min(8, genTokens));
                bar.step();
            }
            for (int r = 0; r < repetitions; r++) {
                for (int k = 0; k < groups; k++) {
                    int g = (r % 2 == 0) ? k : groups - 1 - k;
                    List<BackendSession> set = sets.get(g);
                    for (BackendSession s : set) {
                        s.truncate(0);
                    }
                    double c0 = processCpuSeconds();
                    long t0 = System.nanoTime();
                    decodeTogether(bm, set, genTokens);
                    tps[g][r] = (double) set.size() * genTokens / ((System.nanoTime() - t0) / 1e9);
                    cpu[g] += processCpuSeconds() - c0;
                    bar.step();
                    bar.message(String.format(Locale.ROOT, "%d seq: %.1f t/s", set.size(), tps[g][r]));
                }
            }
        } finally {
            sets.forEach(set -> set.forEach(BackendSession::close));
        }
        for (int g = 0; g < groups; g++) {
            int n = sequences.get(g);
            sequenceResults.add(new SequencesResult(be.id(), n, genTokens, mean(tps[g]), sd(tps[g]),
                    cpu[g] > 0 ? (double) n * genTokens * repetitions / cpu[g] : 0));
        }
    }

    /** {@code steps} tokens in each session from an empty cache, all sessions in one step per token. */
    private static void decodeTogether(BackendModel bm, List<BackendSession> sessions, int steps) {
        int vocab = bm.config().vocabSize();
        int[] next = new int[sessions.size()];
        for (int i = 0; i < next.length; i++) {
            next[i] = (1 + i) % vocab;
        }
        for (int step = 0; step < steps; step++) {
            dev.mixtral4j.spi.Logits logits = bm.forwardEach(sessions, next);
            for (int i = 0; i < next.length; i++) {
                next[i] = logits.argmax(i);
            }
        }
    }

    private void printSequences(PrintWriter out) {
        if (sequenceResults.isEmpty()) {
            return;
        }
        out.printf("%nsequences decoded together (tg%d each, one step for all per token):%n", genTokens);
        out.printf("%-16s %9s %20s %18s %14s %12s%n", "backend", "sequences", "aggregate t/s", "per-sequence t/s",
                "t/cpu-s", "vs 1 seq");
        for (SequencesResult r : sequenceResults) {
            SequencesResult one = null;
            for (SequencesResult o : sequenceResults) {
                if (o.backend().equals(r.backend()) && o.sequences() == 1) {
                    one = o;
                }
            }
            out.printf("%-16s %9d %20s %18s %14s %12s%n", r.backend(), r.sequences(),
                    cell(r.aggregateTps(), r.aggregateSd(), r.tokens()),
                    String.format(Locale.ROOT, "%.2f", r.perSequenceTps()), plain(r.cpuTps()),
                    one == null ? "-" : ratio(r.aggregateTps(), one.aggregateTps()));
        }
    }

    /** One session per variant, those marked in {@code listened} with {@code listener} attached. */
    private static List<BackendSession> sessions(BackendModel bm, SessionOptions options, boolean[] listened,
                                                 RoutingListener listener) {
        List<BackendSession> sessions = new ArrayList<>();
        try {
            for (boolean l : listened) {
                BackendSession s = bm.newSession(options);
                sessions.add(s);
                if (l) {
                    s.routingListener(listener);
                }
            }
        } catch (RuntimeException | Error e) {
            sessions.forEach(BackendSession::close);
            throw e;
        }
        return sessions;
    }

    private void printTable(PrintWriter out, List<Result> results, long trafficPerToken) {
        out.printf("%-16s %18s %18s %14s %14s %9s%n", "backend", "pp" + promptTokens + " t/s", "tg" + genTokens + " t/s",
                "pp t/cpu-s", "tg t/cpu-s", "tg GB/s");
        for (Result r : results) {
            out.printf("%-16s %18s %18s %14s %14s %9s%n", r.backend(), cell(r.ppTps(), r.ppSd(), promptTokens),
                    cell(r.tgTps(), r.tgSd(), genTokens), plain(r.ppCpuTps()), plain(r.tgCpuTps()),
                    plain(r.tgTps() * trafficPerToken / 1e9));
        }
        Result first = results.getFirst();
        for (Result other : results.subList(1, results.size())) {
            out.printf("ratio %s/%s: pp %s, tg %s (per CPU-second: pp %s, tg %s)%n", first.backend(), other.backend(),
                    ratio(first.ppTps(), other.ppTps()), ratio(first.tgTps(), other.tgTps()),
                    ratio(first.ppCpuTps(), other.ppCpuTps()), ratio(first.tgCpuTps(), other.tgCpuTps()));
        }
    }

    /**
     * The machine's read bandwidth at 1 and at {@code threads} threads, and each backend's
     * generation as a share of it (weights read per token times tokens/s).
     */
    private void printBandwidth(PrintWriter out, List<Result> results, long trafficPerToken, int threads) {
        ReadBandwidth probe = new ReadBandwidth(512L << 20);
        double one = probe.bytesPerSecond(1);
        double all = threads > 1 ? probe.bytesPerSecond(threads) : one;
        out.printf(Locale.ROOT, "weights read per generated token: %.1f MiB%n", trafficPerToken / (double) (1 << 20));
        out.printf(Locale.ROOT, "read bandwidth (STREAM-like sum over %d MiB, best of 5): 1 thread %.1f GB/s",
                probe.bufferBytes() >> 20, one / 1e9);
        if (threads > 1) {
            out.printf(Locale.ROOT, ", %d threads %.1f GB/s", threads, all / 1e9);
        }
        out.println();
        if (genTokens > 0) {
            for (Result r : results) {
                double achieved = r.tgTps() * trafficPerToken;
                out.printf(Locale.ROOT, "%s tg: %.1f GB/s, %.0f%% of the %d-thread read bandwidth%n", r.backend(),
                        achieved / 1e9, 100 * achieved / all, threads);
            }
        }
    }

    private static String cell(double mean, double sd, int tokens) {
        return tokens == 0 ? "-" : String.format(Locale.ROOT, "%.2f ± %.2f", mean, sd);
    }

    private static String plain(double v) {
        return v > 0 ? String.format(Locale.ROOT, "%.2f", v) : "-";
    }

    private static String ratio(double a, double b) {
        return a > 0 && b > 0 ? String.format(Locale.ROOT, "%.2fx", a / b) : "-";
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double sd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    /** Writes the synthetic model once; later runs reuse the cached file. */
    private Path syntheticModel() throws IOException {
        Path dir = cacheDir != null ? cacheDir : PrivateFolders.cacheFolder("synthetic");
        String t = type.toUpperCase(Locale.ROOT);
        Path target = dir.resolve(synthetic.toLowerCase(Locale.ROOT) + "-" + layers + "L-" + t + ".gguf");
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(dir);
        PrintWriter err = spec.commandLine().getErr();
        SyntheticModel.Builder b;
        try {
            b = SyntheticModel.preset(synthetic).layers(layers).fileType(t);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (!Progress.quiet(spec)) {
            err.printf("writing synthetic model %s (%.2f GiB), once...%n", target, b.tensorBytes() / (double) (1L << 30));
            err.flush();
        }
        return SyntheticModelWriter.write(spec, b, target);
    }

    /** The file's llama.cpp file type name, else its most common weight type by bytes. */
    static String describeType(ModelFile mf) {
        long ftype = mf.metadata().findLong("general.file_type").orElse(-1L);
        String named = switch ((int) ftype) {
            case 0 -> "F32";
            case 1 -> "F16";
            case 2 -> "Q4_0";
            case 3 -> "Q4_1";
            case 7 -> "Q8_0";
            case 8 -> "Q5_0";
            case 9 -> "Q5_1";
            case 10 -> "Q2_K";
            case 11 -> "Q3_K_S";
            case 12 -> "Q3_K_M";
            case 13 -> "Q3_K_L";
            case 14 -> "Q4_K_S";
            case 15 -> "Q4_K_M";
            case 16 -> "Q5_K_S";
            case 17 -> "Q5_K_M";
            case 18 -> "Q6_K";
            case 25 -> "IQ4_NL";
            case 30 -> "IQ4_XS";
            case 32 -> "BF16";
            default -> null;
        };
        if (named != null) {
            return named;
        }
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (TensorInfo t : mf.gguf().tensors()) {
            bytes.merge(t.type(), t.byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("?");
    }
}
