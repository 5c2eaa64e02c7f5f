package dev.mixtral4j.backend.java;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFeature;
import dev.mixtral4j.model.ModelFeatures;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.AbstractBackendModel;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.SessionOptions;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A model ready to compute: every weight resolved to a slice of the mapped file and paired with
 * its kernel. Nothing is copied; this object only holds views, so loading costs no memory
 * beyond the mapping the {@link ModelFile} already owns.
 */
final class JavaBackendModel extends AbstractBackendModel {
    private final ModelFile file;
    private final ModelConfig config;
    private final BackendOptions options;
    final Weight embedding;
    final Weight outputNorm;
    final Weight output;
    final LayerKernels[] layers;
    /** RoPE inverse frequencies base^(-2i/d) for the rotated pairs. */
    final double[] ropeFreq;

    /** What this forward pass computes beyond the plain recipe; every other feature is refused. */
    static final Set<ModelFeature> SUPPORTED_FEATURES = EnumSet.of(ModelFeature.SLIDING_WINDOW);

    /** Why this backend must not run the file whatever its tensors (no weights, math it does not compute), or empty. */
    static Optional<String> refusal(ModelFile file) {
        if (file.vocabularyOnlyReason() != null) {
            return Optional.of(file.vocabularyOnlyReason());
        }
        return ModelFeatures.refusal(file, SUPPORTED_FEATURES, "java");
    }

    JavaBackendModel(Backend backend, ModelFile file, BackendOptions options) {
        super(backend, file.config(), String.valueOf(file.path().getFileName()));
        this.file = file;
        this.config = file.config();
        this.options = options;
        refusal(file).ifPresent(why -> {
            throw new ModelFormatException(file.path() + ": " + why);
        });
        TensorCatalogue t = file.tensors();
        this.embedding = Weight.of(file.path(), t.tokenEmbedding());
        this.outputNorm = Weight.of(file.path(), t.outputNorm());
        this.output = Weight.of(file.path(), t.output());
        List<dev.mixtral4j.model.LayerWeights> ls = t.layers();
        this.layers = new LayerKernels[ls.size()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = LayerKernels.of(file.path(), ls.get(i));
        }
        int pairs = config.ropeDimensionCount() / 2;
        this.ropeFreq = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            ropeFreq[i] = Math.pow(config.ropeFreqBase(), -2.0 * i / config.ropeDimensionCount());
        }
        if (Warmup.requested(options.extra())) {
            Warmup.run(this);
        }
    }

    ModelFile file() {
        return file;
    }

    BackendOptions options() {
        return options;
    }

    @Override
    protected AbstractBackendSession openSession(SessionOptions so) {
        GgmlType kv = so.kvCacheType() != null ? so.kvCacheType()
                : options.kvCacheType() != null ? options.kvCacheType() : GgmlType.F16;
        return new JavaSession(this, so.contextLength(), kv, so.batchSize(), options.threads());
    }

    /**
     * A decoding step of several sessions as one forward pass (each weight read once for all of
     * them), run on the first session's buffers and threads.
     */
    @Override
    protected void computeEach(List<AbstractBackendSession> sessions, int[] tokens, int[] positions, float[] logits) {
        JavaSession[] own = new JavaSession[sessions.size()];
        for (int i = 0; i < own.length; i++) {
            own[i] = (JavaSession) sessions.get(i);
        }
        own[0].computeTogether(own, tokens, positions, logits);
    }

    /** Nothing of its own to free: the weights are views of the file's mapping, which the file owns. */
    @Override
    protected void release() {
    }
}
