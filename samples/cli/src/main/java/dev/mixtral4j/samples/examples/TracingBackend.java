package dev.mixtral4j.samples.examples;

import dev.mixtral4j.gguf.GgmlType;
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
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The decorating backend of {@link TracingBackendProvider}: delegates everything, logs forward passes. */
final class TracingBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(TracingBackend.class);

    private final BackendProvider provider;
    private final Backend inner;

    TracingBackend(BackendProvider provider, Backend inner) {
        this.provider = provider;
        this.inner = inner;
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public String description() {
        return "tracing " + inner.id() + ": " + inner.description();
    }

    @Override
    public Availability availability() {
        return inner.availability();
    }

    @Override
    public List<DeviceInfo> devices() {
        return inner.devices();
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        return inner.supportedTensorTypes();
    }

    @Override
    public Availability supports(ModelFile model) {
        return inner.supports(model);
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        long t0 = System.nanoTime();
        BackendModel m = inner.load(model, options);
        LOG.debug("loaded {} on {} in {} ms", model.path().getFileName(), inner.id(), (System.nanoTime() - t0) / 1_000_000);
        return new Model(m);
    }

    private final class Model implements BackendModel {
        private final BackendModel inner;

        Model(BackendModel inner) {
            this.inner = inner;
        }

        @Override
        public Backend backend() {
            return TracingBackend.this;
        }

        @Override
        public ModelConfig config() {
            return inner.config();
        }

        @Override
        public BackendSession newSession(SessionOptions options) {
            return new Session(inner.newSession(options));
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** Logs each forward pass and a summary when the session closes, at DEBUG (quiet by default). */
    private final class Session implements BackendSession {
        private final BackendSession inner;
        private long calls;
        private long tokens;
        private long nanos;

        Session(BackendSession inner) {
            this.inner = inner;
        }

        @Override
        public int contextLength() {
            return inner.contextLength();
        }

        @Override
        public int position() {
            return inner.position();
        }

        @Override
        public Logits forward(int[] input, int startPosition, boolean allLogits) {
            return forward(input, startPosition, allLogits, () -> false);
        }

        @Override
        public Logits forward(int[] input, int startPosition, boolean allLogits, java.util.function.BooleanSupplier stop) {
            long t0 = System.nanoTime();
            Logits logits = inner.forward(input, startPosition, allLogits, stop);
            long dt = System.nanoTime() - t0;
            calls++;
            tokens += input.length;
            nanos += dt;
            if (LOG.isDebugEnabled()) {
                LOG.debug("{}: forward {} token(s) at positions {}..{} in {} ms", TracingBackend.this.inner.id(), input.length,
                        startPosition, startPosition + input.length - 1, String.format("%.2f", dt / 1e6));
            }
            return logits;
        }

        @Override
        public void truncate(int length) {
            inner.truncate(length);
        }

        @Override
        public void close() {
            inner.close();
            if (calls > 0) {
                LOG.debug("{}: session closed after {} forward calls over {} tokens in {} ms", TracingBackend.this.inner.id(),
                        calls, tokens, String.format("%.1f", nanos / 1e6));
            }
        }
    }
}
