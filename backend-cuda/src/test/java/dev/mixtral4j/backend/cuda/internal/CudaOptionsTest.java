package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;

class CudaOptionsTest {

    @Test
    void defaults() {
        CudaOptions o = CudaOptions.from(LoadOptions.builder().backend("cuda").build());
        assertEquals(0, o.device());
        assertEquals(GgmlType.F16, o.kvCacheType());
        assertEquals(512L << 20, o.reserveBytes());
        assertEquals(32, o.maxSplits());
        assertEquals(512, o.batchSize());
    }

    @Test
    void readsItsOwnKeysAndIgnoresOtherBackends() {
        CudaOptions o = CudaOptions.from(LoadOptions.builder().device(1).kvCacheType(GgmlType.F32)
                .option("cuda.reserveMiB", "1024").option("cuda.attentionSplits", " 8 ")
                .option("llamacpp.path", "/x").build());
        assertEquals(1, o.device());
        assertEquals(GgmlType.F32, o.kvCacheType());
        assertEquals(1024L << 20, o.reserveBytes());
        assertEquals(8, o.maxSplits());
    }

    @Test
    void rejectsUnknownKeysBadNumbersAndBadRanges() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> CudaOptions.from(LoadOptions.builder().option("cuda.reserveMb", "1").build()));
        assertTrue(unknown.getMessage().contains("cuda.reserveMb") && unknown.getMessage().contains("cuda.reserveMiB"),
                unknown.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> CudaOptions.from(LoadOptions.builder().option("cuda.reserveMiB", "lots").build()));
        assertTrue(nan.getMessage().contains("'lots'"), nan.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CudaOptions.from(LoadOptions.builder().option("cuda.attentionSplits", "0").build()));
        assertThrows(IllegalArgumentException.class,
                () -> CudaOptions.from(LoadOptions.builder().option("cuda.reserveMiB", "-1").build()));
        assertThrows(IllegalArgumentException.class, () -> CudaOptions.from(LoadOptions.builder().device(-1).build()));
        assertThrows(IllegalArgumentException.class, () -> new CudaOptions(0, 0, 1, GgmlType.Q8_0, 0, 1));
    }
}
