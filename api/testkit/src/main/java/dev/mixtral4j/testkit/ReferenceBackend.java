package dev.mixtral4j.testkit;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.routing.RoutingListener;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.SpiVersion;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link Backend} that runs {@link ReferenceForward}: every forward call recomputes the whole
 * sequence in double precision. Far too slow for real use; it exists so the
 * {@link BackendConformanceKit} can be exercised without a real backend, and as an obviously
 * correct engine to compare others with on tiny models.
 */
public final class ReferenceBackend implements Backend {
    private final boolean dropRoutingWeights;
    private final boolean checkTokens;
    private final boolean swapRoutingOrder;

    public ReferenceBackend() {
        this(false, true);
    }

    /** A deliberately faulty variant, to show the conformance kit catches such faults. */
    ReferenceBackend(boolean dropRoutingWeights, boolean checkTokens) {
        this(dropRoutingWeights, checkTokens, false);
    }

    /** With {@code swapRoutingOrder}, reports each token's chosen experts worst first (a faulty trace). */
    ReferenceBackend(boolean dropRoutingWeights, boolean checkTokens, boolean swapRoutingOrder) {
        this.dropRoutingWeights = dropRoutingWeights;
        this.checkTokens = checkTokens;
        this.swapRoutingOrder = swapRoutingOrder;
    }

    @Override
    public boolean supportsRoutingTraces() {
        return true;
    }

    @Override
    public BackendProvider provider() {
        ReferenceBackend self = this;
        return new BackendProvider() {
            @Override
            public String id() {
                return "reference";
            }

            @Override
            public String description() {
                return "double-precision reference forward pass (tests only)";
            }

            @Override
            public int rank() {
                return Integer.MIN_VALUE / 2;
            }

            @Override
            public int spiVersion() {
                return SpiVersion.CURRENT;
            }

            @Override
            public Availability availability() {
                return Availability.yes("always");
            }

            @Override
            public Backend backend() {
                return self;
            }
        };
    }

    @Override
    public List<DeviceInfo> devices() {
        return List.of();
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        Set<GgmlType> s = EnumSet.noneOf(GgmlType.class);
        for (GgmlType t : GgmlType.values()) {
            if (Dequantizer.supports(t)) {
                s.add(t);
            }
        }
        return s;
    }

    @Override
    public Availability supports(ModelFile model) {
        for (TensorInfo t : model.gguf().tensors()) {
            if (!Dequantizer.supports(t.type())) {
                return Availability.no("tensor " + t.name() + " has type " + t.type() + ", which has no dequantizer");
            }
        }
        try {
            model.tensors().validate();
        } catch (ModelFormatException e) {
            return Availability.no(e.getMessage());
        }
        return Availability.yes("");
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        model.tensors().validate();
        Availability a = supports(model);
        if (!a.available()) {
            throw new ModelFormatException(model.path() + ": " + a.reason());
        }
        ReferenceForward forward = new ReferenceForward(model, dropRoutingWeights);
        Backend self = this;
        // Written without the SPI base classes on purpose: an independent implementation of the
        // contract (and its faulty variants could not be built on them).
        return new BackendModel() {
            private volatile boolean closed;
            private final java.util.List<Session> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();

            @Override
            public Backend backend() {
                return self;
            }

            @Override
            public ModelConfig config() {
                return forward.config();
            }

            @Override
            public synchronized BackendSession newSession(SessionOptions options) {
                if (closed) {
                    throw new IllegalStateException("model is closed");
                }
                Session s = new Session(forward, Math.min(options.contextLength(), forward.config().contextLength()),
                        checkTokens, swapRoutingOrder);
                sessions.add(s);
                return s;
            }

            @Override
            public synchronized void close() {
                closed = true;
                sessions.forEach(Session::close);
            }
        };
    }

    private static final class Session implements BackendSession {
        private final ReferenceForward forward;
        private final int context;
        private int[] tokens = new int[0];
        private final boolean checkTokens;
        private final boolean swapRoutingOrder;
        private volatile RoutingListener routingListener;
        private volatile boolean closed;

        Session(ReferenceForward forward, int context, boolean checkTokens, boolean swapRoutingOrder) {
            this.forward = forward;
            this.context = context;
            this.checkTokens = checkTokens;
            this.swapRoutingOrder = swapRoutingOrder;
        }

        @Override
        public void routingListener(RoutingListener listener) {
            this.routingListener = listener;
        }

        /** The routing of positions {@code [from, all.length)} of the last reference run. */
        private RoutingTrace trace(int[] all, int from, boolean probabilities) {
            ReferenceForward.Routing r = forward.lastRouting();
            ModelConfig c = forward.config();
            int k = c.expertUsedCount();
            RoutingTrace.Builder b = RoutingTrace.builder(from, Arrays.copyOfRange(all, from, all.length), c.blockCount(),
                    c.expertCount(), k, probabilities);
            for (int l = 0; l < c.blockCount(); l++) {
                for (int p = from; p < all.length; p++) {
                    for (int j = 0; j < k; j++) {
                        int rank = swapRoutingOrder ? k - 1 - j : j;
                        b.choose(l, p - from, rank, r.experts()[l][p][j], (float) r.weights()[l][p][j]);
                    }
                    if (probabilities) {
                        double[] pr = r.probabilities()[l][p];
                        float[] f = new float[pr.length];
                        for (int e = 0; e < pr.length; e++) {
                            f[e] = (float) pr[e];
                        }
                        b.probabilities(l, p - from, f, 0);
                    }
                }
            }
            return b.build();
        }

        @Override
        public int contextLength() {
            return context;
        }

        @Override
        public int position() {
            return tokens.length;
        }

        @Override
        public synchronized Logits forward(int[] input, int startPosition, boolean allLogits) {
            if (closed) {
                throw new IllegalStateException("session is closed");
            }
            if (input.length == 0) {
                throw new IllegalArgumentException("no tokens");
            }
            int vocab = forward.config().vocabSize();
            for (int t : input) {
                if (checkTokens && (t < 0 || t >= vocab)) {
                    throw new IllegalArgumentException("token id " + t + " outside [0, " + vocab + ")");
                }
            }
            if (startPosition < 0 || startPosition > tokens.length) {
                throw new IllegalArgumentException("start position " + startPosition + " outside [0, " + tokens.length + "]");
            }
            if ((long) startPosition + input.length > context) {
                throw new IllegalArgumentException(startPosition + " + " + input.length + " tokens overflow the context of "
                        + context);
            }
            int[] all = Arrays.copyOf(tokens, startPosition + input.length);
            System.arraycopy(input, 0, all, startPosition, input.length);
            float[][] rows;
            try {
                rows = forward.logitsAsFloat(all);
            } catch (IllegalArgumentException e) {
                // the faulty variant fails late, after the cache changed, as an unchecked backend would
                tokens = all;
                throw new IllegalStateException(e);
            }
            tokens = all;
            RoutingListener listener = routingListener;
            if (listener != null && forward.config().isMoe()) {
                listener.onRouting(trace(all, startPosition, listener.wantsRouterProbabilities()));
            }
            int first = allLogits ? startPosition : all.length - 1;
            float[] data = new float[(all.length - first) * vocab];
            for (int p = first; p < all.length; p++) {
                System.arraycopy(rows[p], 0, data, (p - first) * vocab, vocab);
            }
            return new Logits(all.length - first, vocab, data);
        }

        @Override
        public synchronized void truncate(int length) {
            if (closed) {
                throw new IllegalStateException("session is closed");
            }
            if (length < 0 || length > tokens.length) {
                throw new IllegalArgumentException("cannot truncate " + tokens.length + " tokens to " + length);
            }
            tokens = Arrays.copyOf(tokens, length);
        }

        @Override
        public void close() {
            closed = true;
            synchronized (this) {
                tokens = new int[0];   // waits for a forward in flight, as the base classes do
            }
        }
    }
}
