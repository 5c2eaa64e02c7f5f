package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every kernel entry point, by module, and the argument lists the host passes them. The
 * argument builders are the only place a kernel's parameter order appears on the Java side; a
 * test checks each against the parameter types in the packaged PTX.
 */
public final class Kernels {
    /** Weight types the kernels read directly. */
    public static final Set<GgmlType> WEIGHT_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);

    private Kernels() {
    }

    /** Kernel-name suffix of a weight type ("q4_k"). */
    public static String suffix(GgmlType type) {
        if (!WEIGHT_TYPES.contains(type)) {
            throw new IllegalArgumentException("no CUDA kernel reads " + type + " weights");
        }
        return type.name().toLowerCase(Locale.ROOT);
    }

    /** Entry points each module must define. */
    public static Map<String, List<String>> expectedEntries() {
        Map<String, List<String>> m = new TreeMap<>();
        List<String> elementwise = new ArrayList<>(List.of("rmsnorm", "rope", "add_inplace", "swiglu",
                "kv_store_f32", "kv_store_f16"));
        List<String> matvec = new ArrayList<>();
        List<String> matmul = new ArrayList<>();
        for (GgmlType t : WEIGHT_TYPES) {
            elementwise.add("embed_" + suffix(t));
            elementwise.add("dequant_" + suffix(t));
            matvec.add("gemv_" + suffix(t));
            matmul.add("gemm_" + suffix(t));
        }
        m.put("elementwise", elementwise);
        m.put("matvec", matvec);
        m.put("matmul", matmul);
        m.put("attention", List.of("attn_decode_f32", "attn_decode_f16", "attn_decode_combine",
                "attn_prefill_f32", "attn_prefill_f16"));
        m.put("moe", List.of("moe_topk", "moe_group", "moe_combine"));
        return m;
    }

    // ---- argument lists, in each kernel's parameter order -------------------------------------

    /** {@code embed_<type>(table, rowBytes, tokens, out, d)} and {@code dequant_<type>(w, rowBytes, out, cols)} differ; see each. */
    public static KernelArgs embed(Arena a, long table, long rowBytes, long tokens, long out, int d) {
        return new KernelArgs(a).ptr(table).i64(rowBytes).ptr(tokens).ptr(out).i32(d);
    }

    public static KernelArgs dequant(Arena a, long weights, long rowBytes, long out, int cols) {
        return new KernelArgs(a).ptr(weights).i64(rowBytes).ptr(out).i32(cols);
    }

    public static KernelArgs rmsnorm(Arena a, long x, long weight, long out, int d, float eps) {
        return new KernelArgs(a).ptr(x).ptr(weight).ptr(out).i32(d).f32(eps);
    }

    public static KernelArgs rope(Arena a, long x, int pos0, int tokens, int heads, int headDim, int ropeDim, float base) {
        return new KernelArgs(a).ptr(x).i32(pos0).i32(tokens).i32(heads).i32(headDim).i32(ropeDim).f32(base);
    }

    public static KernelArgs addInplace(Arena a, long x, long y, long n) {
        return new KernelArgs(a).ptr(x).ptr(y).i64(n);
    }

    public static KernelArgs swiglu(Arena a, long gate, long up, long n) {
        return new KernelArgs(a).ptr(gate).ptr(up).i64(n);
    }

    public static KernelArgs kvStore(Arena a, long k, long v, long kCache, long vCache, int pos0, int tokens, int kvDim) {
        return new KernelArgs(a).ptr(k).ptr(v).ptr(kCache).ptr(vCache).i32(pos0).i32(tokens).i32(kvDim);
    }

    public static KernelArgs gemv(Arena a, long w, long rowBytes, long expertBytes, long ids, long x, long xStride,
                                  long y, long yStride, int rows, int cols) {
        return new KernelArgs(a).ptr(w).i64(rowBytes).i64(expertBytes).ptr(ids).ptr(x).i64(xStride)
                .ptr(y).i64(yStride).i32(rows).i32(cols);
    }

    public static KernelArgs gemm(Arena a, long w, long rowBytes, long expertBytes, long x, int lda, long c, int ldc,
                                  int m, int n, int k, long counts, long list, int listStride, int aDiv) {
        return new KernelArgs(a).ptr(w).i64(rowBytes).i64(expertBytes).ptr(x).i32(lda).ptr(c).i32(ldc)
                .i32(m).i32(n).i32(k).ptr(counts).ptr(list).i32(listStride).i32(aDiv);
    }

    public static KernelArgs attentionDecode(Arena a, long q, long kCache, long vCache, long partO, long partML, int pos0,
                                             int heads, int groupSize, int headDim, int kvDim, int window,
                                             int splitLen, float scale) {
        return new KernelArgs(a).ptr(q).ptr(kCache).ptr(vCache).ptr(partO).ptr(partML).i32(pos0).i32(heads)
                .i32(groupSize).i32(headDim).i32(kvDim).i32(window).i32(splitLen).f32(scale);
    }

    public static KernelArgs attentionDecodeCombine(Arena a, long partO, long partML, long out, int heads, int splits,
                                                    int headDim) {
        return new KernelArgs(a).ptr(partO).ptr(partML).ptr(out).i32(heads).i32(splits).i32(headDim);
    }

    public static KernelArgs attentionPrefill(Arena a, long q, long kCache, long vCache, long out, int pos0, int tokens,
                                              int heads, int groupSize, int headDim, int kvDim, int window, float scale) {
        return new KernelArgs(a).ptr(q).ptr(kCache).ptr(vCache).ptr(out).i32(pos0).i32(tokens).i32(heads)
                .i32(groupSize).i32(headDim).i32(kvDim).i32(window).f32(scale);
    }

    public static KernelArgs moeTopK(Arena a, long logits, int tokens, int experts, int k, long ids, long weights) {
        return new KernelArgs(a).ptr(logits).i32(tokens).i32(experts).i32(k).ptr(ids).ptr(weights);
    }

    public static KernelArgs moeGroup(Arena a, long ids, int assignments, int experts, long counts, long list,
                                      int listStride) {
        return new KernelArgs(a).ptr(ids).i32(assignments).i32(experts).ptr(counts).ptr(list).i32(listStride);
    }

    public static KernelArgs moeCombine(Arena a, long x, long y, long weights, int k, int d) {
        return new KernelArgs(a).ptr(x).ptr(y).ptr(weights).i32(k).i32(d);
    }
}
