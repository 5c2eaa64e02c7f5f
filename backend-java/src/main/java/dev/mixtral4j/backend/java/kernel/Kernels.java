package dev.mixtral4j.backend.java.kernel;

import dev.mixtral4j.gguf.GgmlType;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The kernel for each tensor type this backend computes with. */
public final class Kernels {
    private static final Map<GgmlType, TensorKernel> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        for (TensorKernel k : new TensorKernel[] {
            new F32Kernel(), new F16Kernel(), new BF16Kernel(),
            new Q8_0Kernel(), new Q4_0Kernel(), new Q4_1Kernel(), new Q5_0Kernel(), new Q5_1Kernel(),
            new Q2_KKernel(), new Q3_KKernel(), new Q4_KKernel(), new Q5_KKernel(), new Q6_KKernel(),
            new IQ4_NLKernel(), new IQ4_XSKernel()}) {
            BY_TYPE.put(k.type(), k);
        }
    }

    private Kernels() {
    }

    public static Optional<TensorKernel> find(GgmlType type) {
        return Optional.ofNullable(BY_TYPE.get(type));
    }

    public static TensorKernel of(GgmlType type) {
        TensorKernel k = BY_TYPE.get(type);
        if (k == null) {
            throw new IllegalArgumentException("no kernel for tensor type " + type);
        }
        return k;
    }

    public static Set<GgmlType> supportedTypes() {
        return Collections.unmodifiableSet(BY_TYPE.keySet());
    }
}
