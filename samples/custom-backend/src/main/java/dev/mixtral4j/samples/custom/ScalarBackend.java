package dev.mixtral4j.samples.custom;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.ModelFormatException;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.spi.AbstractBackendModel;
import dev.mixtral4j.spi.AbstractBackendSession;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendOptions;
import dev.mixtral4j.spi.BackendProvider;
import dev.mixtral4j.spi.DeviceInfo;
import dev.mixtral4j.spi.SessionOptions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A whole backend in one page: Mixtral's forward pass (docs/forward-pass.md) in plain scalar
 * Java, one token at a time, each weight row dequantized when it is used. Slow, and meant to be
 * read: the SPI base classes do the checks, the batching, the position and the lifecycle, so
 * what is left here is the arithmetic.
 */
final class ScalarBackend implements Backend {
    private final BackendProvider provider;

    ScalarBackend(BackendProvider provider) {
        this.provider = provider;
    }

    @Override
    public BackendProvider provider() {
        return provider;
    }

    @Override
    public List<DeviceInfo> devices() {
        return List.of(new DeviceInfo(0, "CPU, one thread", -1, -1));
    }

    @Override
    public Set<GgmlType> supportedTensorTypes() {
        EnumSet<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        for (GgmlType t : GgmlType.values()) {
            if (Dequantizer.supports(t)) {
                types.add(t);
            }
        }
        return types;
    }

    @Override
    public Availability supports(ModelFile model) {
        try {
            return Availability.yes(check(model));
        } catch (RuntimeException e) {
            return Availability.no(e.getMessage());
        }
    }

    @Override
    public BackendModel load(ModelFile model, BackendOptions options) {
        check(model);
        return new AbstractBackendModel(this, model.config(), model.path().getFileName().toString()) {
            @Override
            protected AbstractBackendSession openSession(SessionOptions o) {
                return new Session(model, o);
            }

            @Override
            protected void release() {
            }
        };
    }

    /** Every tensor present, with the shape the config asks for and a type we can dequantize. */
    private static String check(ModelFile model) {
        for (WeightMatrix w : model.tensors().allWeights()) {
            if (!Dequantizer.supports(w.type())) {
                throw new ModelFormatException(model.path() + ": tensor " + w.name() + " has type " + w.type()
                        + ", which " + ScalarBackendProvider.ID + " cannot dequantize");
            }
        }
        return "every tensor readable";
    }

    /** One sequence: a float KV cache, and the forward pass over it. */
    private static final class Session extends AbstractBackendSession {
        private final ModelFile file;
        private final ModelConfig c;
        private float[][] keys;
        private float[][] values;

        Session(ModelFile file, SessionOptions o) {
            super(o.contextLength(), file.config().vocabSize(), o.batchSize());
            this.file = file;
            this.c = file.config();
            keys = new float[c.blockCount()][o.contextLength() * c.kvDim()];
            values = new float[c.blockCount()][o.contextLength() * c.kvDim()];
        }

        @Override
        protected void computeBatch(int[] tokens, int position, int rowsWanted, float[] logits, int offset) {
            for (int i = 0; i < tokens.length; i++) {
                float[] x = token(tokens[i], position + i);
                int row = i - (tokens.length - rowsWanted);
                if (row >= 0) {
                    float[] out = matvec(file.tensors().output(), norm(x, file.tensors().outputNorm()));
                    System.arraycopy(out, 0, logits, offset + row * c.vocabSize(), c.vocabSize());
                }
            }
        }

        @Override
        protected void release() {
            keys = values = null;
        }

        /** The hidden state after every layer, for one token at position {@code pos}. */
        private float[] token(int token, int pos) {
            float[] x = Dequantizer.dequantizeRow(file.tensors().tokenEmbedding(), token);
            int hd = c.headDim();
            int kvDim = c.kvDim();
            for (int l = 0; l < c.blockCount(); l++) {
                LayerWeights w = file.tensors().layer(l);
                float[] n = norm(x, w.attnNorm());
                float[] q = rope(matvec(w.wq(), n), pos);
                float[] k = rope(matvec(w.wk(), n), pos);
                System.arraycopy(k, 0, keys[l], pos * kvDim, kvDim);
                System.arraycopy(matvec(w.wv(), n), 0, values[l], pos * kvDim, kvDim);
                float[] att = new float[q.length];
                int first = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
                for (int h = 0; h < c.headCount(); h++) {
                    int kv = (h / c.groupSize()) * hd;
                    double[] p = new double[pos - first + 1];
                    for (int t = first; t <= pos; t++) {
                        p[t - first] = dot(q, h * hd, keys[l], t * kvDim + kv, hd) / Math.sqrt(hd);
                    }
                    softmax(p);
                    for (int t = first; t <= pos; t++) {
                        for (int j = 0; j < hd; j++) {
                            att[h * hd + j] += (float) (p[t - first] * values[l][t * kvDim + kv + j]);
                        }
                    }
                }
                add(x, matvec(w.wo(), att), 1);
                float[] m = norm(x, w.ffnNorm());
                if (w.router() == null) {
                    add(x, expert(w, 0, m), 1);
                    continue;
                }
                double[] p = toDouble(matvec(w.router(), m));
                softmax(p);
                Integer[] order = new Integer[p.length];
                Arrays.setAll(order, e -> e);
                Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
                double chosen = 0;
                for (int j = 0; j < c.expertUsedCount(); j++) {
                    chosen += p[order[j]];
                }
                for (int j = 0; j < c.expertUsedCount(); j++) {
                    add(x, expert(w, order[j], m), (float) (p[order[j]] / chosen));
                }
            }
            return x;
        }

        /** down · (silu(gate · m) ⊙ (up · m)). */
        private float[] expert(LayerWeights w, int e, float[] m) {
            float[] g = matvec(w.gate().get(e), m);
            float[] u = matvec(w.up().get(e), m);
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
            }
            return matvec(w.down().get(e), g);
        }

        /** Rotates the adjacent pairs (2i, 2i+1) of every head by pos * base^(-2i/d). */
        private float[] rope(float[] v, int pos) {
            int d = c.ropeDimensionCount();
            for (int h = 0; h < v.length / c.headDim(); h++) {
                for (int i = 0; i < d / 2; i++) {
                    double a = pos * Math.pow(c.ropeFreqBase(), -2.0 * i / d);
                    int at = h * c.headDim() + 2 * i;
                    float x0 = v[at];
                    float x1 = v[at + 1];
                    v[at] = (float) (x0 * Math.cos(a) - x1 * Math.sin(a));
                    v[at + 1] = (float) (x0 * Math.sin(a) + x1 * Math.cos(a));
                }
            }
            return v;
        }

        private float[] norm(float[] x, WeightMatrix weight) {
            float[] g = Dequantizer.dequantizeRow(weight, 0);
            double ss = dot(x, 0, x, 0, x.length) / x.length;
            float inv = (float) (1 / Math.sqrt(ss + c.rmsEps()));
            float[] out = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = x[i] * inv * g[i];
            }
            return out;
        }

        private static float[] matvec(WeightMatrix w, float[] x) {
            float[] row = new float[w.columns()];
            float[] out = new float[w.rows()];
            for (int r = 0; r < w.rows(); r++) {
                Dequantizer.dequantizeRow(w, r, row, 0);
                out[r] = (float) dot(row, 0, x, 0, x.length);
            }
            return out;
        }

        private static double dot(float[] a, int ao, float[] b, int bo, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += (double) a[ao + i] * b[bo + i];
            }
            return s;
        }

        private static void softmax(double[] p) {
            double max = Arrays.stream(p).max().orElseThrow();
            double sum = 0;
            for (int i = 0; i < p.length; i++) {
                p[i] = Math.exp(p[i] - max);
                sum += p[i];
            }
            for (int i = 0; i < p.length; i++) {
                p[i] /= sum;
            }
        }

        private static void add(float[] x, float[] y, float scale) {
            for (int i = 0; i < x.length; i++) {
                x[i] += scale * y[i];
            }
        }

        private static double[] toDouble(float[] v) {
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = v[i];
            }
            return d;
        }
    }
}
