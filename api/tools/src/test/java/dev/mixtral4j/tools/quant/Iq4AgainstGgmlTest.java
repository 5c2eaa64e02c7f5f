package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our IQ4 encoders are not byte-identical to GGML's (a different scale search), so they are held
 * to its accuracy instead: on Gaussian weights and on the mixed corner-case data, the RMS error of
 * what our bytes decode to is no worse than that of GGML's own {@code from_float_ref} bytes
 * (decoded by GGML). Skipped (with the reason) when the prebuilt libggml-base.so is not there.
 */
class Iq4AgainstGgmlTest {

    private static GgmlNative ggml;

    @BeforeAll
    static void load() {
        ggml = GgmlNative.loadOrSkip();
    }

    @AfterAll
    static void unload() {
        if (ggml != null) {
            ggml.close();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void asAccurateAsGgmlsQuantizer(GgmlType type) {
        SplittableRandom r = new SplittableRandom(5);
        float[] gaussian = new float[256 * 128];
        for (int i = 0; i < gaussian.length; i++) {
            gaussian[i] = (float) (r.nextGaussian() * 0.02);
        }
        float[] mixed = TestData.mixed(17 + type.id(), 256 * 128, 256);
        for (float[] x : new float[][] {gaussian, mixed}) {
            double ours = Iq4EncoderTest.relativeRms(x, Dequantizer.dequantize(type, Quantizer.quantize(type, x), x.length));
            double theirs = Iq4EncoderTest.relativeRms(x, ggml.toFloat(type, ggml.fromFloatRef(type, x), x.length));
            System.out.printf("%s relative RMS error: ours %.5f, ggml %.5f%n", type, ours, theirs);
            assertTrue(ours <= theirs * 1.001, type + ": ours " + ours + " vs ggml's " + theirs);
        }
    }
}
