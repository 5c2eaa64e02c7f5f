package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.routing.RoutingTrace;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Reads the router's choice out of llama.cpp's graph while it is computed: a graph evaluation
 * callback ({@code llama_context_params.cb_eval}, a {@code ggml_backend_sched_eval_callback})
 * that asks for the tensors {@code build_moe_ffn} names {@code ffn_moe_topk-<layer>} (the experts,
 * a view of the descending argsort of the router probabilities, so best first),
 * {@code ffn_moe_weights_norm-<layer>} (their renormalised weights) and, when asked,
 * {@code ffn_moe_probs-<layer>} (the softmax over all experts), and copies them into the trace of
 * the forward call in progress.
 *
 * <p>A context only gets the callback while a listener is attached: with a callback, ggml computes
 * the graph in pieces and synchronizes after every piece. The callback runs on the thread that
 * called {@code llama_decode}; it never throws into native code (a failure is kept and reported
 * by {@link #finish()}).
 *
 * <p>The few fields read from {@code struct ggml_tensor} (type, ne, nb, buffer, view_src, data,
 * name) are at the offsets of ggml v0.5.0's layout on 64-bit platforms; the layout is checked
 * against {@code ggml_get_name} on the first tensor seen, and a mismatch fails the trace instead
 * of misreading memory. Owns the upcall stub (freed by {@link #close()}, after the context that
 * uses it).
 */
final class RoutingTap implements AutoCloseable {
    private static final long TYPE = 0;
    private static final long BUFFER = 8;
    private static final long NE = 16;
    private static final long NB = 48;
    private static final long VIEW_SRC = 232;
    private static final long DATA = 248;
    private static final long NAME = 256;
    private static final int NAME_LENGTH = 64;
    private static final long TENSOR_SIZE = 336;
    private static final int GGML_TYPE_F32 = 0;
    private static final int GGML_TYPE_I32 = 26;

    private static final byte[] TOPK = "ffn_moe_topk-".getBytes();
    private static final byte[] WEIGHTS = "ffn_moe_weights_norm-".getBytes();
    private static final byte[] PROBS = "ffn_moe_probs-".getBytes();

    private enum Kind { EXPERTS, WEIGHTS, PROBABILITIES }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment stub;
    private final int layers;
    private final int expertCount;
    private final int expertsUsed;
    private final byte[] name = new byte[NAME_LENGTH];
    private boolean layoutChecked;
    private MemorySegment scratch = MemorySegment.NULL;

    // the forward call in progress
    private RoutingTrace.Builder trace;
    private final int[] expertsDone;
    private final int[] weightsDone;
    private final int[] probabilitiesDone;
    /** Index in the trace after the batch's last token. */
    private int end;
    private float[] row;
    private String failure;

    RoutingTap(int layers, int expertCount, int expertsUsed) {
        this.layers = layers;
        this.expertCount = expertCount;
        this.expertsUsed = expertsUsed;
        this.expertsDone = new int[layers];
        this.weightsDone = new int[layers];
        this.probabilitiesDone = new int[layers];
        try {
            MethodHandle callback = MethodHandles.lookup().findVirtual(RoutingTap.class, "onTensor",
                    MethodType.methodType(boolean.class, MemorySegment.class, boolean.class, MemorySegment.class))
                    .bindTo(this);
            stub = Linker.nativeLinker().upcallStub(callback, FunctionDescriptor.of(ValueLayout.JAVA_BOOLEAN,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_BOOLEAN, ValueLayout.ADDRESS), arena);
        } catch (ReflectiveOperationException e) {
            arena.close();
            throw new IllegalStateException(e);
        }
    }

    /** The function pointer to put in {@code cb_eval}. */
    MemorySegment callback() {
        return stub;
    }

    /** Starts collecting the routing of one batch: tokens {@code first .. first+n-1} of {@code builder}'s trace. */
    void begin(RoutingTrace.Builder builder, int first, int n) {
        trace = builder;
        java.util.Arrays.fill(expertsDone, first);
        java.util.Arrays.fill(weightsDone, first);
        java.util.Arrays.fill(probabilitiesDone, first);
        end = first + n;
        failure = null;
    }

    /** Stops collecting; call when a batch fails. */
    void abandon() {
        trace = null;
    }

    /**
     * Ends the batch, once every layer's experts and weights of every token have been seen.
     *
     * @throws IllegalStateException naming what went wrong or what is missing
     */
    void finish() {
        RoutingTrace.Builder b = trace;
        trace = null;
        if (failure != null) {
            throw new IllegalStateException("llama.cpp routing trace: " + failure);
        }
        for (int l = 0; l < layers; l++) {
            if (expertsDone[l] != end || weightsDone[l] != end || (b.wantsProbabilities() && probabilitiesDone[l] != end)) {
                throw new IllegalStateException("llama.cpp routing trace: layer " + l + " reported experts up to token "
                        + expertsDone[l] + ", weights up to " + weightsDone[l] + ", expected " + end + " (graph tensors "
                        + "ffn_moe_topk-" + l + " / ffn_moe_weights_norm-" + l + " not seen as expected)");
            }
        }
    }

    /** The {@code ggml_backend_sched_eval_callback}: {@code ask} first, then again once the tensor is computed. */
    @SuppressWarnings("unused")
    private boolean onTensor(MemorySegment tensor, boolean ask, MemorySegment userData) {
        try {
            MemorySegment t = tensor.reinterpret(TENSOR_SIZE);
            if (!layoutChecked) {
                checkLayout(t);
            }
            Kind kind = kind(t);
            if (kind == null) {
                return false;
            }
            int layer = layer(kind);
            if (layer < 0 || layer >= layers) {
                return false;
            }
            RoutingTrace.Builder b = trace;
            if (ask) {
                return b != null && (kind != Kind.PROBABILITIES || b.wantsProbabilities());
            }
            if (b != null && failure == null) {
                read(t, kind, layer, b);
            }
            return true;
        } catch (Throwable e) {
            // nothing may unwind into ggml: remember it, fail the trace, let the graph finish
            if (failure == null) {
                failure = e.toString();
            }
            return !ask;
        }
    }

    private void checkLayout(MemorySegment t) throws Throwable {
        MemorySegment n = (MemorySegment) Natives.GET_NAME.invokeExact(t);
        if (n.address() != t.address() + NAME) {
            throw new IllegalStateException("struct ggml_tensor layout differs from ggml v0.5.0's (name at offset "
                    + (n.address() - t.address()) + ", expected " + NAME + "): routing traces are not available with "
                    + "this llama.cpp build");
        }
        layoutChecked = true;
    }

    private Kind kind(MemorySegment t) {
        MemorySegment.copy(t, ValueLayout.JAVA_BYTE, NAME, name, 0, NAME_LENGTH);
        if (name[0] != 'f' || name[1] != 'f' || name[2] != 'n' || name[3] != '_' || name[4] != 'm') {
            return null;
        }
        return startsWith(TOPK) ? Kind.EXPERTS : startsWith(WEIGHTS) ? Kind.WEIGHTS
                : startsWith(PROBS) ? Kind.PROBABILITIES : null;
    }

    private boolean startsWith(byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (name[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The layer number after the prefix, or -1 when the rest is not just a number. */
    private int layer(Kind kind) {
        int i = (kind == Kind.EXPERTS ? TOPK : kind == Kind.WEIGHTS ? WEIGHTS : PROBS).length;
        int layer = 0;
        int digits = 0;
        for (; i < NAME_LENGTH && name[i] != 0; i++, digits++) {
            if (name[i] < '0' || name[i] > '9' || digits > 6) {
                return -1;
            }
            layer = layer * 10 + (name[i] - '0');
        }
        return digits == 0 ? -1 : layer;
    }

    private void read(MemorySegment t, Kind kind, int layer, RoutingTrace.Builder b) throws Throwable {
        int type = t.get(ValueLayout.JAVA_INT, TYPE);
        long ne0 = t.get(ValueLayout.JAVA_LONG, NE);
        long ne1 = t.get(ValueLayout.JAVA_LONG, NE + 8);
        long ne2 = t.get(ValueLayout.JAVA_LONG, NE + 16);
        long ne3 = t.get(ValueLayout.JAVA_LONG, NE + 24);
        long nb0 = t.get(ValueLayout.JAVA_LONG, NB);
        long nb1 = t.get(ValueLayout.JAVA_LONG, NB + 8);
        long width = kind == Kind.PROBABILITIES ? expertCount : expertsUsed;
        int expectedType = kind == Kind.EXPERTS ? GGML_TYPE_I32 : GGML_TYPE_F32;
        int[] done = kind == Kind.EXPERTS ? expertsDone : kind == Kind.WEIGHTS ? weightsDone : probabilitiesDone;
        if (type != expectedType || ne0 != width || ne2 != 1 || ne3 != 1 || nb0 != 4 || nb1 < 4 * width
                || ne1 <= 0 || done[layer] + ne1 > end) {
            throw new IllegalStateException(new String(name, 0, nameLength()) + ": unexpected tensor (type " + type
                    + ", ne " + ne0 + "x" + ne1 + "x" + ne2 + "x" + ne3 + ", nb0 " + nb0 + ", nb1 " + nb1 + ") with "
                    + done[layer] + " of " + end + " tokens read");
        }
        MemorySegment owner = t.get(ValueLayout.ADDRESS, VIEW_SRC);
        MemorySegment buffer = owner.equals(MemorySegment.NULL) ? t.get(ValueLayout.ADDRESS, BUFFER)
                : owner.reinterpret(TENSOR_SIZE).get(ValueLayout.ADDRESS, BUFFER);
        if (buffer.equals(MemorySegment.NULL) || t.get(ValueLayout.ADDRESS, DATA).equals(MemorySegment.NULL)) {
            throw new IllegalStateException(new String(name, 0, nameLength()) + " has no data");
        }
        long bytes = (long) Natives.NBYTES.invokeExact(t);
        long needed = (ne1 - 1) * nb1 + 4 * width;
        if (bytes < needed) {
            throw new IllegalStateException(new String(name, 0, nameLength()) + ": " + bytes + " bytes, " + needed
                    + " expected");
        }
        MemorySegment host = scratch(needed);
        // ggml copies from the tensor's backend buffer (device memory too) into host memory
        Natives.TENSOR_GET.invokeExact(t, host, 0L, needed);
        int first = done[layer];
        for (int i = 0; i < ne1; i++) {
            long at = i * nb1;
            switch (kind) {
                case EXPERTS -> {
                    for (int j = 0; j < expertsUsed; j++) {
                        int e = host.get(ValueLayout.JAVA_INT, at + 4L * j);
                        if (e < 0 || e >= expertCount) {
                            throw new IllegalStateException("ffn_moe_topk-" + layer + ": expert " + e + " outside [0, "
                                    + expertCount + ")");
                        }
                        // the weight follows from its own tensor; keep the expert's slot now
                        b.choose(layer, first + i, j, e, Float.NaN);
                    }
                }
                case WEIGHTS -> {
                    for (int j = 0; j < expertsUsed; j++) {
                        b.weight(layer, first + i, j, host.get(ValueLayout.JAVA_FLOAT, at + 4L * j));
                    }
                }
                case PROBABILITIES -> {
                    if (row == null) {
                        row = new float[expertCount];
                    }
                    MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, at, row, 0, expertCount);
                    b.probabilities(layer, first + i, row, 0);
                }
            }
        }
        done[layer] += (int) ne1;
    }

    private int nameLength() {
        int n = 0;
        while (n < NAME_LENGTH && name[n] != 0) {
            n++;
        }
        return n;
    }

    private MemorySegment scratch(long bytes) {
        if (scratch.byteSize() < bytes) {
            scratch = arena.allocate(Math.max(bytes, 2 * scratch.byteSize()), 8);
        }
        return scratch;
    }

    /** Frees the upcall stub; no context may still hold it. */
    @Override
    public void close() {
        arena.close();
    }

    /** Hand-written downcalls (the generated bindings cover llama.h, not these ggml functions). */
    static final class Natives {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final SymbolLookup LOOKUP = SymbolLookup.loaderLookup();

        static final MethodHandle GET_NAME = handle("ggml_get_name",
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        static final MethodHandle NBYTES = handle("ggml_nbytes",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        static final MethodHandle TENSOR_GET = handle("ggml_backend_tensor_get", FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        static final MethodHandle STATE_SEQ_GET_SIZE = handle("llama_state_seq_get_size",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        static final MethodHandle STATE_SEQ_GET_DATA = handle("llama_state_seq_get_data", FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
        static final MethodHandle STATE_SEQ_SET_DATA = handle("llama_state_seq_set_data", FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));

        private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(LOOKUP.findOrThrow(name), descriptor);
        }

        private Natives() {
        }
    }
}
