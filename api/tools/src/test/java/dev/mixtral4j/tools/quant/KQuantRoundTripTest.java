package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * quantize then dequantize of K-quants stays within a bound built from the layout: 1.5 steps of
 * the group's own grid (half a step of rounding, up to one more where the search lets the extreme
 * code clamp), plus the error of storing each group's scale (and min) with 4, 6 or 8 bits relative
 * to the super-block's largest, plus f16 rounding of the super-block scales (relative, or absolute
 * where they are subnormal). Q8_K's scale is a float32 and needs neither.
 */
class KQuantRoundTripTest {

    /**
     * @param group   values per group sharing one scale
     * @param steps   grid steps spanning a group (codes - 1 for asymmetric, codes/2 for symmetric)
     * @param scaleQ  largest code of the quantized group scales
     * @param asym    asymmetric (scale and min) rather than symmetric
     */
    private record Shape(int group, int steps, int scaleQ, boolean asym) {
    }

    private static Shape shape(GgmlType type) {
        return switch (type) {
            case Q2_K -> new Shape(16, 3, 15, true);
            case Q3_K -> new Shape(16, 4, 32, false);
            case Q4_K -> new Shape(32, 15, 63, true);
            case Q5_K -> new Shape(32, 31, 63, true);
            case Q6_K -> new Shape(16, 32, 128, false);
            case Q8_K -> new Shape(256, 127, 1, false);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @ParameterizedTest
    @CsvSource({"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void errorStaysWithinTheLayoutsBound(GgmlType type) {
        Shape s = shape(type);
        float[] x = TestData.mixed(53 + type.id(), 256 * 48, 256);
        float[] y = Dequantizer.dequantize(type, Quantizer.quantize(type, x), x.length);
        for (int b = 0; b < x.length; b += 256) {
            float blockSpan = 0f;
            for (int g = b; g < b + 256; g += s.group) {
                blockSpan = Math.max(blockSpan, span(x, g, s));
            }
            for (int g = b; g < b + 256; g += s.group) {
                float groupSpan = span(x, g, s);
                float limit = groupSpan * 1.5f / s.steps + (s.scaleQ > 1 ? blockSpan * 2f / s.scaleQ : 0f)
                        + blockSpan * 0x1p-9f + subnormalScaleError(s);
                for (int i = g; i < g + s.group; i++) {
                    if (!(Math.abs(x[i] - y[i]) <= limit)) {
                        fail(type + " element " + i + ": " + x[i] + " came back as " + y[i] + ", bound " + limit);
                    }
                }
            }
        }
    }

    /**
     * A super-block scale below 2^-14 is an f16 subnormal, exact only to 2^-25; multiplied by the
     * largest group-scale code and the largest value code (twice over with a min).
     */
    private static float subnormalScaleError(Shape s) {
        return s.scaleQ == 1 ? 0f : 0x1p-25f * s.scaleQ * (s.steps + 1) * (s.asym ? 2 : 1);
    }

    /** Asymmetric K-quants always keep 0 in range (min <= 0); symmetric ones span [-amax, amax]. */
    private static float span(float[] x, int from, Shape s) {
        float min = 0f;
        float max = 0f;
        for (int i = from; i < from + s.group; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
        }
        return s.asym ? max - min : Math.max(max, -min);
    }

    @ParameterizedTest
    @CsvSource({"Q2_K, 0.45", "Q3_K, 0.2", "Q4_K, 0.1", "Q5_K, 0.05", "Q6_K, 0.025", "Q8_K, 0.008"})
    void gaussianWeightsKeepTheirUsualAccuracy(GgmlType type, double maxRelativeRms) {
        SplittableRandom r = new SplittableRandom(78);
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
        assertTrue(rel < maxRelativeRms && rel > 0, type + " relative RMS error " + rel);
    }
}
