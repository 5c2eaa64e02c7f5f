package dev.mixtral4j.tools.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.quant.HalfFloats;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our quantizers and dequantizers against GGML's own, called through java.lang.foreign: bytes
 * must be identical and floats bitwise identical. Skipped (with the reason) when the prebuilt
 * libggml-base.so is not there.
 */
class GgmlBitExactnessTest {

    private static final int N = 256 * 64;

    /** Rounds of fresh data per type; raise it (-Dmixtral4j.quant.seeds=200) for a longer soak. */
    private static final int SEEDS = Integer.getInteger("mixtral4j.quant.seeds", 4);

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
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
        "Q5_K", "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS"})
    void ggmlTraitsMatchOurLayoutTable(GgmlType type) {
        assertEquals(type.blockSize(), ggml.blockSize(type), "blck_size");
        assertEquals(type.blockBytes(), ggml.typeSize(type), "type_size");
        assertEquals(type.name().toLowerCase(), ggml.typeName(type).toLowerCase(), "type_name");
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
        "Q5_K", "Q6_K", "Q8_K"})
    void quantizeProducesGgmlsBytes(GgmlType type) {
        for (long seed = 1; seed <= SEEDS; seed++) {
            float[] x = TestData.mixed(seed * 7919 + type.id(), N, 256);
            byte[] theirs = ggml.fromFloatRef(type, x);
            byte[] ours = Quantizer.quantize(type, x);
            assertSameBytes(type, x, theirs, ours);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
        "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS"})
    void dequantizeOfQuantizedDataIsGgmlsExactly(GgmlType type) {
        float[] x = TestData.mixed(4242 + type.id(), N, 256);
        byte[] q = ggml.fromFloatRef(type, x);
        assertBitwiseEqual(type, ggml.toFloat(type, q, N), Dequantizer.dequantize(type, q, N), false);
    }

    /** Arbitrary bytes reach every bit pattern of scales and quants; NaN payloads are not compared. */
    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
        "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS"})
    void dequantizeOfArbitraryBytesIsGgmlsExactly(GgmlType type) {
        byte[] q = TestData.randomBytes(99 + type.id(), (int) type.bytesFor(N));
        assertBitwiseEqual(type, ggml.toFloat(type, q, N), Dequantizer.dequantize(type, q, N), true);
    }

    @Test
    void everyHalfFloatWidensAsGgml() {
        byte[] all = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            all[2 * h] = (byte) h;
            all[2 * h + 1] = (byte) (h >>> 8);
        }
        float[] theirs = ggml.toFloat(GgmlType.F16, all, 65536);
        for (int h = 0; h < 65536; h++) {
            float ours = HalfFloats.f16ToF32((short) h);
            assertEquals(Float.floatToRawIntBits(theirs[h]), Float.floatToRawIntBits(ours),
                    "f16 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void specialFloatsNarrowAsGgml() {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 65504f, 65519.99f, 65520f,
            -65520f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC12345), 5.9604645e-8f, 2.9802322e-8f,
            2.9802326e-8f, 8.940697e-8f, 6.097555e-5f, 6.1035156e-5f, 1.00048828125f, 1.000732421875f,
            1.0009765625f, 3.0e-41f, Float.intBitsToFloat(0x3F80_8000), Float.intBitsToFloat(0x3F81_8000),
            Float.intBitsToFloat(0x3F80_7FFF), Float.intBitsToFloat(0x7F7F_FFFF), Float.intBitsToFloat(0x007F_FFFF)};
        float[] many = new float[special.length * 16 + 65536];
        for (int i = 0; i < special.length * 16; i++) {
            many[i] = special[i % special.length];
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = special.length * 16; i < many.length; i++) {
            many[i] = Float.intBitsToFloat(r.nextInt());
        }
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16}) {
            assertSameBytes(type, many, ggml.fromFloatRef(type, many), Quantizer.quantize(type, many));
        }
    }

    static void assertSameBytes(GgmlType type, float[] x, byte[] theirs, byte[] ours) {
        assertEquals(theirs.length, ours.length, "byte count");
        if (Arrays.equals(theirs, ours)) {
            return;
        }
        int at = Arrays.mismatch(theirs, ours);
        int block = at / type.blockBytes();
        int from = block * type.blockBytes();
        float[] in = Arrays.copyOfRange(x, block * type.blockSize(), (block + 1) * type.blockSize());
        fail(type + ": first differing byte " + at + " (byte " + (at - from) + " of block " + block + ")\n ggml: "
                + Arrays.toString(Arrays.copyOfRange(theirs, from, from + type.blockBytes())) + "\n ours: "
                + Arrays.toString(Arrays.copyOfRange(ours, from, from + type.blockBytes())) + "\n input: "
                + Arrays.toString(in));
    }

    static void assertBitwiseEqual(GgmlType type, float[] theirs, float[] ours, boolean anyNanMatches) {
        assertEquals(theirs.length, ours.length);
        int nans = 0;
        for (int i = 0; i < theirs.length; i++) {
            if (anyNanMatches && Float.isNaN(theirs[i]) && Float.isNaN(ours[i])) {
                nans++;
                continue;
            }
            if (Float.floatToRawIntBits(theirs[i]) != Float.floatToRawIntBits(ours[i])) {
                fail(type + ": element " + i + " (block " + i / type.blockSize() + "): ggml " + theirs[i] + " ours "
                        + ours[i]);
            }
        }
        assertTrue(nans < theirs.length, "every element was NaN: the comparison said nothing");
    }
}
