package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LaunchesTest {

    @Test
    void gemvGivesEveryRowOneWarpAndNoSpareBlock() {
        for (int rows : new int[] {1, 7, 8, 9, 4096, 14336, 32000}) {
            LaunchConfig c = Launches.gemv(rows, 2);
            assertEquals(256, c.blockX());
            assertEquals(2, c.gridY());
            assertTrue((long) c.gridX() * 8 >= rows, "covers " + rows);
            assertTrue((long) (c.gridX() - 1) * 8 < rows, "no idle block for " + rows);
        }
    }

    @Test
    void gemmTilesCoverBothDimensionsAndExperts() {
        LaunchConfig c = Launches.gemm(14336, 512, 8);
        assertEquals(224, c.gridX());   // 14336 / 64
        assertEquals(8, c.gridY());     // 512 / 64
        assertEquals(8, c.gridZ());
        assertEquals(128, c.blockX());
        LaunchConfig odd = Launches.gemm(100, 65, 1);
        assertEquals(2, odd.gridX());
        assertEquals(2, odd.gridY());
        assertEquals(1, odd.gridZ());
    }

    /**
     * Replays the decode kernel's key assignment (split s covers first + s*per .. first +
     * (s+1)*per, cut at the query) and checks every visible key lands in exactly one non-empty split.
     */
    @Test
    void decodeSplitsPartitionTheVisibleKeys() {
        for (int keys : new int[] {1, 2, 255, 256, 257, 511, 1000, 4096, 32768, 100_000}) {
            for (int max : new int[] {1, 3, 32, 64, 1024}) {
                Launches.DecodeSplit s = Launches.decodeSplit(keys, max);
                assertTrue(s.splits() >= 1 && s.splits() <= max, keys + "/" + max + ": " + s);
                int covered = 0;
                for (int i = 0; i < s.splits(); i++) {
                    int lo = i * s.keysPerSplit();
                    int hi = Math.min(lo + s.keysPerSplit(), keys);
                    assertTrue(hi > lo, "split " + i + " of " + s + " is empty for " + keys + " keys");
                    covered += hi - lo;
                }
                assertEquals(keys, covered, keys + " keys, " + s);
                if (keys >= Launches.MIN_KEYS_PER_SPLIT * 2 && max >= 2) {
                    assertTrue(s.splits() >= 2, "long contexts are split: " + keys + " -> " + s);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Launches.decodeSplit(0, 4));
    }

    @Test
    void prefillSharedMemoryOptInOnlyForWideHeads() {
        // 8 queries + 32 padded keys + 32 values, in floats
        assertEquals(4 * (8 * 128 + 32 * 129 + 32 * 128), Launches.prefillSharedBytes(128));
        assertTrue(Launches.prefillSharedBytes(128) <= Launches.STATIC_SHARED_LIMIT);
        assertTrue(Launches.prefillSharedBytes(256) > Launches.STATIC_SHARED_LIMIT);
        LaunchConfig c = Launches.attentionPrefill(17, 32, 128);
        assertEquals(3, c.gridX());
        assertEquals(32, c.gridY());
        assertEquals(256, c.blockX());
    }

    @Test
    void elementwiseAndPerRowShapes() {
        assertEquals(16, Launches.elementwise(4096).gridX());
        assertEquals(17, Launches.elementwise(4097).gridX());
        assertEquals(1, Launches.elementwise(0).gridX());
        LaunchConfig e = Launches.perRowGroups(4096, 5);   // 512 groups of 8 -> 2 blocks of 256
        assertEquals(2, e.gridX());
        assertEquals(5, e.gridY());
        assertEquals(Launches.rope(3, 32, 128).gridX(), (3 * 32 * 64 + 255) / 256);
    }

    @Test
    void configsOutsideCudaLimitsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.of(1, 70000, 1, 32, 0));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.of(1, 1, 1, 2048, 0));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.of(0, 1, 1, 32, 0));
        assertThrows(IllegalArgumentException.class, () -> Launches.gemm(64, 64 * 70000, 1));
    }
}
