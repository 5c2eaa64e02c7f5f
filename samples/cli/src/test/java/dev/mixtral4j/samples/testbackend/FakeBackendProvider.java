package dev.mixtral4j.samples.testbackend;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.SpiVersion;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.BackendUnavailableException;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.ProgressListener;
import dev.mixtral4j.spi.SessionOptions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A test-only backend whose "logits" are a cheap deterministic function of the whole token
 * history, so CLI plumbing (the eval file layout, backend selection, listing) can be tested
 * without a real forward pass. Available only while {@link #ENABLE} is "true", so it never
 * disturbs tests that compare real backends.
 */
public final class FakeBackendProvider implements BackendProvider {
    public static final String ID = "fake";
    public static final String ENABLE = "mixtral4j.samples.fakeBackend";
    /**
     * What the fake was asked to do, in order ("session ctx=C", "forward n=N at P all=B",
     * "truncate L"), so a test can check how a command drives a backend. Tests clear it first.
     */
    public static final List<String> CALLS = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The KV type of the last session opened and the backend options of its load ("kv=F32 options={...}"). */
    public static volatile String LAST_SESSION_SETTINGS = "";
    /** What a load reports to the caller's {@link ProgressListener}: this task, 0 to 3 MiB in three steps. */
    public static final String UPLOAD_TASK = "fake upload";
    public static final long UPLOAD_BYTES = 3L << 20;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "test-only fake backend";
    }

    @Override
    public int rank() {
        return -1000;
    }

    @Override
    public int spiVersion() {
        return SpiVersion.CURRENT;
    }

    @Override
    public Availability availability() {
        return Boolean.getBoolean(ENABLE) ? Availability.yes("enabled for this test")
                : Availability.no("test fake, enabled with -D" + ENABLE + "=true");
    }

    @Override
    public Backend backend() {
        if (!availability().available()) {
            throw new BackendUnavailableException(availability().reason());
        }
        return new FakeBackend(this);
    }

    /** The logit of {@code token} after a history whose running hash is {@code state}. */
    public static float logit(long state, int position, int token) {
        return (float) Math.sin(0.001 * token * (1 + (state % 97)) + 0.5 * position);
    }

    /** Running hash of the history after one more token. */
    public static long next(long state, int token) {
        return (state * 31 + token + 7) % 1_000_003;
    }

    static final class FakeBackend implements Backend {
        private final BackendProvider provider;

        FakeBackend(BackendProvider provider) {
            this.provider = provider;
        }

        @Override
        public BackendProvider provider() {
            return provider;
        }

        @Override
        public Availability availability() {
            return Availability.yes("");
        }

        @Override
        public List<DeviceInfo> devices() {
            return List.of(new DeviceInfo(0, "nothing at all", -1, -1));
        }

        @Override
        public Set<GgmlType> supportedTensorTypes() {
            return EnumSet.allOf(GgmlType.class);
        }

        @Override
        public Availability supports(ModelFile model) {
            return Availability.yes("anything goes");
        }

        @Override
        public BackendModel load(ModelFile model, BackendOptions loadOptions) {
            ModelConfig config = model.config();
            // A pretend upload in three steps, reported as a GPU backend reports its weights.
            ProgressListener progress = ProgressListener.current();
            for (long done = 0; done <= UPLOAD_BYTES; done += UPLOAD_BYTES / 3) {
                progress.progress(UPLOAD_TASK, done, UPLOAD_BYTES);
            }
            Backend self = this;
            return new BackendModel() {
                @Override
                public Backend backend() {
                    return self;
                }

                @Override
                public ModelConfig config() {
                    return config;
                }

                @Override
                public BackendSession newSession(SessionOptions options) {
                    CALLS.add("session ctx=" + options.contextLength());
                    LAST_SESSION_SETTINGS = "kv=" + options.kvCacheType() + " options=" + loadOptions.extra();
                    return new FakeSession(config.vocabSize(), options.contextLength());
                }

                @Override
                public void close() {
                }
            };
        }
    }

    static final class FakeSession implements BackendSession {
        private final int vocab;
        private final int context;
        private final List<Integer> history = new ArrayList<>();

        FakeSession(int vocab, int context) {
            this.vocab = vocab;
            this.context = context;
        }

        @Override
        public int contextLength() {
            return context;
        }

        @Override
        public int position() {
            return history.size();
        }

        @Override
        public Logits forward(int[] tokens, int startPosition, boolean allLogits) {
            if (tokens.length == 0 || startPosition > history.size() || startPosition + tokens.length > context) {
                throw new IllegalArgumentException("bad forward call: " + tokens.length + " tokens at " + startPosition);
            }
            for (int t : tokens) {
                if (t < 0 || t >= vocab) {
                    throw new IllegalArgumentException("token id " + t + " outside the vocabulary 0.." + (vocab - 1));
                }
            }
            CALLS.add("forward n=" + tokens.length + " at " + startPosition + " all=" + allLogits);
            truncateHistory(startPosition);
            long state = 0;
            for (int t : history) {
                state = next(state, t);
            }
            int rows = allLogits ? tokens.length : 1;
            float[] data = new float[rows * vocab];
            for (int i = 0; i < tokens.length; i++) {
                state = next(state, tokens[i]);
                history.add(tokens[i]);
                int row = allLogits ? i : (i == tokens.length - 1 ? 0 : -1);
                if (row >= 0) {
                    for (int v = 0; v < vocab; v++) {
                        data[row * vocab + v] = logit(state, startPosition + i, v);
                    }
                }
            }
            return new Logits(rows, vocab, data);
        }

        @Override
        public void truncate(int length) {
            CALLS.add("truncate " + length);
            truncateHistory(length);
        }

        private void truncateHistory(int length) {
            while (history.size() > length) {
                history.removeLast();
            }
        }

        @Override
        public void close() {
        }
    }
}
