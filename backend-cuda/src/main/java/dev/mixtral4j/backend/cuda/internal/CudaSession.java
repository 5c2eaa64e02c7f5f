package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.routing.RoutingListener;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One sequence on the device: its KV cache, its scratch buffers and its stream. Inputs longer
 * than the batch are run in consecutive steps; only the tokens go up and the logits come back.
 */
final class CudaSession implements BackendSession {
    private final CudaModel model;
    private final ModelConfig config;
    private final int contextLength;
    private final ScratchLayout layout;
    private final MemorySegment stream;
    private final long kvCache;
    private final long scratch;
    private final ForwardPass pass;
    private int position;
    private boolean closed;
    private RoutingListener routingListener;

    CudaSession(CudaModel model, int contextLength, int batch, GgmlType kvType, int maxSplits) {
        this.model = model;
        this.config = model.config();
        this.contextLength = contextLength;
        this.layout = new ScratchLayout(config, Math.min(batch, contextLength), maxSplits);
        DeviceContext dev = model.device();
        dev.makeCurrent();
        long kvBytes = MemoryPlanner.kvCacheBytes(config, contextLength, kvType);
        long kv = 0;
        long sc = 0;
        MemorySegment st = null;
        try {
            kv = CudaDriver.malloc(kvBytes, "KV cache of " + contextLength + " tokens");
            sc = CudaDriver.malloc(layout.totalBytes(), "session scratch");
            st = CudaDriver.createStream();
        } catch (RuntimeException e) {
            if (kv != 0) {
                CudaDriver.free(kv);
            }
            if (sc != 0) {
                CudaDriver.free(sc);
            }
            throw e;
        }
        this.kvCache = kv;
        this.scratch = sc;
        this.stream = st;
        this.pass = new ForwardPass(dev, model.weights(), config, layout, scratch, kvCache, contextLength, kvType, stream);
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public Logits forward(int[] tokens, int startPosition, boolean allLogits) {
        ensureOpen();
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to run");
        }
        if (startPosition < 0 || startPosition > position) {
            throw new IllegalArgumentException("start position " + startPosition + " outside 0.." + position);
        }
        if ((long) startPosition + tokens.length > contextLength) {
            throw new IllegalArgumentException(tokens.length + " tokens from position " + startPosition
                    + " overflow the context of " + contextLength);
        }
        int vocab = config.vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i + " outside 0.." + (vocab - 1));
            }
        }
        position = startPosition;
        model.device().makeCurrent();
        int batch = layout.batch();
        float[] out = new float[(allLogits ? tokens.length : 1) * vocab];
        int written = 0;
        RoutingListener listener = routingListener;
        RoutingTrace.Builder trace = listener != null && config.isMoe() ? RoutingTrace.builder(startPosition, tokens,
                config.blockCount(), config.expertCount(), config.expertUsedCount(),
                listener.wantsRouterProbabilities()) : null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_INT, batch);
            MemorySegment logits = arena.allocate(ValueLayout.JAVA_FLOAT, (long) batch * vocab);
            RoutingReadback readback = trace == null ? null : new RoutingReadback(arena, config.blockCount(), batch,
                    config.expertCount(), config.expertUsedCount(), trace.wantsProbabilities());
            pass.routing(readback);
            for (int start = 0; start < tokens.length; start += batch) {
                int n = Math.min(batch, tokens.length - start);
                boolean lastChunk = start + n == tokens.length;
                MemorySegment.copy(tokens, start, host, ValueLayout.JAVA_INT, 0, n);
                CudaDriver.copyToDeviceAsync(pass.buf("tokens"), host, (long) n * Integer.BYTES, stream);
                int rows = pass.step(n, position, allLogits);
                position += n;
                if (readback != null) {
                    CudaDriver.synchronize(stream);
                    readback.fill(trace, start, n);
                }
                if (allLogits || lastChunk) {
                    long bytes = (long) rows * vocab * Float.BYTES;
                    CudaDriver.copyToHostAsync(logits, pass.buf("logits"), bytes, stream);
                    CudaDriver.synchronize(stream);
                    MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT, 0, out, written, rows * vocab);
                    written += rows * vocab;
                }
            }
            CudaDriver.synchronize(stream);
        } catch (RuntimeException e) {
            position = startPosition;   // the cache past startPosition is in an unknown state
            throw e;
        } finally {
            pass.routing(null);
        }
        if (trace != null) {
            listener.onRouting(trace.build());
        }
        return new Logits(allLogits ? tokens.length : 1, vocab, out);
    }

    @Override
    public void routingListener(RoutingListener listener) {
        ensureOpen();
        this.routingListener = listener;
    }

    @Override
    public void truncate(int length) {
        ensureOpen();
        if (length < 0 || length > position) {
            throw new IllegalArgumentException("cannot truncate " + position + " cached tokens to " + length);
        }
        position = length;   // rows past it are overwritten by the next forward
    }

    private void ensureOpen() {
        if (closed || model.isClosed()) {
            throw new IllegalStateException("CUDA session is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        model.sessionClosed(this);
        if (model.isClosed()) {
            return;   // the model freed everything with its context
        }
        model.device().makeCurrent();
        CudaDriver.synchronize(stream);
        CudaDriver.destroyStream(stream);
        CudaDriver.free(scratch);
        CudaDriver.free(kvCache);
    }

    /** Called by the model when it closes first. */
    void release() {
        if (closed) {
            return;
        }
        closed = true;
        CudaDriver.synchronize(stream);
        CudaDriver.destroyStream(stream);
        CudaDriver.free(scratch);
        CudaDriver.free(kvCache);
    }
}
