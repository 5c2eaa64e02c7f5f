package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.llama_batch;
import dev.mixtral4j.backend.llamacpp.bindings.llama_context_params;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.routing.RoutingTrace;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.SessionOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One sequence on a {@code llama_context}. Owns the context and a {@code llama_batch} sized to the
 * batch size; the batch struct itself lives in this session's arena, its arrays are llama.cpp's
 * (freed by {@code llama_batch_free}). Every argument is checked before it gets here, by the SPI
 * base class (llama.cpp aborts the process on an out-of-range token id), and the base class's
 * lifecycle guarantees no {@code llama_decode} runs while {@link #release} frees the context.
 */
final class LlamaCppSession extends AbstractBackendSession {
    private final LlamaCppModel model;
    private final Arena arena;
    /** Replaced (KV cache moved over) when a routing listener is attached or removed. */
    private MemorySegment ctx;
    private MemorySegment memory;
    private final GgmlType kvType;
    /** The graph callback that reads the routing; only while a listener is attached. */
    private RoutingTap tap;
    private final MemorySegment batch;
    private final MemorySegment threadPool;
    private final int batchCapacity;
    private final int vocabSize;
    private final int slidingWindow;
    private final MemorySegment tokenArray;
    private final MemorySegment posArray;
    private final MemorySegment outputArray;

    private LlamaCppSession(LlamaCppModel model, Arena arena, MemorySegment ctx, MemorySegment batch,
                            MemorySegment threadPool, int contextLength, int batchCapacity, GgmlType kvType) {
        super(contextLength, model.vocabSize(), batchCapacity);
        this.kvType = kvType;
        this.threadPool = threadPool;
        this.model = model;
        this.arena = arena;
        this.ctx = ctx;
        this.memory = Llama.llama_get_memory(ctx);
        this.batch = batch;
        this.batchCapacity = batchCapacity;
        this.vocabSize = model.vocabSize();
        this.slidingWindow = model.config().slidingWindow();
        this.tokenArray = llama_batch.token(batch).reinterpret(4L * batchCapacity);
        this.posArray = llama_batch.pos(batch).reinterpret(4L * batchCapacity);
        this.outputArray = llama_batch.logits(batch).reinterpret(batchCapacity);
        MemorySegment nSeq = llama_batch.n_seq_id(batch).reinterpret(4L * batchCapacity);
        MemorySegment seqIds = llama_batch.seq_id(batch).reinterpret(ValueLayout.ADDRESS.byteSize() * batchCapacity);
        for (int i = 0; i < batchCapacity; i++) {
            // every token belongs to sequence 0
            nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);
            seqIds.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(4).set(ValueLayout.JAVA_INT, 0, 0);
        }
    }

    static LlamaCppSession open(LlamaCppModel model, SessionOptions options) {
        int nCtx = options.contextLength();
        int nBatch = Math.min(options.batchSize(), nCtx);
        Arena arena = Arena.ofShared();
        MemorySegment ctx = MemorySegment.NULL;
        try {
            ctx = newContext(model, nCtx, nBatch, options.kvCacheType(), MemorySegment.NULL);
            MemorySegment pool = MemorySegment.NULL;
            CpuThreadPools pools = model.runtime().threadPools();
            if (pools != null) {
                pool = pools.create(model.threads());
                if (!pool.equals(MemorySegment.NULL)) {
                    Llama.llama_attach_threadpool(ctx, pool, pool);
                }
            }
            MemorySegment batch;
            try {
                batch = Llama.llama_batch_init(arena, nBatch, 0, 1);
            } catch (RuntimeException | Error e) {
                freePool(model, ctx, pool);
                throw e;
            }
            return new LlamaCppSession(model, arena, ctx, batch, pool, nCtx, nBatch, options.kvCacheType());
        } catch (RuntimeException | Error e) {
            if (!ctx.equals(MemorySegment.NULL)) {
                Llama.llama_free(ctx);
            }
            arena.close();
            throw e;
        }
    }

    /** A new llama_context; {@code callback} is the graph evaluation callback or NULL. */
    private static MemorySegment newContext(LlamaCppModel model, int nCtx, int nBatch, GgmlType kvType,
                                            MemorySegment callback) {
        try (Arena params = Arena.ofConfined()) {
            MemorySegment p = Llama.llama_context_default_params(params);
            llama_context_params.n_ctx(p, nCtx);
            llama_context_params.n_batch(p, nBatch);
            // non-causal attention cannot be split into micro-batches: llama_decode asserts
            // n_ubatch >= n_tokens rather than failing
            llama_context_params.n_ubatch(p, model.causal() ? Math.min(nBatch, 512) : nBatch);
            llama_context_params.n_seq_max(p, 1);
            llama_context_params.n_threads(p, model.threads());
            llama_context_params.n_threads_batch(p, model.threads());
            llama_context_params.cb_eval(p, callback);
            llama_context_params.cb_eval_user_data(p, MemorySegment.NULL);
            String flash = model.flashAttention();
            if (flash != null) {
                llama_context_params.flash_attn_type(p, switch (flash) {
                    case "on" -> Llama.LLAMA_FLASH_ATTN_TYPE_ENABLED();
                    case "off" -> Llama.LLAMA_FLASH_ATTN_TYPE_DISABLED();
                    default -> Llama.LLAMA_FLASH_ATTN_TYPE_AUTO();
                });
            }
            if (kvType != null) {
                int t = kvType == GgmlType.F32 ? Llama.GGML_TYPE_F32() : Llama.GGML_TYPE_F16();
                llama_context_params.type_k(p, t);
                llama_context_params.type_v(p, t);
            }
            String said;
            MemorySegment ctx;
            LlamaLog.startCapture();
            try {
                ctx = Llama.llama_init_from_model(model.pointer(), p);
            } finally {
                said = LlamaLog.stopCapture();
            }
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp cannot create a context (n_ctx " + nCtx + ", n_batch " + nBatch
                        + ") for " + model.path() + (said.isEmpty() ? "" : ": " + said));
            }
            return ctx;
        }
    }

    @Override
    protected dev.mixtral4j.model.ModelConfig routedModel() {
        return model.config().isMoe() ? model.config() : null;
    }

    /**
     * The graph callback is part of a context's parameters: attaching the first listener (or
     * removing the last) replaces the context by one with (or without) it, and moves the
     * sequence's KV cache over with llama_state_seq_get_data / set_data; one copy of the cache per
     * attach or detach, and nothing per token while no listener is attached.
     */
    @Override
    protected void routingAttached(boolean attached) {
        if (attached && tap == null) {
            var c = model.config();
            RoutingTap fresh = new RoutingTap(c.blockCount(), c.expertCount(), c.expertUsedCount());
            try {
                replaceContext(fresh.callback());
            } catch (RuntimeException | Error e) {
                fresh.close();
                throw e;
            }
            tap = fresh;
        } else if (!attached && tap != null) {
            replaceContext(MemorySegment.NULL);
            tap.close();
            tap = null;
        }
    }

    private void replaceContext(MemorySegment callback) {
        MemorySegment fresh = newContext(model, contextLength(), batchCapacity, kvType, callback);
        try {
            if (position() > 0) {
                moveCache(ctx, fresh);
            }
        } catch (RuntimeException | Error e) {
            Llama.llama_free(fresh);
            throw e;
        }
        if (!threadPool.equals(MemorySegment.NULL)) {
            Llama.llama_detach_threadpool(ctx);
            Llama.llama_attach_threadpool(fresh, threadPool, threadPool);
        }
        Llama.llama_free(ctx);
        ctx = fresh;
        memory = Llama.llama_get_memory(fresh);
    }

    private void moveCache(MemorySegment from, MemorySegment to) {
        try (Arena tmp = Arena.ofConfined()) {
            long size = (long) RoutingTap.Natives.STATE_SEQ_GET_SIZE.invokeExact(from, 0);
            MemorySegment state = tmp.allocate(Math.max(1, size), 8);
            long written = (long) RoutingTap.Natives.STATE_SEQ_GET_DATA.invokeExact(from, state, size, 0);
            long read = written == 0 ? 0 : (long) RoutingTap.Natives.STATE_SEQ_SET_DATA.invokeExact(to, state, written, 0);
            if (read == 0) {
                throw new IllegalStateException("llama.cpp could not move the KV cache (" + position() + " tokens, "
                        + size + " bytes) to a context with the routing callback changed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void refuseUnsupported(int startPosition, int count) {
        if (slidingWindow > 0 && (long) startPosition + count > slidingWindow) {
            // llama.cpp v0.5.0 ignores llama.attention.sliding_window for the llama architecture: past
            // the window it would silently compute full attention, i.e. different logits
            throw new UnsupportedOperationException("llama.cpp does not apply this model's sliding attention window of "
                    + slidingWindow + " tokens; positions past it (up to " + (startPosition + count)
                    + ") would be wrong: use the java backend for longer sequences");
        }
    }

    @Override
    protected void computeBatch(int[] tokens, int position, int rowsWanted, float[] logits, int offset) {
        int n = tokens.length;
        RoutingTrace.Builder routing = routing();
        boolean tracing = routing != null && tap != null;
        // llama.cpp runs the last layer only for the tokens whose logits are asked for: while
        // tracing every token is an output, so that its last layer is routed (and traced)
        int outputs = tracing ? n : rowsWanted;
        for (int i = 0; i < n; i++) {
            tokenArray.setAtIndex(ValueLayout.JAVA_INT, i, tokens[i]);
            posArray.setAtIndex(ValueLayout.JAVA_INT, i, position + i);
            outputArray.set(ValueLayout.JAVA_BYTE, i, (byte) (i >= n - outputs ? 1 : 0));
        }
        llama_batch.n_tokens(batch, n);
        if (tracing) {
            tap.begin(routing, position - routing.startPosition(), n);
        }
        try {
            decode(n, position);
        } catch (RuntimeException | Error e) {
            if (tracing) {
                tap.abandon();
            }
            throw e;
        }
        if (tracing) {
            tap.finish();
        }
        if (rowsWanted > 0) {
            // llama.cpp returns the rows of the tokens flagged for output, in order: the wanted ones are the last
            MemorySegment out = Llama.llama_get_logits(ctx).reinterpret(4L * outputs * vocabSize);
            MemorySegment.copy(out, ValueLayout.JAVA_FLOAT, 4L * (outputs - rowsWanted) * vocabSize, logits, offset,
                    rowsWanted * vocabSize);
        }
    }

    private void decode(int n, int position) {
        int rc;
        String said;
        LlamaLog.startCapture();
        try {
            rc = Llama.llama_decode(ctx, batch);
        } finally {
            said = LlamaLog.stopCapture();
        }
        if (rc == 0) {
            return;
        }
        String what = switch (rc) {
            case 1 -> "no room in the KV cache";
            case 2 -> "aborted";
            case -1 -> "invalid batch";
            default -> "error " + rc;
        };
        throw new IllegalStateException("llama_decode failed (" + what + ") on " + n + " tokens at position " + position
                + (said.isEmpty() ? "" : ": " + said));
    }

    /** Part of a failed batch may be in llama.cpp's cache, and a rewind must drop what follows. */
    @Override
    protected void discard(int from) {
        if (!Llama.llama_memory_seq_rm(memory, 0, from, -1)) {
            throw new IllegalStateException("llama.cpp could not drop cached tokens from " + from);
        }
    }

    /** Detaches and frees a pool; the context must not compute with it afterwards. */
    private static void freePool(LlamaCppModel model, MemorySegment ctx, MemorySegment pool) {
        if (!pool.equals(MemorySegment.NULL)) {
            Llama.llama_detach_threadpool(ctx);
            model.runtime().threadPools().free(pool);
        }
    }

    @Override
    protected void release() {
        Llama.llama_batch_free(batch);
        freePool(model, ctx, threadPool);
        Llama.llama_free(ctx);
        if (tap != null) {
            // after the context: it held the callback
            tap.close();
            tap = null;
        }
        arena.close();
    }
}
