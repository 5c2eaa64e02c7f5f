package dev.mixtral4j.backend.java.kernel;

import dev.mixtral4j.gguf.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Plain scalar dequantization, one loop per type written straight from the block layouts of
 * ggml-common.h / ggml-quants.c, with no vectors and no shared code with the kernels: the
 * reference the vectorised kernels are checked against.
 */
public final class ScalarDequant {
    /** ggml-common.h's kvalues_iq4nl. */
    private static final int[] IQ4_TABLE = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private ScalarDequant() {
    }

    public static float[] dequantize(GgmlType type, byte[] data, int n) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        float[] y = new float[n];
        int bs = type.blockSize();
        int bb = type.blockBytes();
        for (int i = 0; i < n / bs; i++) {
            int o = i * bb;
            int yo = i * bs;
            switch (type) {
                case F32 -> y[i] = b.getFloat(4 * i);
                case F16 -> y[i] = Float.float16ToFloat(b.getShort(2 * i));
                case BF16 -> y[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
                case Q8_0 -> {
                    float d = h(b, o);
                    for (int j = 0; j < 32; j++) {
                        y[yo + j] = d * b.get(o + 2 + j);
                    }
                }
                case Q4_0 -> {
                    float d = h(b, o);
                    for (int j = 0; j < 16; j++) {
                        int q = u(b, o + 2 + j);
                        y[yo + j] = d * ((q & 0xF) - 8);
                        y[yo + j + 16] = d * ((q >> 4) - 8);
                    }
                }
                case IQ4_NL -> {
                    float d = h(b, o);
                    for (int j = 0; j < 16; j++) {
                        int q = u(b, o + 2 + j);
                        y[yo + j] = d * IQ4_TABLE[q & 0xF];
                        y[yo + j + 16] = d * IQ4_TABLE[q >> 4];
                    }
                }
                case IQ4_XS -> {
                    float d = h(b, o);
                    int scalesH = b.getShort(o + 2) & 0xFFFF;
                    for (int g = 0; g < 8; g++) {
                        int ls = ((u(b, o + 4 + g / 2) >> (4 * (g % 2))) & 0xF) | (((scalesH >> (2 * g)) & 3) << 4);
                        float dl = d * (ls - 32);
                        for (int j = 0; j < 16; j++) {
                            int q = u(b, o + 8 + 16 * g + j);
                            y[yo + 32 * g + j] = dl * IQ4_TABLE[q & 0xF];
                            y[yo + 32 * g + j + 16] = dl * IQ4_TABLE[q >> 4];
                        }
                    }
                }
                case Q4_1 -> {
                    float d = h(b, o);
                    float m = h(b, o + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = u(b, o + 4 + j);
                        y[yo + j] = d * (q & 0xF) + m;
                        y[yo + j + 16] = d * (q >> 4) + m;
                    }
                }
                case Q5_0 -> {
                    float d = h(b, o);
                    int qh = b.getInt(o + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = u(b, o + 6 + j);
                        int h0 = ((qh >>> j) << 4) & 0x10;
                        int h1 = (qh >>> (j + 12)) & 0x10;
                        y[yo + j] = d * (((q & 0xF) | h0) - 16);
                        y[yo + j + 16] = d * (((q >> 4) | h1) - 16);
                    }
                }
                case Q5_1 -> {
                    float d = h(b, o);
                    float m = h(b, o + 2);
                    int qh = b.getInt(o + 4);
                    for (int j = 0; j < 16; j++) {
                        int q = u(b, o + 8 + j);
                        int h0 = ((qh >>> j) << 4) & 0x10;
                        int h1 = (qh >>> (j + 12)) & 0x10;
                        y[yo + j] = d * ((q & 0xF) | h0) + m;
                        y[yo + j + 16] = d * ((q >> 4) | h1) + m;
                    }
                }
                case Q2_K -> {
                    float d = h(b, o + 80);
                    float min = h(b, o + 82);
                    int q = o + 16;
                    int is = 0;
                    int y0 = yo;
                    for (int n0 = 0; n0 < 256; n0 += 128) {
                        for (int shift = 0; shift < 8; shift += 2) {
                            for (int half = 0; half < 2; half++) {
                                int sc = u(b, o + is++);
                                float dl = d * (sc & 0xF);
                                float ml = min * (sc >> 4);
                                for (int l = 0; l < 16; l++) {
                                    y[y0++] = dl * ((u(b, q + l + 16 * half) >> shift) & 3) - ml;
                                }
                            }
                        }
                        q += 32;
                    }
                }
                case Q3_K -> {
                    float dAll = h(b, o + 108);
                    int[] aux = new int[4];
                    int a0 = b.getInt(o + 96);
                    int a1 = b.getInt(o + 100);
                    int tmp = b.getInt(o + 104);
                    aux[0] = (a0 & 0x0f0f0f0f) | (((tmp) & 0x03030303) << 4);
                    aux[1] = (a1 & 0x0f0f0f0f) | (((tmp >>> 2) & 0x03030303) << 4);
                    aux[2] = ((a0 >>> 4) & 0x0f0f0f0f) | (((tmp >>> 4) & 0x03030303) << 4);
                    aux[3] = ((a1 >>> 4) & 0x0f0f0f0f) | (((tmp >>> 6) & 0x03030303) << 4);
                    int q = o + 32;
                    int hm = o;
                    int m = 1;
                    int is = 0;
                    int y0 = yo;
                    for (int n0 = 0; n0 < 256; n0 += 128) {
                        for (int shift = 0; shift < 8; shift += 2) {
                            for (int half = 0; half < 2; half++) {
                                int s = (byte) (aux[is / 4] >>> (8 * (is % 4)));
                                is++;
                                float dl = dAll * (s - 32);
                                for (int l = 0; l < 16; l++) {
                                    int idx = l + 16 * half;
                                    y[y0++] = dl * (((u(b, q + idx) >> shift) & 3) - ((u(b, hm + idx) & m) != 0 ? 0 : 4));
                                }
                            }
                            m <<= 1;
                        }
                        q += 32;
                    }
                }
                case Q4_K, Q5_K -> {
                    boolean five = type == GgmlType.Q5_K;
                    float d = h(b, o);
                    float min = h(b, o + 2);
                    int sc = o + 4;
                    int ql = o + (five ? 48 : 16);
                    int qh = o + 16;
                    int y0 = yo;
                    int is = 0;
                    int u1 = 1;
                    int u2 = 2;
                    for (int j = 0; j < 256; j += 64) {
                        float d1 = d * kScale(b, sc, is);
                        float m1 = min * kMin(b, sc, is);
                        float d2 = d * kScale(b, sc, is + 1);
                        float m2 = min * kMin(b, sc, is + 1);
                        for (int l = 0; l < 32; l++) {
                            int hb = five && (u(b, qh + l) & u1) != 0 ? 16 : 0;
                            y[y0++] = d1 * ((u(b, ql + l) & 0xF) + hb) - m1;
                        }
                        for (int l = 0; l < 32; l++) {
                            int hb = five && (u(b, qh + l) & u2) != 0 ? 16 : 0;
                            y[y0++] = d2 * ((u(b, ql + l) >> 4) + hb) - m2;
                        }
                        ql += 32;
                        is += 2;
                        u1 <<= 2;
                        u2 <<= 2;
                    }
                }
                case Q6_K -> {
                    float d = h(b, o + 208);
                    int ql = o;
                    int qh = o + 128;
                    int sc = o + 192;
                    int y0 = yo;
                    for (int n0 = 0; n0 < 256; n0 += 128) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int q1 = ((u(b, ql + l) & 0xF) | (((u(b, qh + l) >> 0) & 3) << 4)) - 32;
                            int q2 = ((u(b, ql + l + 32) & 0xF) | (((u(b, qh + l) >> 2) & 3) << 4)) - 32;
                            int q3 = ((u(b, ql + l) >> 4) | (((u(b, qh + l) >> 4) & 3) << 4)) - 32;
                            int q4 = ((u(b, ql + l + 32) >> 4) | (((u(b, qh + l) >> 6) & 3) << 4)) - 32;
                            y[y0 + l] = d * b.get(sc + is) * q1;
                            y[y0 + l + 32] = d * b.get(sc + is + 2) * q2;
                            y[y0 + l + 64] = d * b.get(sc + is + 4) * q3;
                            y[y0 + l + 96] = d * b.get(sc + is + 6) * q4;
                        }
                        y0 += 128;
                        ql += 64;
                        qh += 32;
                        sc += 8;
                    }
                }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return y;
    }

    private static int kScale(ByteBuffer b, int q, int j) {
        return j < 4 ? u(b, q + j) & 63 : (u(b, q + j + 4) & 0xF) | ((u(b, q + j - 4) >> 6) << 4);
    }

    private static int kMin(ByteBuffer b, int q, int j) {
        return j < 4 ? u(b, q + j + 4) & 63 : (u(b, q + j + 4) >> 4) | ((u(b, q + j) >> 6) << 4);
    }

    private static float h(ByteBuffer b, int o) {
        return Float.float16ToFloat(b.getShort(o));
    }

    private static int u(ByteBuffer b, int o) {
        return b.get(o) & 0xFF;
    }
}
