package dev.mixtral4j.fakes;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.AbstractBackendModel;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.SessionOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A deterministic backend for tests: the logits after a sequence are a pure function of the
 * whole sequence (so two fake backends agree, and a session that lost track of its history or
 * its positions produces different tokens), computed by a {@link LogitsFunction}. Sessions check
 * start positions, token ids and the context exactly as the SPI demands, and record every
 * forward call so tests can see chunking and prefix reuse.
 */
public final class FakeBackend implements Backend {

    /** Logits for the next token after {@code history} (never empty). */
    @FunctionalInterface
    public interface LogitsFunction {
        float[] next(int[] history, int vocabSize);
    }

    /** One forward call: where it started, how many tokens, on which backend. */
    public record ForwardCall(String backend, int start, int length) {
    }

    private final String id;
    private final LogitsFunction function;
    private final List<ForwardCall> calls = Collections.synchronizedList(new ArrayList<>());
    private final List<FakeModel> models = Collections.synchronizedList(new ArrayList<>());
    private volatile long delayNanosPerForward;
    private volatile String refusal;
    private final java.util.concurrent.atomic.AtomicInteger supportsCalls = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger loadCalls = new java.util.concurrent.atomic.AtomicInteger();

    public FakeBackend(String id) {
        this(id, FakeBackend::hashLogits);
    }

    public FakeBackend(String id, LogitsFunction function) {
        this.id = id;
        this.function = function;
    }

    /**
     * Pseudo-random logits fixed by the whole history: a rolling hash of the tokens and their
     * positions picks a favourite token with a clear margin, the rest is hashed noise.
     */
    public static float[] hashLogits(int[] history, int vocabSize) {
        long h = 0x51ED270B27A1F00DL;
        for (int i = 0; i < history.length; i++) {
            h = (h ^ (history[i] + 31L * i)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
        }
        float[] logits = new float[vocabSize];
        for (int v = 0; v < vocabSize; v++) {
            long x = (h + v) * 0xBF58476D1CE4E5B9L;
            x ^= x >>> 31;
            logits[v] = (x >>> 40) / (float) (1L << 24);
        }
        logits[(int) Long.remainderUnsigned(h, vocabSize)] += 3f;
        return logits;
    }

    public List<ForwardCall> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public void clearCalls() {
        calls.clear();
    }

    /** Makes every forward call take at least this long (for cancellation tests). */
    public void setDelayMillis(long millis) {
        this.delayNanosPerForward = millis * 1_000_000L;
    }

    public List<FakeModel> models() {
        return List.copyOf(models);
    }

    @Override
    public BackendProvider provider() {
        return new TestBackendProvider(id, 0, () -> Availability.yes("in-test"), () -> this);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String description() {
        return "fake backend " + id;
    }

    @Override
    public Availability availability() {
        return Availability.yes("in-test");
    }

    @Override
    public List<DeviceInfo> devices() {
        return List.of(new DeviceInfo(0, "test device", -1, -1));
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return Set.of(GgmlType.F32);
    }

    @Override
    public Availability supports(ModelFile model) {
        supportsCalls.incrementAndGet();
        String r = refusal;
        return r == null ? Availability.yes("anything") : Availability.no(r);
    }

    /** How often {@link #supports} and {@link #load} were called. */
    public int supportsCalls() {
        return supportsCalls.get();
    }

    public int loadCalls() {
        return loadCalls.get();
    }

    /** Makes {@link #supports} and {@link #load} refuse every file with this reason (null: accept again). */
    public void refuse(String reason) {
        this.refusal = reason;
    }

    @Override
    public FakeModel load(ModelFile model, BackendOptions options) {
        loadCalls.incrementAndGet();
        String r = refusal;
        if (r != null) {
            throw new ModelFormatException(r);
        }
        FakeModel m = new FakeModel(model.config());
        models.add(m);
        return m;
    }

    public final class FakeModel extends AbstractBackendModel {
        private final List<FakeSession> sessions = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean released;

        FakeModel(ModelConfig config) {
            super(FakeBackend.this, config, "fake model on " + id);
        }

        /** True once the base class has closed the sessions and released the model. */
        public boolean closed() {
            return released;
        }

        public List<FakeSession> sessions() {
            return List.copyOf(sessions);
        }

        @Override
        protected FakeSession openSession(SessionOptions options) {
            FakeSession s = new FakeSession(this, options);
            sessions.add(s);
            return s;
        }

        @Override
        protected void release() {
            for (FakeSession s : sessions()) {
                if (!s.closed()) {
                    throw new AssertionError("model released before its session on " + id);
                }
            }
            released = true;
        }
    }

    /** Checks, batching and positions are the SPI base class's; this computes and records. */
    public final class FakeSession extends AbstractBackendSession {
        private final SessionOptions options;
        private int[] tokens = new int[0];

        FakeSession(FakeModel model, SessionOptions options) {
            super(options.contextLength(), model.config().vocabSize(), options.batchSize());
            this.options = options;
        }

        public boolean closed() {
            return isClosed();
        }

        public SessionOptions options() {
            return options;
        }

        @Override
        protected void computeBatch(int[] input, int startPosition, int rowsWanted, float[] logits, int offset) {
            if (delayNanosPerForward > 0) {
                long end = System.nanoTime() + delayNanosPerForward;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
            calls.add(new ForwardCall(id, startPosition, input.length));
            int vocab = vocabSize();
            int[] next = Arrays.copyOf(tokens, startPosition + input.length);
            System.arraycopy(input, 0, next, startPosition, input.length);
            tokens = next;
            for (int r = 0; r < rowsWanted; r++) {
                int end = tokens.length - rowsWanted + r + 1;
                System.arraycopy(function.next(Arrays.copyOf(tokens, end), vocab), 0, logits, offset + r * vocab, vocab);
            }
        }

        @Override
        protected void discard(int from) {
            tokens = Arrays.copyOf(tokens, from);
        }

        @Override
        protected void release() {
        }

        /** What this session's cache holds. */
        public int[] cached() {
            return tokens.clone();
        }
    }
}
