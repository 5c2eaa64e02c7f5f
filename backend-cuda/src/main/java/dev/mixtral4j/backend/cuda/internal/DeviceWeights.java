package dev.mixtral4j.backend.cuda.internal;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.LayerWeights;
import dev.mixtral4j.model.TensorCatalogue;
import dev.mixtral4j.model.WeightMatrix;
import dev.mixtral4j.spi.ProgressListener;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every weight of a model in device memory, copied from the mapped GGUF: matrices as stored
 * (the kernels read the quantised blocks in place), norms widened to F32, the experts of a
 * layer stacked in one allocation whatever the file's layout. Logs progress as it goes, and
 * reports its bytes to {@link ProgressListener#current()}.
 */
public final class DeviceWeights implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceWeights.class);
    private static final long CHUNK = 64L << 20;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Layer weights on the device. Norm vectors are plain F32 pointers. */
    public record Layer(long attnNorm, DeviceMatrix wq, DeviceMatrix wk, DeviceMatrix wv, DeviceMatrix wo,
                        long ffnNorm, DeviceMatrix router, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
    }

    private final List<Long> allocations = new ArrayList<>();
    private final Map<String, Long> byName = new HashMap<>();
    private DeviceMatrix embedding;
    private long outputNorm;
    private DeviceMatrix output;
    private final List<Layer> layers = new ArrayList<>();
    private long uploadedBytes;

    private DeviceWeights() {
    }

    public static DeviceWeights upload(TensorCatalogue t, String device) {
        DeviceWeights w = new DeviceWeights();
        try {
            w.uploadAll(t, device);
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private void uploadAll(TensorCatalogue t, String device) {
        List<MemoryPlanner.Upload> uploads = MemoryPlanner.uploads(t);
        long total = uploads.stream().mapToLong(MemoryPlanner.Upload::bytes).sum();
        long started = System.nanoTime();
        int lastPercent = -1;
        LOG.info("uploading {} tensors ({}) to {}", uploads.size(), MemoryPlan.gib(total), device);
        ProgressListener progress = ProgressListener.current();
        String task = "uploading weights to " + device;
        progress.progress(task, 0, total);
        for (MemoryPlanner.Upload u : uploads) {
            long ptr = CudaDriver.malloc(u.bytes(), u.name());
            allocations.add(ptr);
            byName.put(u.name(), ptr);
            if (u.asF32()) {
                copyAsF32(ptr, u.parts().getFirst());
            } else {
                long offset = 0;
                for (WeightMatrix part : u.parts()) {
                    MemorySegment src = part.data();
                    for (long o = 0; o < src.byteSize(); o += CHUNK) {
                        long n = Math.min(CHUNK, src.byteSize() - o);
                        CudaDriver.copyToDevice(ptr + offset + o, src.asSlice(o, n), n);
                        progress.progress(task, uploadedBytes + offset + o + n, total);
                    }
                    offset += src.byteSize();
                }
            }
            uploadedBytes += u.bytes();
            progress.progress(task, uploadedBytes, total);
            int percent = (int) (100 * uploadedBytes / Math.max(1, total));
            if (percent / 10 != lastPercent / 10) {
                lastPercent = percent;
                LOG.info("uploaded {}% ({} of {}) to {}", percent, MemoryPlan.gib(uploadedBytes), MemoryPlan.gib(total), device);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("weights on {}: {} in {} s ({} GB/s)", device, MemoryPlan.gib(total), String.format("%.1f", seconds),
                String.format("%.2f", total / 1e9 / Math.max(seconds, 1e-9)));

        embedding = matrix(t.tokenEmbedding());
        outputNorm = byName.get(t.outputNorm().name());
        output = matrix(t.output());
        for (LayerWeights l : t.layers()) {
            String b = "blk." + l.index() + ".";
            layers.add(new Layer(byName.get(l.attnNorm().name()), matrix(l.wq()), matrix(l.wk()), matrix(l.wv()),
                    matrix(l.wo()), byName.get(l.ffnNorm().name()), l.router() == null ? null : matrix(l.router()),
                    experts(b + "ffn_gate", l.gate()), experts(b + "ffn_up", l.up()), experts(b + "ffn_down", l.down())));
        }
    }

    private DeviceMatrix matrix(WeightMatrix w) {
        return new DeviceMatrix(w.name(), w.type(), byName.get(w.name()), w.rows(), w.columns(), w.rowBytes(),
                w.data().byteSize(), 1);
    }

    private DeviceMatrix experts(String name, List<WeightMatrix> parts) {
        WeightMatrix first = parts.getFirst();
        return new DeviceMatrix(name, first.type(), byName.get(name), first.rows(), first.columns(), first.rowBytes(),
                first.data().byteSize(), parts.size());
    }

    /** Norm weights: F32 as is, F16/BF16 widened on the host. */
    private static void copyAsF32(long dst, WeightMatrix w) {
        long n = (long) w.columns() * w.rows();
        if (w.type() == GgmlType.F32) {
            CudaDriver.copyToDevice(dst, w.data(), n * Float.BYTES);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.JAVA_FLOAT, n);
            for (long i = 0; i < n; i++) {
                short bits = w.data().get(LE_SHORT, 2 * i);
                float v = switch (w.type()) {
                    case F16 -> Float.float16ToFloat(bits);
                    case BF16 -> Float.intBitsToFloat((bits & 0xffff) << 16);
                    default -> throw new IllegalArgumentException(w.name() + ": norm weights of type " + w.type()
                            + " are not supported by the CUDA backend");
                };
                f.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
            CudaDriver.copyToDevice(dst, f, n * Float.BYTES);
        }
    }

    public DeviceMatrix embedding() {
        return embedding;
    }

    public long outputNorm() {
        return outputNorm;
    }

    public DeviceMatrix output() {
        return output;
    }

    public List<Layer> layers() {
        return layers;
    }

    public long bytes() {
        return uploadedBytes;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (long p : allocations) {
            try {
                CudaDriver.free(p);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        allocations.clear();
        byName.clear();
        if (first != null) {
            throw first;
        }
    }
}
