package dev.mixtral4j.samples.cli;

import java.util.Map;
import java.util.LinkedHashMap;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.Backends;
import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mixtral4j eval}: the correctness contract every backend is checked with. Runs one
 * forward pass over exactly the given token ids (no BOS added) at positions 0..n-1 in a fresh
 * session, and writes the logits of every position as float32 little-endian, row-major: n rows
 * of n_vocab values, so the file has n * n_vocab * 4 bytes.
 */
@Command(name = "eval",
        description = {"Runs the forward pass on token ids and writes the logits (the correctness contract).",
                "Exactly the given ids are run (no BOS added) from position 0 in a fresh session; the logits of "
                        + "every position are written as float32 little-endian, one row of n_vocab values per "
                        + "position (file size = positions x n_vocab x 4 bytes)."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file.")
    Path model;

    @Option(names = {"-b", "--backend"}, defaultValue = "auto", paramLabel = "ID",
            description = "Backend id, or auto (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID",
            description = "Comma-separated token ids, e.g. 1,2,3.")
    List<Integer> tokens;

    @Option(names = "--logits-out", required = true, paramLabel = "OUT.f32",
            description = "Where to write the logits (float32 little-endian, positions x n_vocab).")
    Path logitsOut;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores).")
    Integer threads;

    @Option(names = "--kv-type", paramLabel = "F16|F32", description = "KV cache type (default: the backend's).")
    GgmlType kvType;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "A backend option, repeatable: e.g. llamacpp.flash-attn=off (exact F32 attention; its "
                    + "default flash attention accumulates in F16), llamacpp.repack=false, cuda.reserveMiB=512.")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--batch", defaultValue = "512", paramLabel = "N",
            description = "Most tokens per forward call inside the backend (default: ${DEFAULT-VALUE}).")
    int batch;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        if (ids.length == 0) {
            throw new UsageException("--tokens needs at least one token id");
        }
        InputFiles.checkWritable(logitsOut, "--logits-out");
        Backend be = Backends.discover().select(backend);
        LoadOptions.Builder options = LoadOptions.builder().backend(be.id()).batchSize(batch).kvCacheType(kvType);
        backendOptions.forEach(options::option);
        if (threads != null) {
            options.threads(threads);
        }
        Logits logits;
        try (ModelFile file = ModelFile.open(model)) {
            int ctx = Math.max(ids.length, Math.min(512, file.config().contextLength()));
            logits = run(be, file, options.contextLength(ctx).build(), ids);
        }
        long bytes = write(logits, logitsOut);
        PrintWriter out = spec.commandLine().getOut();
        List<Integer> top = new ArrayList<>();
        for (int r = 0; r < logits.rows(); r++) {
            top.add(logits.argmax(r));
        }
        out.printf("backend %s: %d positions x %d vocab, %d bytes written to %s; argmax per position %s%n",
                be.id(), logits.rows(), logits.vocabSize(), bytes, logitsOut, top);
        out.flush();
        return Mixtral4jCli.OK;
    }

    /** Loads the model on the backend and runs {@code ids} from position 0, returning every row. */
    static Logits run(Backend backend, ModelFile file, LoadOptions options, int[] ids) {
        try (BackendModel bm = backend.load(file, options);
             BackendSession session = bm.newSession(new SessionOptions(options.contextLength(),
                     options.kvCacheType(), options.batchSize()))) {
            return session.forward(ids, 0, true);
        }
    }

    /** Writes the logits as float32 little-endian, row after row; returns the bytes written. */
    static long write(Logits logits, Path out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(logits.vocabSize() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long written = 0;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            float[] data = logits.data();
            for (int r = 0; r < logits.rows(); r++) {
                buf.clear();
                buf.asFloatBuffer().put(data, r * logits.vocabSize(), logits.vocabSize());
                buf.limit(logits.vocabSize() * Float.BYTES);
                while (buf.hasRemaining()) {
                    written += ch.write(buf);
                }
            }
        }
        return written;
    }
}
