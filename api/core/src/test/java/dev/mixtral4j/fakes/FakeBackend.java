package dev.mixtral4j.fakes;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.Logits;
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

    public final class FakeModel implements BackendModel {
        private final ModelConfig config;
        private final List<FakeSession> sessions = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean closed;

        FakeModel(ModelConfig config) {
            this.config = config;
        }

        public boolean closed() {
            return closed;
        }

        public List<FakeSession> sessions() {
            return List.copyOf(sessions);
        }

        @Override
        public Backend backend() {
            return FakeBackend.this;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public FakeSession newSession(SessionOptions options) {
            if (closed) {
                throw new IllegalStateException("model closed");
            }
            FakeSession s = new FakeSession(this, options);
            sessions.add(s);
            return s;
        }

        @Override
        public void close() {
            for (FakeSession s : sessions()) {
                if (!s.closed) {
                    throw new AssertionError("model closed before its session on " + id);
                }
            }
            closed = true;
        }
    }

    public final class FakeSession implements BackendSession {
        private final FakeModel model;
        private final SessionOptions options;
        private int[] tokens = new int[0];
        private volatile boolean closed;

        FakeSession(FakeModel model, SessionOptions options) {
            this.model = model;
            this.options = options;
        }

        public boolean closed() {
            return closed;
        }

        public SessionOptions options() {
            return options;
        }

        @Override
        public int contextLength() {
            return options.contextLength();
        }

        @Override
        public int position() {
            return tokens.length;
        }

        @Override
        public Logits forward(int[] input, int startPosition, boolean allLogits) {
            if (closed || model.closed) {
                throw new IllegalStateException("session closed");
            }
            if (input.length == 0) {
                throw new IllegalArgumentException("empty input");
            }
            if (startPosition < 0 || startPosition > tokens.length) {
                throw new IllegalArgumentException("start position " + startPosition + " but " + tokens.length + " cached");
            }
            if (startPosition + input.length > contextLength()) {
                throw new IllegalArgumentException("context overflow: " + (startPosition + input.length) + " > " + contextLength());
            }
            if (input.length > options.batchSize()) {
                throw new IllegalArgumentException("batch of " + input.length + " exceeds " + options.batchSize());
            }
            int vocab = model.config.vocabSize();
            for (int t : input) {
                if (t < 0 || t >= vocab) {
                    throw new IllegalArgumentException("token id " + t + " outside vocabulary of " + vocab);
                }
            }
            if (delayNanosPerForward > 0) {
                long end = System.nanoTime() + delayNanosPerForward;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
            calls.add(new ForwardCall(id, startPosition, input.length));
            int[] next = Arrays.copyOf(tokens, startPosition + input.length);
            System.arraycopy(input, 0, next, startPosition, input.length);
            tokens = next;
            int rows = allLogits ? input.length : 1;
            float[] data = new float[rows * vocab];
            for (int r = 0; r < rows; r++) {
                int end = allLogits ? startPosition + r + 1 : tokens.length;
                System.arraycopy(function.next(Arrays.copyOf(tokens, end), vocab), 0, data, r * vocab, vocab);
            }
            return new Logits(rows, vocab, data);
        }

        @Override
        public void truncate(int length) {
            if (length < 0 || length > tokens.length) {
                throw new IllegalArgumentException("cannot truncate " + tokens.length + " tokens to " + length);
            }
            tokens = Arrays.copyOf(tokens, length);
        }

        /** What this session's cache holds. */
        public int[] cached() {
            return tokens.clone();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
