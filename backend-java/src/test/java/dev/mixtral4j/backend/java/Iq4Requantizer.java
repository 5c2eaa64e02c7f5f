package dev.mixtral4j.backend.java;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.gguf.GgufFile;
import dev.mixtral4j.gguf.TensorInfo;
import dev.mixtral4j.quant.Dequantizer;
import dev.mixtral4j.tools.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Test models in IQ4_NL / IQ4_XS, which the api can decode but not encode: every matrix of a generated model
 * whose rows are whole blocks is re-encoded by a plain round-to-nearest-table-entry quantizer (not
 * llama.cpp's search, which only matters for accuracy against the original weights, not for checking kernels
 * against the reference that decodes the same bytes).
 */
final class Iq4Requantizer {
    /** ggml's kvalues_iq4nl. */
    private static final int[] TABLE = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private Iq4Requantizer() {
    }

    static Path requantize(Path src, Path dst, GgmlType type) throws IOException {
        try (GgufFile in = GgufFile.open(src); GgufWriter out = GgufWriter.create(dst)) {
            out.putAll(in.metadata().entries());
            for (TensorInfo t : in.tensors()) {
                out.addTensor(t.name(), retyped(t, type) ? type : t.type(), t.shape());
            }
            for (TensorInfo t : in.tensors()) {
                if (!retyped(t, type)) {
                    out.writeTensor(t.name(), in.tensorData(t));
                    continue;
                }
                int n = (int) t.elementCount();
                float[] v = Dequantizer.dequantize(t.type(), in.tensorData(t), n);
                ByteBuffer b = ByteBuffer.allocate((int) out.tensorByteSize(t.name())).order(ByteOrder.LITTLE_ENDIAN);
                for (int blk = 0; blk < n / type.blockSize(); blk++) {
                    if (type == GgmlType.IQ4_NL) {
                        encodeNl(v, blk * 32, b, blk * 18);
                    } else {
                        encodeXs(v, blk * 256, b, blk * 136);
                    }
                }
                out.writeTensor(t.name(), b);
            }
            return out.finish();
        }
    }

    private static boolean retyped(TensorInfo t, GgmlType type) {
        return t.rank() == 2 && t.dim(0) % type.blockSize() == 0;
    }

    private static void encodeNl(float[] v, int off, ByteBuffer b, int at) {
        float d = amax(v, off, 32) / 127f;
        b.putShort(at, Float.floatToFloat16(d));
        nibbles(v, off, Float.float16ToFloat(Float.floatToFloat16(d)), b, at + 2);
    }

    private static void encodeXs(float[] v, int off, ByteBuffer b, int at) {
        float[] groupScale = new float[8];
        float max = 0;
        for (int g = 0; g < 8; g++) {
            groupScale[g] = amax(v, off + 32 * g, 32) / 127f;
            max = Math.max(max, groupScale[g]);
        }
        float d = Float.float16ToFloat(Float.floatToFloat16(max / 31f));
        b.putShort(at, Float.floatToFloat16(d));
        int scalesH = 0;
        for (int g = 0; g < 8; g++) {
            int ls = d == 0 ? 32 : Math.clamp(Math.round(groupScale[g] / d) + 32, 32, 63);
            scalesH |= (ls >> 4) << (2 * g);
            int lowByte = at + 4 + g / 2;
            b.put(lowByte, (byte) (b.get(lowByte) | ((ls & 0xF) << (4 * (g % 2)))));
            nibbles(v, off + 32 * g, d * (ls - 32), b, at + 8 + 16 * g);
        }
        b.putShort(at + 2, (short) scalesH);
    }

    /** 32 values as nearest-table-entry nibbles: value j low in byte j, value j+16 high. */
    private static void nibbles(float[] v, int off, float d, ByteBuffer b, int at) {
        for (int j = 0; j < 16; j++) {
            b.put(at + j, (byte) (nearest(v[off + j], d) | nearest(v[off + j + 16], d) << 4));
        }
    }

    private static int nearest(float value, float d) {
        if (d == 0) {
            return 8;
        }
        float target = value / d;
        int best = 0;
        for (int i = 1; i < 16; i++) {
            if (Math.abs(TABLE[i] - target) < Math.abs(TABLE[best] - target)) {
                best = i;
            }
        }
        return best;
    }

    private static float amax(float[] v, int off, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(v[off + i]));
        }
        return m;
    }
}
