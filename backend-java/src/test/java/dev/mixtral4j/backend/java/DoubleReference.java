package dev.mixtral4j.backend.java;

import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.ModelConfig;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.backend.java.kernel.ScalarDequant;
import dev.mixtral4j.quant.Dequantizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately plain double-precision Mixtral forward pass over a whole sequence, straight
 * from the formulas of DESIGN.md: no batching, no cache tricks, no vectors, weights expanded
 * with the api's reference dequantizer. Test code only; slow and obvious on purpose.
 */
final class DoubleReference {
    private final ModelConfig c;
    private final ModelFile file;

    DoubleReference(ModelFile file) {
        this.file = file;
        this.c = file.config();
    }

    /** Logits of every position of {@code tokens} run from position 0. */
    double[][] logits(int[] tokens) {
        int n = tokens.length;
        int d = c.embeddingLength();
        int hd = c.headDim();
        double[][] x = new double[n][];
        WeightMatrix emb = file.tensors().tokenEmbedding();
        for (int t = 0; t < n; t++) {
            x[t] = toDouble(row(emb, tokens[t]));
        }
        for (LayerWeights l : file.tensors().layers()) {
            double[][] h = new double[n][];
            double[][] qs = new double[n][];
            double[][] ks = new double[n][];
            double[][] vs = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] nx = rmsNorm(x[t], l.attnNorm());
                qs[t] = rope(mul(l.wq(), nx), t, c.headCount());
                ks[t] = rope(mul(l.wk(), nx), t, c.headCountKv());
                vs[t] = mul(l.wv(), nx);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[c.headCount() * hd];
                for (int head = 0; head < c.headCount(); head++) {
                    int kvh = head / c.groupSize();
                    int first = c.slidingWindow() > 0 ? Math.max(0, t - c.slidingWindow() + 1) : 0;
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = first; p <= t; p++) {
                        double z = 0;
                        for (int i = 0; i < hd; i++) {
                            z += qs[t][head * hd + i] * ks[p][kvh * hd + i];
                        }
                        s[p] = z / Math.sqrt(hd);
                        max = Math.max(max, s[p]);
                    }
                    double sum = 0;
                    for (int p = first; p <= t; p++) {
                        s[p] = Math.exp(s[p] - max);
                        sum += s[p];
                    }
                    for (int p = first; p <= t; p++) {
                        for (int i = 0; i < hd; i++) {
                            att[head * hd + i] += s[p] / sum * vs[p][kvh * hd + i];
                        }
                    }
                }
                h[t] = add(x[t], mul(l.wo(), att));
            }
            for (int t = 0; t < n; t++) {
                double[] m = rmsNorm(h[t], l.ffnNorm());
                double[] out = h[t].clone();
                if (!l.isMoe()) {
                    addScaled(out, ffn(l, 0, m), 1);
                } else {
                    double[] r = mul(l.router(), m);
                    double max = Double.NEGATIVE_INFINITY;
                    for (double v : r) {
                        max = Math.max(max, v);
                    }
                    double sum = 0;
                    double[] p = new double[r.length];
                    for (int e = 0; e < r.length; e++) {
                        p[e] = Math.exp(r[e] - max);
                        sum += p[e];
                    }
                    List<Integer> chosen = new ArrayList<>();
                    for (int j = 0; j < c.expertUsedCount(); j++) {
                        int best = -1;
                        for (int e = 0; e < r.length; e++) {
                            if (!chosen.contains(e) && (best < 0 || p[e] > p[best])) {
                                best = e;
                            }
                        }
                        chosen.add(best);
                    }
                    double norm = 0;
                    for (int e : chosen) {
                        norm += p[e] / sum;
                    }
                    for (int e : chosen) {
                        addScaled(out, ffn(l, e, m), (p[e] / sum) / norm);
                    }
                }
                x[t] = out;
            }
        }
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = mul(file.tensors().output(), rmsNorm(x[t], file.tensors().outputNorm()));
        }
        return logits;
    }

    private double[] ffn(LayerWeights l, int e, double[] m) {
        double[] g = mul(l.gate().get(e), m);
        double[] u = mul(l.up().get(e), m);
        for (int i = 0; i < g.length; i++) {
            g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return mul(l.down().get(e), g);
    }

    private double[] rope(double[] v, int pos, int heads) {
        int hd = c.headDim();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < c.ropeDimensionCount() / 2; i++) {
                double theta = pos * Math.pow(c.ropeFreqBase(), -2.0 * i / c.ropeDimensionCount());
                double a = v[h * hd + 2 * i];
                double b = v[h * hd + 2 * i + 1];
                v[h * hd + 2 * i] = a * Math.cos(theta) - b * Math.sin(theta);
                v[h * hd + 2 * i + 1] = a * Math.sin(theta) + b * Math.cos(theta);
            }
        }
        return v;
    }

    private double[] rmsNorm(double[] x, WeightMatrix w) {
        double[] wv = toDouble(row(w, 0));
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * wv[i];
        }
        return out;
    }

    private static double[] mul(WeightMatrix w, double[] x) {
        double[] out = new double[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            float[] row = row(w, r);
            double s = 0;
            for (int i = 0; i < row.length; i++) {
                s += row[i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        double[] out = a.clone();
        addScaled(out, b, 1);
        return out;
    }

    private static void addScaled(double[] acc, double[] v, double s) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += s * v[i];
        }
    }

    /** Row r expanded by the api's reference dequantizer, or the test's scalar loop for types it lacks yet. */
    static float[] row(WeightMatrix w, int r) {
        if (Dequantizer.supports(w.type())) {
            return Dequantizer.dequantizeRow(w, r);
        }
        byte[] bytes = w.row(r).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        return ScalarDequant.dequantize(w.type(), bytes, w.columns());
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
