package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.AbstractBackendModel;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A model whose weights live on one CUDA device. */
public final class CudaModel extends AbstractBackendModel {
    private static final Logger LOG = LoggerFactory.getLogger(CudaModel.class);

    private final ModelConfig config;
    private final CudaOptions options;
    private final DeviceContext device;
    private final DeviceWeights weights;
    private final int defaultContext;

    private CudaModel(Backend backend, ModelConfig config, CudaOptions options, DeviceContext device,
                      DeviceWeights weights, int defaultContext, String name) {
        super(backend, config, name);
        this.config = config;
        this.options = options;
        this.device = device;
        this.weights = weights;
        this.defaultContext = defaultContext;
    }

    /** Plans, checks free memory, opens the device and uploads the weights. */
    public static CudaModel load(Backend backend, ModelFile file, CudaOptions options, PtxBundle ptx) {
        ModelConfig c = file.config();
        int context = options.contextLength() == 0 ? c.contextLength() : Math.min(options.contextLength(), c.contextLength());
        MemoryPlan plan = MemoryPlanner.plan(c, file.tensors(), options, context);
        DeviceContext dev = DeviceContext.open(options.device(), ptx);
        try {
            dev.makeCurrent();
            long[] info = CudaDriver.memoryInfo();
            plan.checkFits(info[0], options.reserveBytes(), dev.description());
            LOG.info("loading {} on {}: weights {}, KV cache {} ({} tokens, {}), scratch {}; {} free of {}",
                    file.path().getFileName(), dev.description(), MemoryPlan.gib(plan.weightBytes()),
                    MemoryPlan.gib(plan.kvCacheBytes()), context, options.kvCacheType(),
                    MemoryPlan.gib(plan.scratchBytes()), MemoryPlan.gib(info[0]), MemoryPlan.gib(info[1]));
            int smem = Launches.prefillSharedBytes(c.headDim());
            if (smem > Launches.STATIC_SHARED_LIMIT) {
                dev.allowSharedMemory("attn_prefill_f16", smem);
                dev.allowSharedMemory("attn_prefill_f32", smem);
            }
            DeviceWeights w = DeviceWeights.upload(file.tensors(), dev.description());
            return new CudaModel(backend, c, options, dev, w, context, String.valueOf(file.path().getFileName()));
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    DeviceContext device() {
        return device;
    }

    DeviceWeights weights() {
        return weights;
    }

    @Override
    protected AbstractBackendSession openSession(SessionOptions o) {
        int context = o.contextLength();
        GgmlType kv = o.kvCacheType() == null ? options.kvCacheType() : o.kvCacheType();
        MemoryPlan plan = MemoryPlanner.plan(config, 0, context, o.batchSize(), kv, options.maxSplits());
        device.makeCurrent();
        long[] info = CudaDriver.memoryInfo();
        plan.checkSessionFits(info[0], options.reserveBytes(), device.description());
        return new CudaSession(this, context, o.batchSize(), kv, options.maxSplits());
    }

    /** A session with the load options' context and batch. */
    public BackendSession newSession() {
        return newSession(new SessionOptions(defaultContext, options.kvCacheType(), options.batchSize()));
    }

    /** Every session has released its buffers by now (the SPI base class closes them first). */
    @Override
    protected void release() {
        try {
            device.makeCurrent();
            weights.close();
        } finally {
            device.close();
        }
    }
}
