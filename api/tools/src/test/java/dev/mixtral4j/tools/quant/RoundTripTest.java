package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * quantize then dequantize stays within each format's worst-case error, derived from its layout:
 * half a step (a whole step where GGML clamps the extreme code), plus the f16 rounding of the
 * stored scale and minimum, plus the absolute resolution of f16 subnormal scales.
 */
class RoundTripTest {

    private static final float F16_REL = 0x1p-11f;
    private static final float F16_SUB = 0x1p-25f;

    /** Worst-case |x - x'| for one block whose values span [min, max]. */
    private static float bound(GgmlType type, float min, float max) {
        float amax = Math.max(Math.abs(min), Math.abs(max));
        float range = max - min;
        return switch (type) {
            case F32 -> 0f;
            case F16 -> amax * F16_REL + F16_SUB;
            case BF16 -> amax * 0x1p-8f;
            case Q8_0, Q8_1 -> amax * (0.5f / 127 + 2 * F16_REL) + 127 * F16_SUB;
            case Q4_0 -> amax * (1f / 8 + 2 * F16_REL) + 8 * F16_SUB;
            case Q5_0 -> amax * (1f / 16 + 2 * F16_REL) + 16 * F16_SUB;
            case Q4_1 -> range * (0.5f / 15 + 2 * F16_REL) + Math.abs(min) * F16_REL + 16 * F16_SUB;
            case Q5_1 -> range * (0.5f / 31 + 2 * F16_REL) + Math.abs(min) * F16_REL + 32 * F16_SUB;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @ParameterizedTest
    @CsvSource({"F32", "F16", "BF16", "Q8_0", "Q8_1", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void errorStaysWithinTheFormatsBound(GgmlType type) {
        float[] x = TestData.mixed(31 + type.id(), 256 * 40, 256);
        float[] y = Dequantizer.dequantize(type, Quantizer.quantize(type, x), x.length);
        int qk = type.blockSize();
        for (int b = 0; b < x.length; b += Math.max(qk, 32)) {
            int len = Math.max(qk, 32);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int i = b; i < b + len; i++) {
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
            }
            float limit = bound(type, min, max) * 1.0001f;
            for (int i = b; i < b + len; i++) {
                if (!(Math.abs(x[i] - y[i]) <= limit)) {
                    fail(type + " element " + i + ": " + x[i] + " came back as " + y[i] + ", bound " + limit);
                }
            }
        }
    }

    /** Typical weights (Gaussian) must come back with the accuracy each format is known for. */
    @ParameterizedTest
    @CsvSource({"F16, 0.0005", "BF16, 0.004", "Q8_0, 0.01", "Q8_1, 0.01", "Q5_0, 0.06", "Q5_1, 0.05",
        "Q4_0, 0.12", "Q4_1, 0.11"})
    void gaussianWeightsKeepTheirUsualAccuracy(GgmlType type, double maxRelativeRms) {
        SplittableRandom r = new SplittableRandom(77);
        float[] x = new float[256 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 0.02);
        }
        float[] y = Dequantizer.dequantize(type, Quantizer.quantize(type, x), x.length);
        double err = 0;
        double ref = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ref += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / ref);
        assertTrue(rel < maxRelativeRms, type + " relative RMS error " + rel);
        assertTrue(type == GgmlType.F32 || rel > 0, "a lossy format reproduced Gaussian noise exactly");
    }
}
