package dev.mixtral4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.mixtral4j.gguf.GgmlType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * K-quant super-blocks assembled in the test from random codes and scales following the layouts
 * documented in docs/quantization.md, decoded, and compared with the values the formulas give.
 */
class HandMadeKQuantBlocksTest {

    private static final float D = 0.5f;
    private static final short D_BITS = 0x3800;
    private static final float DMIN = 0.25f;
    private static final short DMIN_BITS = 0x3400;

    private final SplittableRandom random = new SplittableRandom(2024);

    private static void half(byte[] b, int off, short h) {
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >>> 8);
    }

    private int[] randoms(int n, int bound) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextInt(bound);
        }
        return v;
    }

    @Test
    void q4_K() {
        int[] sc = randoms(8, 64);
        int[] mn = randoms(8, 64);
        int[] q = randoms(256, 16);
        byte[] b = new byte[144];
        half(b, 0, D_BITS);
        half(b, 2, DMIN_BITS);
        packK4Scales(sc, mn, b, 4);
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            int at = 16 + (e / 64) * 32 + e % 32;
            b[at] |= (byte) (e % 64 < 32 ? q[e] : q[e] << 4);
            int j = e / 32;
            expected[e] = D * sc[j] * q[e] - DMIN * mn[j];
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q4_K, b, 256));
    }

    @Test
    void q5_K() {
        int[] sc = randoms(8, 64);
        int[] mn = randoms(8, 64);
        int[] q = randoms(256, 32);
        byte[] b = new byte[176];
        half(b, 0, D_BITS);
        half(b, 2, DMIN_BITS);
        packK4Scales(sc, mn, b, 4);
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            int low = q[e] & 15;
            int at = 48 + (e / 64) * 32 + e % 32;
            b[at] |= (byte) (e % 64 < 32 ? low : low << 4);
            if (q[e] > 15) {
                b[16 + e % 32] |= (byte) (1 << (e / 32));
            }
            int j = e / 32;
            expected[e] = D * sc[j] * q[e] - DMIN * mn[j];
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q5_K, b, 256));
    }

    /** 6-bit scale j and min j: j < 4 in bytes j and j+4; j >= 4 split over byte j+4 and the top bits of j-4, j. */
    private static void packK4Scales(int[] sc, int[] mn, byte[] b, int o) {
        for (int j = 0; j < 4; j++) {
            b[o + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
            b[o + j + 4] = (byte) (mn[j] | (mn[j + 4] >> 4) << 6);
            b[o + j + 8] = (byte) ((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
        }
    }

    @Test
    void q6_K() {
        int[] sc = randoms(16, 256);
        int[] q = randoms(256, 64);
        byte[] b = new byte[210];
        half(b, 208, D_BITS);
        for (int g = 0; g < 16; g++) {
            b[192 + g] = (byte) sc[g];
        }
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int k = (e % 128) / 32;
            int l = e % 32;
            int at = 64 * h + l + 32 * (k & 1);
            b[at] |= (byte) (k < 2 ? q[e] & 15 : (q[e] & 15) << 4);
            b[128 + 32 * h + l] |= (byte) ((q[e] >> 4) << (2 * k));
            expected[e] = D * (byte) sc[e / 16] * (q[e] - 32);
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q6_K, b, 256));
    }

    @Test
    void q2_K() {
        int[] sc = randoms(16, 16);
        int[] mn = randoms(16, 16);
        int[] q = randoms(256, 4);
        byte[] b = new byte[84];
        half(b, 80, D_BITS);
        half(b, 82, DMIN_BITS);
        for (int g = 0; g < 16; g++) {
            b[g] = (byte) (sc[g] | mn[g] << 4);
        }
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int k = (e % 128) / 32;
            b[16 + 32 * h + e % 32] |= (byte) (q[e] << (2 * k));
            expected[e] = D * sc[e / 16] * q[e] - DMIN * mn[e / 16];
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q2_K, b, 256));
    }

    @Test
    void q3_K() {
        int[] sc = randoms(16, 64);
        int[] q = randoms(256, 8);
        byte[] b = new byte[110];
        half(b, 108, D_BITS);
        for (int g = 0; g < 16; g++) {
            b[96 + g % 8] |= (byte) (g < 8 ? sc[g] & 15 : (sc[g] & 15) << 4);
            b[96 + 8 + g % 4] |= (byte) ((sc[g] >> 4) << (2 * (g / 4)));
        }
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int k = (e % 128) / 32;
            b[32 + 32 * h + e % 32] |= (byte) ((q[e] & 3) << (2 * k));
            if (q[e] > 3) {
                b[e % 32] |= (byte) (1 << (e / 32));
            }
            // the stored high bit set means "no -4": code q in 0..7 is the value q - 4
            expected[e] = D * (sc[e / 16] - 32) * (q[e] - 4);
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q3_K, b, 256));
    }

    @Test
    void q8_K() {
        int[] q = randoms(256, 256);
        byte[] b = new byte[292];
        float d = 0.0123f;
        int bits = Float.floatToIntBits(d);
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (bits >>> (8 * i));
        }
        float[] expected = new float[256];
        for (int e = 0; e < 256; e++) {
            b[4 + e] = (byte) q[e];
            expected[e] = d * (byte) q[e];
        }
        assertArrayEquals(expected, Dequantizer.dequantize(GgmlType.Q8_K, b, 256));
    }
}
