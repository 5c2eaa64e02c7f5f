package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.quant.LittleEndian;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The IQ4_NL and IQ4_XS encoders, checked through the api's reference decoders. */
class Iq4EncoderTest {

    private static final int[] K = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** Half the widest gap a value inside [-127 d, 127 d] can fall in (113..127): the naive scale's worst case. */
    private static final float NAIVE_STEP = 14f / 127;

    private static float[] roundTrip(GgmlType type, float[] x) {
        return Dequantizer.dequantize(type, Quantizer.quantize(type, x), x.length);
    }

    private static float half(SplittableRandom r, double min, double max) {
        float v = Float.float16ToFloat(Float.floatToFloat16((float) Math.exp(r.nextDouble(Math.log(min), Math.log(max)))));
        return r.nextBoolean() ? v : -v;
    }

    /** Random bytes a decoder can read: f16 scales of both signs and of many magnitudes, every code and level. */
    private static byte[] gridBlocks(GgmlType type, long seed, int blocks) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] q = TestData.randomBytes(seed, (int) type.bytesFor((long) blocks * type.blockSize()));
        for (int b = 0; b < blocks; b++) {
            int o = b * type.blockBytes();
            LittleEndian.putHalf(q, o, half(r, 1e-4, 100));
            if (type == GgmlType.IQ4_XS && r.nextInt(4) == 0) {
                // a group whose codes are all small: its largest value sits inside the table
                int g = r.nextInt(8);
                for (int j = 0; j < 16; j++) {
                    q[o + 8 + 16 * g + j] = (byte) (0x88 + r.nextInt(2) * 0x11);
                }
            }
        }
        return q;
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void valuesAlreadyOnTheGridComeBackExactly(GgmlType type) {
        int n = 256 * 200;
        float[] x = Dequantizer.dequantize(type, gridBlocks(type, 11 + type.id(), n / type.blockSize()), n);
        float[] y = roundTrip(type, x);
        for (int i = 0; i < n; i++) {
            if (x[i] != y[i]) {
                fail(type + " element " + i + ": on-grid " + x[i] + " came back as " + y[i]);
            }
        }
    }

    /**
     * Per 32-value group, the RMS error stays below what the plain scale (largest value on -127)
     * guarantees, half the widest gap reachable: the search has that scale among its candidates
     * and only keeps better ones. IQ4_XS adds the rounding of the group scale to its 6-bit level,
     * at most one step of the super-scale d times the largest table entry.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void errorStaysWithinTheSearchesBound(GgmlType type) {
        float[] x = TestData.mixed(31 + type.id(), 256 * 60, 256);
        byte[] q = Quantizer.quantize(type, x);
        float[] y = Dequantizer.dequantize(type, q, x.length);
        for (int g = 0; g < x.length; g += 32) {
            float amax = 0;
            double err = 0;
            for (int i = g; i < g + 32; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            }
            double rms = Math.sqrt(err / 32);
            double limit = amax * (NAIVE_STEP + 0x1p-8) + 127 * 0x1p-24;
            if (type == GgmlType.IQ4_XS) {
                float d = LittleEndian.getHalf(q, g / 256 * 136);
                limit += 127 * Math.abs(d);
            }
            if (!(rms <= limit)) {
                fail(type + " group at " + g + ": RMS error " + rms + " above " + limit + " (amax " + amax + ")");
            }
        }
    }

    /** Gaussian weights, the case that matters: both measured at ~0.073 relative RMS, and better than Q4_0 on the same data. */
    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void gaussianWeightsKeepTheAccuracyOfA4BitType(GgmlType type) {
        SplittableRandom r = new SplittableRandom(77);
        float[] x = new float[256 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 0.02);
        }
        double rel = relativeRms(x, roundTrip(type, x));
        assertTrue(rel < 0.085 && rel > 0.02, type + " relative RMS error " + rel);
        double q40 = relativeRms(x, roundTrip(GgmlType.Q4_0, x));
        assertTrue(rel < q40, type + " " + rel + " is no better than Q4_0's " + q40);
    }

    static double relativeRms(float[] x, float[] y) {
        double err = 0;
        double ref = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ref += x[i] * (double) x[i];
        }
        return Math.sqrt(err / ref);
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void zerosStayPositiveZeros(GgmlType type) {
        float[] x = new float[512];
        byte[] q = Quantizer.quantize(type, x);
        float[] y = Dequantizer.dequantize(type, q, x.length);
        for (int i = 0; i < y.length; i++) {
            assertEquals(0, Float.floatToRawIntBits(y[i]), type + " element " + i);
        }
        // a zero group inside a busy IQ4_XS super-block gets level 0 and comes back as zeros too
        float[] mixed = TestData.mixed(5, 256, 256);
        java.util.Arrays.fill(mixed, 64, 96, 0f);
        float[] back = roundTrip(type, mixed);
        for (int i = 64; i < 96; i++) {
            assertEquals(0f, back[i], 0f, type + " element " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void nonFiniteValuesAreRefusedNamingTheIndex(GgmlType type) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = TestData.mixed(9, 1024, 256);
            x[517] = bad;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizer.quantize(type, x, 256, 768));
            assertTrue(e.getMessage().contains("src[517]") && e.getMessage().contains(type.name())
                    && e.getMessage().contains(Float.toString(bad)), e.getMessage());
        }
    }

    /**
     * Values beyond what the largest f16 scale reaches (65504 * 127, and * 32 for IQ4_XS)
     * saturate at the extreme codes with their signs; below that they keep the usual accuracy.
     */
    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void hugeValuesSaturateAndLargeOnesKeepTheirAccuracy(GgmlType type) {
        double reach = 65504.0 * 127 * (type == GgmlType.IQ4_XS ? 32 : 1);
        SplittableRandom r = new SplittableRandom(3);
        float[] large = new float[256];
        float[] huge = new float[256];
        for (int i = 0; i < 256; i++) {
            large[i] = (float) (r.nextGaussian() * reach / 20);
            huge[i] = (i % 2 == 0 ? 1 : -1) * Float.MAX_VALUE / (1 + i);
        }
        assertTrue(relativeRms(large, roundTrip(type, large)) < 0.12, "large values lost their accuracy");
        float[] y = roundTrip(type, huge);
        for (int i = 0; i < 256; i++) {
            assertTrue(Float.isFinite(y[i]) && Math.signum(y[i]) == Math.signum(huge[i])
                    && Math.abs(y[i]) >= 0.8 * reach && Math.abs(y[i]) <= reach, type + " element " + i + ": " + y[i]);
        }
    }

    /** Values too small for any f16 scale come back as zeros, not as garbage. */
    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void tinyValuesFlushToZero(GgmlType type) {
        float[] x = new float[256];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 3 - 1) * 1e-12f;
        }
        for (float v : roundTrip(type, x)) {
            assertEquals(0f, v, 0f);
        }
    }

    @Test
    void theTableIsGgmlsAndTheLayoutTheDecodersOne() {
        // one IQ4_NL block with d = 1 and every code once per half: the nibbles must land where the decoder reads them
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = K[j];
            x[j + 16] = K[15 - j];
        }
        byte[] q = Quantizer.quantize(GgmlType.IQ4_NL, x);
        assertEquals(1f, LittleEndian.getHalf(q, 0));
        for (int j = 0; j < 16; j++) {
            assertEquals(j | (15 - j) << 4, q[2 + j] & 0xFF, "byte " + j);
        }
    }
}
