package dev.mixtral4j.backend.java;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.MappedFileChangedException;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.AbstractBackendSession;

/**
 * One sequence on the java backend: its KV cache and its worker threads. The SPI base class does
 * the checks, the chunking into batches and the position; the {@link ForwardPass} does the
 * arithmetic of each batch.
 */
final class JavaSession extends AbstractBackendSession {
    private final KvCache kv;
    private final WorkerPool pool;
    private final ForwardPass pass;
    private final java.nio.file.Path path;
    private final dev.mixtral4j.model.ModelConfig config;

    JavaSession(JavaBackendModel model, int contextLength, GgmlType kvType, int batchSize, int threads) {
        super(contextLength, model.config().vocabSize(), batchSize);
        var c = model.config();
        this.config = c;
        this.kv = new KvCache(c.blockCount(), contextLength, c.kvDim(), kvType);
        WorkerPool p;
        try {
            p = new WorkerPool(threads, "mixtral4j-java");
        } catch (RuntimeException | Error e) {
            kv.close();
            throw e;
        }
        this.pool = p;
        this.pass = new ForwardPass(model, kv, pool, threads, contextLength);
        this.path = model.file().path();
    }

    GgmlType kvCacheType() {
        return kv.type();
    }

    @Override
    protected dev.mixtral4j.model.ModelConfig routedModel() {
        return config.isMoe() ? config : null;
    }

    @Override
    protected void computeBatch(int[] tokens, int position, int rowsWanted, float[] logits, int offset) {
        try {
            pass.run(tokens, position, routing());
            if (rowsWanted > 0) {
                pass.logits(tokens.length - rowsWanted, rowsWanted, logits, offset);
            }
        } catch (InternalError e) {
            // the JVM's report of a fault in a mapped access: the model file shrank under us
            throw new MappedFileChangedException(path, e);
        }
    }

    /**
     * One decoding step of several sessions of the model as one batch, computed with this
     * session's buffers and worker threads (the caller holds every session, so none of them runs
     * anything else meanwhile): token {@code i} goes to {@code sessions[i]}'s cache at
     * {@code positions[i]}, and its logits to row {@code i} of {@code logits}.
     */
    void computeTogether(JavaSession[] sessions, int[] tokens, int[] positions, float[] logits) {
        int n = sessions.length;
        KvCache[] caches = new KvCache[n];
        RoutingTrace.Builder[] traces = new RoutingTrace.Builder[n];
        for (int i = 0; i < n; i++) {
            caches[i] = sessions[i].kv;
            traces[i] = sessions[i].routing();
        }
        try {
            pass.run(tokens, new BatchRows(caches, positions, traces, new int[n]));
            pass.logits(0, n, logits, 0);
        } catch (InternalError e) {
            throw new MappedFileChangedException(path, e);
        }
    }

    @Override
    protected void release() {
        try {
            pool.close();
        } finally {
            kv.close();
        }
    }
}
