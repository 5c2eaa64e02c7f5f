package dev.mixtral4j.backend.java.kernel;

import dev.mixtral4j.gguf.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Random rows of any type: random quant bits, with the F16 scale fields set to sane values. */
final class RandomBlocks {
    private RandomBlocks() {
    }

    static byte[] row(GgmlType type, int n, Random rnd) {
        byte[] data = new byte[(int) type.bytesFor(n)];
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    b.putFloat(4 * i, (float) rnd.nextGaussian());
                }
                return data;
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(2 * i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
                return data;
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(2 * i, (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16));
                }
                return data;
            }
            default -> rnd.nextBytes(data);
        }
        int[] halves = switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
        for (int blk = 0; blk < n / type.blockSize(); blk++) {
            for (int h : halves) {
                float scale = (float) (rnd.nextGaussian() * 0.05);
                b.putShort(blk * type.blockBytes() + h, Float.floatToFloat16(scale));
            }
        }
        return data;
    }
}
