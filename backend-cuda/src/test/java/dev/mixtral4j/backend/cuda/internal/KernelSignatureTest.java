package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mixtral4j.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every argument list the host builds matches, slot for slot, the parameter types nvcc gave the
 * kernel: a pointer or {@code long long} is .u64, an {@code int} .u32, a {@code float} .f32. A
 * mismatch here would be a silent garbage read on the GPU.
 */
class KernelSignatureTest {

    private static Map<String, List<String>> allEntries(PtxBundle b, int arch) {
        Map<String, List<String>> all = new HashMap<>();
        for (String m : b.modules()) {
            all.putAll(PtxBundle.entries(b.ptx(m, arch)));
        }
        return all;
    }

    private static List<String> ptxTypes(KernelArgs args) {
        List<String> out = new ArrayList<>();
        for (String kind : args.signature().split(",")) {
            out.add(switch (kind) {
                case "ptr", "i64" -> "u64";
                case "i32" -> "u32";
                case "f32" -> "f32";
                default -> throw new AssertionError(kind);
            });
        }
        return out;
    }

    private static void check(Map<String, List<String>> entries, String kernel, KernelArgs args) {
        List<String> params = entries.get(kernel);
        assertNotNull(params, kernel + " missing from PTX");
        assertEquals(params, ptxTypes(args), "parameters of " + kernel);
    }

    @Test
    void hostArgumentListsMatchThePtxSignatures() {
        PtxBundle b = PtxBundleTest.bundleOrSkip();
        for (int arch : b.archs()) {
            Map<String, List<String>> e = allEntries(b, arch);
            try (Arena a = Arena.ofConfined()) {
                for (GgmlType t : Kernels.WEIGHT_TYPES) {
                    String s = Kernels.suffix(t);
                    check(e, "embed_" + s, Kernels.embed(a, 1, 2, 3, 4, 5));
                    check(e, "dequant_" + s, Kernels.dequant(a, 1, 2, 3, 4));
                    check(e, "gemv_" + s, Kernels.gemv(a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
                    check(e, "gemm_" + s, Kernels.gemm(a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14));
                }
                check(e, "rmsnorm", Kernels.rmsnorm(a, 1, 2, 3, 4, 1e-5f));
                check(e, "rope", Kernels.rope(a, 1, 2, 3, 4, 5, 6, 1e4f));
                check(e, "add_inplace", Kernels.addInplace(a, 1, 2, 3));
                check(e, "swiglu", Kernels.swiglu(a, 1, 2, 3));
                for (String kv : List.of("f16", "f32")) {
                    check(e, "kv_store_" + kv, Kernels.kvStore(a, 1, 2, 3, 4, 5, 6, 7));
                    check(e, "attn_decode_" + kv, Kernels.attentionDecode(a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0.1f));
                    check(e, "attn_prefill_" + kv, Kernels.attentionPrefill(a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0.1f));
                }
                check(e, "attn_decode_combine", Kernels.attentionDecodeCombine(a, 1, 2, 3, 4, 5, 6));
                check(e, "moe_topk", Kernels.moeTopK(a, 1, 2, 3, 4, 5, 6));
                check(e, "moe_group", Kernels.moeGroup(a, 1, 2, 3, 4, 5, 6));
                check(e, "moe_combine", Kernels.moeCombine(a, 1, 2, 3, 4, 5));
            }
        }
    }
}
