package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryPlanTest {
    static final ModelConfig MIXTRAL_8X7B = new ModelConfig("llama", 32768, 4096, 32, 14336, 32, 8, 128, 128,
            1e6f, 1e-5f, 8, 2, 32000, 0);

    @Test
    void kvCacheOfMixtral8x7b() {
        // 2 (K and V) x 32 layers x 4096 tokens x 8 KV heads x 128 dims x 2 bytes = 512 MiB
        assertEquals(512L << 20, MemoryPlanner.kvCacheBytes(MIXTRAL_8X7B, 4096, GgmlType.F16));
        assertEquals(1024L << 20, MemoryPlanner.kvCacheBytes(MIXTRAL_8X7B, 4096, GgmlType.F32));
        assertEquals(4096L << 20, MemoryPlanner.kvCacheBytes(MIXTRAL_8X7B, 32768, GgmlType.F16));
    }

    @Test
    void scratchRegionsAreAlignedDisjointAndLargeEnough() {
        ScratchLayout s = new ScratchLayout(MIXTRAL_8X7B, 512, 32);
        List<long[]> spans = new ArrayList<>();
        for (String n : s.names()) {
            assertEquals(0, s.offset(n) % 256, n + " aligned");
            spans.add(new long[] {s.offset(n), s.offset(n) + s.bytes(n)});
        }
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < spans.size(); i++) {
            assertTrue(spans.get(i)[0] >= spans.get(i - 1)[1], "regions overlap");
        }
        assertTrue(spans.getLast()[1] <= s.totalBytes());
        // the expert hidden activations: 512 tokens x 2 experts x 14336 floats
        assertEquals(512L * 2 * 14336 * 4, s.bytes("gate"));
        assertEquals(512L * 32000 * 4, s.bytes("logits"));
        assertEquals(8L * 512 * 4, s.bytes("list"));
        assertEquals(32L * 32 * 128 * 4, s.bytes("partO"));
        assertThrows(IllegalArgumentException.class, () -> s.offset("nope"));
    }

    @Test
    void planSumsItsPartsAndTheBatchIsCappedByTheContext() {
        MemoryPlan p = MemoryPlanner.plan(MIXTRAL_8X7B, 24L << 30, 128, 512, GgmlType.F16, 32);
        assertEquals(new ScratchLayout(MIXTRAL_8X7B, 128, 32).totalBytes(), p.scratchBytes());
        assertEquals(p.weightBytes() + p.kvCacheBytes() + p.scratchBytes(), p.totalBytes());
        assertEquals(p.kvCacheBytes() + p.scratchBytes(), p.sessionBytes());
    }

    @Test
    void doesNotFitNamesRequiredAndFreeMemory() {
        MemoryPlan p = new MemoryPlan(24L << 30, 4L << 30, 1L << 30, 32768);
        long need = p.totalBytes() + (512L << 20);
        assertDoesNotThrow(() -> p.checkFits(need, 512L << 20, "device 0 (Test GPU)"));
        DeviceMemoryException e = assertThrows(DeviceMemoryException.class,
                () -> p.checkFits(need - 1, 512L << 20, "device 0 (Test GPU)"));
        assertEquals(need, e.requiredBytes());
        assertEquals(need - 1, e.freeBytes());
        String m = e.getMessage();
        assertTrue(m.contains("device 0 (Test GPU)"), m);
        assertTrue(m.contains("needs 29.50 GiB"), m);
        assertTrue(m.contains("weights 24.00 GiB"), m);
        assertTrue(m.contains("KV cache 4.00 GiB for 32768 tokens"), m);
        assertTrue(m.contains("29.50 GiB are free"), m);   // one byte short still rounds to 29.50
        DeviceMemoryException s = assertThrows(DeviceMemoryException.class,
                () -> p.checkSessionFits(1L << 30, 0, "device 0"));
        assertTrue(s.getMessage().contains("session does not fit"), s.getMessage());
    }
}
