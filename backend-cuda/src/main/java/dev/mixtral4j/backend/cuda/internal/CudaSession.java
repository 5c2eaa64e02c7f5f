package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.AbstractBackendSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One sequence on the device: its KV cache, its scratch buffers and its stream. The SPI base
 * class checks the input, splits it into batches and keeps the position; {@link ForwardPass}
 * computes each batch on the device.
 */
final class CudaSession extends AbstractBackendSession {
    private final CudaModel model;
    private final ScratchLayout layout;
    private final MemorySegment stream;
    private final long kvCache;
    private final long scratch;
    private final ForwardPass pass;
    private final Arena hostArena = Arena.ofShared();
    private final MemorySegment hostTokens;
    private final MemorySegment hostLogits;
    /** Host buffers for the routing, made on the first batch traced (never without a listener). */
    private RoutingReadback routingReadback;

    CudaSession(CudaModel model, int contextLength, int batch, GgmlType kvType, int maxSplits) {
        super(contextLength, model.config().vocabSize(), batch);
        this.model = model;
        ModelConfig config = model.config();
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
            hostArena.close();
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
        this.hostTokens = hostArena.allocate(ValueLayout.JAVA_INT, layout.batch());
        this.hostLogits = hostArena.allocate(ValueLayout.JAVA_FLOAT, (long) layout.batch() * config.vocabSize());
    }

    /** Only the tokens go up and the logits wanted come back; the cache rows past the position are overwritten later. */
    @Override
    protected dev.mixtral4j.model.ModelConfig routedModel() {
        return model.config().isMoe() ? model.config() : null;
    }

    @Override
    protected void computeBatch(int[] tokens, int position, int rowsWanted, float[] logits, int offset) {
        int n = tokens.length;
        int vocab = vocabSize();
        model.device().makeCurrent();
        MemorySegment.copy(tokens, 0, hostTokens, ValueLayout.JAVA_INT, 0, n);
        CudaDriver.copyToDeviceAsync(pass.buf("tokens"), hostTokens, (long) n * Integer.BYTES, stream);
        RoutingTrace.Builder trace = routing();
        RoutingReadback readback = null;
        if (trace != null) {
            if (routingReadback == null || routingReadback.wantsRouterLogits() != trace.wantsProbabilities()) {
                var c = model.config();
                routingReadback = new RoutingReadback(hostArena, c.blockCount(), layout.batch(), c.expertCount(),
                        c.expertUsedCount(), trace.wantsProbabilities());
            }
            readback = routingReadback;
        }
        pass.routing(readback);
        int rows;
        try {
            rows = pass.step(n, position, rowsWanted == n && n > 1);
        } finally {
            pass.routing(null);
        }
        if (readback != null) {
            CudaDriver.synchronize(stream);
            readback.fill(trace, position - trace.startPosition(), n);
        }
        if (rowsWanted > 0) {
            // the pass computed the last `rows` rows; the wanted ones are the last of those
            long skip = (long) (rows - rowsWanted) * vocab * Float.BYTES;
            CudaDriver.copyToHostAsync(hostLogits, pass.buf("logits"), (long) rows * vocab * Float.BYTES, stream);
            CudaDriver.synchronize(stream);
            MemorySegment.copy(hostLogits, ValueLayout.JAVA_FLOAT, skip, logits, offset, rowsWanted * vocab);
        } else {
            CudaDriver.synchronize(stream);
        }
    }

    @Override
    protected void release() {
        // a model that closes closes its sessions first, so the context is still there
        try {
            model.device().makeCurrent();
            CudaDriver.synchronize(stream);
            CudaDriver.destroyStream(stream);
            CudaDriver.free(scratch);
            CudaDriver.free(kvCache);
        } finally {
            hostArena.close();
        }
    }
}
