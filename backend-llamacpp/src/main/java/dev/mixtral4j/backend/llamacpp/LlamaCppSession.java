package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.llama_batch;
import dev.mixtral4j.backend.llamacpp.bindings.llama_context_params;
import dev.mixtral4j.gguf.GgmlType;
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
    private final MemorySegment ctx;
    private final MemorySegment memory;
    private final MemorySegment batch;
    private final MemorySegment threadPool;
    private final int batchCapacity;
    private final int vocabSize;
    private final int slidingWindow;
    private final MemorySegment tokenArray;
    private final MemorySegment posArray;
    private final MemorySegment outputArray;

    private LlamaCppSession(LlamaCppModel model, Arena arena, MemorySegment ctx, MemorySegment batch,
                            MemorySegment threadPool, int contextLength, int batchCapacity) {
        super(contextLength, model.vocabSize(), batchCapacity);
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
            MemorySegment params = Llama.llama_context_default_params(arena);
            llama_context_params.n_ctx(params, nCtx);
            llama_context_params.n_batch(params, nBatch);
            // non-causal attention cannot be split into micro-batches: llama_decode asserts
            // n_ubatch >= n_tokens rather than failing
            llama_context_params.n_ubatch(params, model.causal() ? Math.min(nBatch, 512) : nBatch);
            llama_context_params.n_seq_max(params, 1);
            llama_context_params.n_threads(params, model.threads());
            llama_context_params.n_threads_batch(params, model.threads());
            String flash = model.flashAttention();
            if (flash != null) {
                llama_context_params.flash_attn_type(params, switch (flash) {
                    case "on" -> Llama.LLAMA_FLASH_ATTN_TYPE_ENABLED();
                    case "off" -> Llama.LLAMA_FLASH_ATTN_TYPE_DISABLED();
                    default -> Llama.LLAMA_FLASH_ATTN_TYPE_AUTO();
                });
            }
            if (options.kvCacheType() != null) {
                int t = options.kvCacheType() == GgmlType.F32 ? Llama.GGML_TYPE_F32() : Llama.GGML_TYPE_F16();
                llama_context_params.type_k(params, t);
                llama_context_params.type_v(params, t);
            }
            String said;
            LlamaLog.startCapture();
            try {
                ctx = Llama.llama_init_from_model(model.pointer(), params);
            } finally {
                said = LlamaLog.stopCapture();
            }
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama.cpp cannot create a context (n_ctx " + nCtx + ", n_batch " + nBatch
                        + ") for " + model.path() + (said.isEmpty() ? "" : ": " + said));
            }
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
            return new LlamaCppSession(model, arena, ctx, batch, pool, nCtx, nBatch);
        } catch (RuntimeException | Error e) {
            if (!ctx.equals(MemorySegment.NULL)) {
                Llama.llama_free(ctx);
            }
            arena.close();
            throw e;
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
        for (int i = 0; i < n; i++) {
            tokenArray.setAtIndex(ValueLayout.JAVA_INT, i, tokens[i]);
            posArray.setAtIndex(ValueLayout.JAVA_INT, i, position + i);
            outputArray.set(ValueLayout.JAVA_BYTE, i, (byte) (i >= n - rowsWanted ? 1 : 0));
        }
        llama_batch.n_tokens(batch, n);
        decode(n, position);
        if (rowsWanted > 0) {
            // llama.cpp returns the rows of the tokens flagged for output, in order
            MemorySegment out = Llama.llama_get_logits(ctx).reinterpret(4L * rowsWanted * vocabSize);
            MemorySegment.copy(out, ValueLayout.JAVA_FLOAT, 0, logits, offset, rowsWanted * vocabSize);
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
        arena.close();
    }
}
