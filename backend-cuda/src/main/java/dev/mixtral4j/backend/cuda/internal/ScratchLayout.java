package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The activation buffers one session needs for a batch of up to {@code batch} tokens, carved
 * out of a single device allocation at 256-byte aligned offsets. The memory planner and the
 * session both use this class, so the planned size is the allocated size.
 */
public final class ScratchLayout {
    public static final int ALIGN = 256;

    private final Map<String, long[]> regions = new LinkedHashMap<>();   // name -> {offset, bytes}
    private long total;
    private final int batch;
    private final int maxSplits;

    public ScratchLayout(ModelConfig c, int batch, int maxSplits) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be positive: " + batch);
        }
        this.batch = batch;
        this.maxSplits = maxSplits;
        long b = batch;
        int d = c.embeddingLength();
        int qDim = c.headCount() * c.headDim();
        int kv = c.kvDim();
        int k = Math.max(1, c.expertUsedCount());
        int e = Math.max(1, c.expertCount());
        int ff = c.feedForwardLength();
        add("tokens", b * Integer.BYTES);
        add("x", b * d * Float.BYTES);
        add("xn", b * d * Float.BYTES);
        add("q", b * qDim * Float.BYTES);
        add("k", b * kv * Float.BYTES);
        add("v", b * kv * Float.BYTES);
        add("att", b * qDim * Float.BYTES);
        add("proj", b * d * Float.BYTES);
        add("router", b * e * Float.BYTES);
        add("ids", b * k * Integer.BYTES);
        add("weights", b * k * Float.BYTES);
        add("counts", (long) e * Integer.BYTES);
        add("list", (long) e * b * Integer.BYTES);
        add("gate", b * k * ff * Float.BYTES);
        add("up", b * k * ff * Float.BYTES);
        add("down", b * k * d * Float.BYTES);
        add("logits", b * c.vocabSize() * Float.BYTES);
        add("partO", (long) c.headCount() * maxSplits * c.headDim() * Float.BYTES);
        add("partML", (long) c.headCount() * maxSplits * 2 * Float.BYTES);
    }

    private void add(String name, long bytes) {
        long offset = align(total);
        regions.put(name, new long[] {offset, bytes});
        total = offset + bytes;
    }

    public static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    public int batch() {
        return batch;
    }

    public int maxSplits() {
        return maxSplits;
    }

    /** Offset of a named buffer from the start of the allocation. */
    public long offset(String name) {
        return region(name)[0];
    }

    public long bytes(String name) {
        return region(name)[1];
    }

    private long[] region(String name) {
        long[] r = regions.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no scratch buffer '" + name + "'");
        }
        return r;
    }

    public Iterable<String> names() {
        return regions.keySet();
    }

    /** Bytes of the whole allocation. */
    public long totalBytes() {
        return align(total);
    }
}
