package dev.mixtral4j.testkit;

import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.quant.Dequantizer;
import java.util.ArrayList;
import java.util.List;

/**
 * An independent, deliberately plain forward pass of the Mixtral architecture in double
 * precision, for checking backends. Every weight is dequantized to double once (with the
 * reference dequantizers of {@code dev.mixtral4j.quant}); the arithmetic follows DESIGN.md
 * step by step with no caching tricks, no batching and no vectorisation, so it can be read
 * against the math:
 *
 * <ul>
 *   <li>RMSNorm: {@code x / sqrt(mean(x²) + eps) * w};</li>
 *   <li>RoPE on adjacent pairs {@code (2i, 2i+1)} of each head's first {@code rope.dimension_count}
 *       values with angle {@code pos * base^(-2i/d)};</li>
 *   <li>causal grouped-query attention, scale {@code 1/sqrt(head_dim)}; with a sliding window
 *       {@code W} the query at position {@code p} sees keys at {@code p-W+1 .. p} (llama.cpp's
 *       standard rule: masked when {@code p - p_key >= W});</li>
 *   <li>router softmax over all experts, the top {@code k} (lower index first on ties), weights
 *       renormalised {@code w_j = p_j / Σ p}; SwiGLU experts {@code down(silu(gate·m) ⊙ up·m)};</li>
 *   <li>residuals, final norm, output projection (the embedding when tied).</li>
 * </ul>
 *
 * Not for speed: it is meant for the tiny models of {@link Fixtures}.
 */
public final class ReferenceForward {
    private final ModelConfig c;
    private final double[][] embedding;
    private final double[] outputNorm;
    private final double[][] output;
    private final List<Layer> layers = new ArrayList<>();
    private Routing lastRouting;
    /** Test-only fault: sum the chosen experts without their routing weights (Jlama's bug). */
    private final boolean dropRoutingWeights;

    private record Layer(double[] attnNorm, double[][] wq, double[][] wk, double[][] wv, double[][] wo,
                         double[] ffnNorm, double[][] router, List<double[][]> gate, List<double[][]> up,
                         List<double[][]> down) { }

    /**
     * The experts chosen in the last {@link #logits} call: {@code experts[layer][position][j]} and
     * their renormalised weights {@code weights[layer][position][j]}, best first, and the router
     * probabilities of every expert {@code probabilities[layer][position][e]}.
     */
    public record Routing(int[][][] experts, double[][][] weights, double[][][] probabilities) { }

    /** Dequantizes every weight of {@code model} (the model may be closed afterwards). */
    public ReferenceForward(ModelFile model) {
        this(model, false);
    }

    /** With {@code dropRoutingWeights}, a deliberately wrong pass for checking that tests catch the bug. */
    ReferenceForward(ModelFile model, boolean dropRoutingWeights) {
        this.dropRoutingWeights = dropRoutingWeights;
        this.c = model.config();
        TensorCatalogue t = model.tensors();
        this.embedding = matrix(t.tokenEmbedding());
        this.outputNorm = vector(t.outputNorm());
        this.output = t.isOutputTied() ? embedding : matrix(t.output());
        for (LayerWeights l : t.layers()) {
            layers.add(new Layer(vector(l.attnNorm()), matrix(l.wq()), matrix(l.wk()), matrix(l.wv()), matrix(l.wo()),
                    vector(l.ffnNorm()), l.router() == null ? null : matrix(l.router()),
                    l.gate().stream().map(ReferenceForward::matrix).toList(),
                    l.up().stream().map(ReferenceForward::matrix).toList(),
                    l.down().stream().map(ReferenceForward::matrix).toList()));
        }
    }

    public ModelConfig config() {
        return c;
    }

    /** Routing of the last {@link #logits} call (null for a dense model or before any call). */
    public Routing lastRouting() {
        return lastRouting;
    }

    /**
     * Logits for every position of {@code tokens}, placed at positions {@code 0..n-1}:
     * {@code result[p][v]}.
     */
    public double[][] logits(int[] tokens) {
        int n = tokens.length;
        if (n == 0 || n > c.contextLength()) {
            throw new IllegalArgumentException(n + " tokens for a context of " + c.contextLength());
        }
        int hd = c.headDim();
        int kvDim = c.kvDim();
        double[][][] keys = new double[layers.size()][n][];
        double[][][] values = new double[layers.size()][n][];
        int k = c.expertUsedCount();
        int[][][] routedExperts = new int[layers.size()][n][k];
        double[][][] routedWeights = new double[layers.size()][n][k];
        double[][][] routerProbabilities = new double[layers.size()][n][];
        double[][] result = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            int token = tokens[pos];
            if (token < 0 || token >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " outside [0, " + c.vocabSize() + ")");
            }
            double[] x = embedding[token].clone();
            for (int li = 0; li < layers.size(); li++) {
                Layer l = layers.get(li);
                // attention
                double[] h = rmsNorm(x, l.attnNorm);
                double[] q = matVec(l.wq, h);
                double[] key = matVec(l.wk, h);
                double[] val = matVec(l.wv, h);
                for (int head = 0; head < c.headCount(); head++) {
                    rope(q, head * hd, pos);
                }
                for (int head = 0; head < c.headCountKv(); head++) {
                    rope(key, head * hd, pos);
                }
                keys[li][pos] = key;
                values[li][pos] = val;
                double[] attn = new double[c.headCount() * hd];
                int first = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
                for (int head = 0; head < c.headCount(); head++) {
                    int kvHead = head / c.groupSize();
                    double[] scores = new double[pos + 1 - first];
                    for (int s = first; s <= pos; s++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) {
                            dot += q[head * hd + i] * keys[li][s][kvHead * hd + i];
                        }
                        scores[s - first] = dot / Math.sqrt(hd);
                    }
                    double[] p = softmax(scores);
                    for (int s = first; s <= pos; s++) {
                        for (int i = 0; i < hd; i++) {
                            attn[head * hd + i] += p[s - first] * values[li][s][kvHead * hd + i];
                        }
                    }
                }
                assert kvDim == c.headCountKv() * hd;
                add(x, matVec(l.wo, attn));
                // feed-forward
                double[] m = rmsNorm(x, l.ffnNorm);
                double[] out;
                if (l.router == null) {
                    out = swiGlu(l.gate.get(0), l.up.get(0), l.down.get(0), m);
                } else {
                    double[] probs = softmax(matVec(l.router, m));
                    routerProbabilities[li][pos] = probs;
                    int[] top = topK(probs, k);
                    double sum = 0;
                    for (int e : top) {
                        sum += probs[e];
                    }
                    out = new double[c.embeddingLength()];
                    for (int j = 0; j < k; j++) {
                        int e = top[j];
                        double w = dropRoutingWeights ? 1 : probs[e] / sum;
                        routedExperts[li][pos][j] = e;
                        routedWeights[li][pos][j] = w;
                        double[] y = swiGlu(l.gate.get(e), l.up.get(e), l.down.get(e), m);
                        for (int i = 0; i < out.length; i++) {
                            out[i] += w * y[i];
                        }
                    }
                }
                add(x, out);
            }
            result[pos] = matVec(output, rmsNorm(x, outputNorm));
        }
        lastRouting = c.isMoe() ? new Routing(routedExperts, routedWeights, routerProbabilities) : null;
        return result;
    }

    /** {@link #logits} rounded to float, one row per position. */
    public float[][] logitsAsFloat(int[] tokens) {
        double[][] d = logits(tokens);
        float[][] f = new float[d.length][];
        for (int p = 0; p < d.length; p++) {
            f[p] = new float[d[p].length];
            for (int i = 0; i < d[p].length; i++) {
                f[p][i] = (float) d[p][i];
            }
        }
        return f;
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = x[i] * scale * w[i];
        }
        return r;
    }

    /** Rotates the pairs (2i, 2i+1) of the head starting at {@code at}. */
    private void rope(double[] v, int at, int pos) {
        int d = c.ropeDimensionCount();
        for (int i = 0; i < d / 2; i++) {
            double theta = pos * Math.pow(c.ropeFreqBase(), -2.0 * i / d);
            double cos = Math.cos(theta);
            double sin = Math.sin(theta);
            double a = v[at + 2 * i];
            double b = v[at + 2 * i + 1];
            v[at + 2 * i] = a * cos - b * sin;
            v[at + 2 * i + 1] = a * sin + b * cos;
        }
    }

    private static double[] swiGlu(double[][] gate, double[][] up, double[][] down, double[] m) {
        double[] g = matVec(gate, m);
        double[] u = matVec(up, m);
        double[] hidden = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            hidden[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return matVec(down, hidden);
    }

    static double[] softmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.exp(v[i] - max);
            sum += r[i];
        }
        for (int i = 0; i < v.length; i++) {
            r[i] /= sum;
        }
        return r;
    }

    /** Indices of the {@code k} largest values, largest first, lower index first on ties. */
    static int[] topK(double[] v, int k) {
        int[] top = new int[k];
        boolean[] taken = new boolean[v.length];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!taken[i] && (best < 0 || v[i] > v[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            top[j] = best;
        }
        return top;
    }

    private static double[] matVec(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double s = 0;
            double[] row = w[r];
            for (int i = 0; i < x.length; i++) {
                s += row[i] * x[i];
            }
            y[r] = s;
        }
        return y;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    /** Rows of a weight, dequantized to double. */
    static double[][] matrix(WeightMatrix w) {
        double[][] m = new double[w.rows()][];
        for (int r = 0; r < w.rows(); r++) {
            float[] row = Dequantizer.dequantizeRow(w, r);
            m[r] = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                m[r][i] = row[i];
            }
        }
        return m;
    }

    private static double[] vector(WeightMatrix w) {
        return matrix(w)[0];
    }
}
