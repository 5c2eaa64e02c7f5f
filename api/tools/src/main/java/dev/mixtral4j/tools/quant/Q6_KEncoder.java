package dev.mixtral4j.tools.quant;

import dev.mixtral4j.quant.LittleEndian;
import static dev.mixtral4j.tools.quant.GgmlRounding.nearestInt;

import dev.mixtral4j.gguf.GgmlType;

/**
 * Q6_K: 256 values per 210-byte super-block of sixteen 16-value groups: {@code ql[128]} (low
 * nibbles), {@code qh[64]} (2-bit high parts), {@code scales[16]} (int8), {@code d} (f16).
 * In each 128-value half h: value 32k + l (k = 0..3, l = 0..31) takes its low nibble from
 * ql[64h + l + 32(k&1)] (low nibble for k < 2, high for k >= 2) and its high bits from
 * (qh[32h + l] >> 2k) & 3; value = (d * scales[group]) * (q - 32).
 */
final class Q6_KEncoder implements BlockEncoder {

    static final int QK = 256;
    static final int BYTES = 210;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void encode(float[] src, int srcOff, int blocks, byte[] dst, int dstOff) {
        byte[] codes = new byte[QK];
        float[] scales = new float[16];
        for (int b = 0; b < blocks; b++) {
            int x = srcOff + b * QK;
            int o = dstOff + b * BYTES;
            float maxScale = 0f;
            float maxAbsScale = 0f;
            for (int ib = 0; ib < 16; ib++) {
                float scale = KQuantSearch.symmetricWeighted(16, 32, src, x + 16 * ib, codes, 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < KQuantSearch.GROUP_MAX_EPS) {
                java.util.Arrays.fill(dst, o, o + BYTES, (byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            LittleEndian.putHalf(dst, o + 208, 1f / iscale);
            for (int ib = 0; ib < 16; ib++) {
                dst[o + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            }
            float dAll = LittleEndian.getHalf(dst, o + 208);
            for (int j = 0; j < 16; j++) {
                float d = dAll * dst[o + 192 + j];
                if (d == 0f) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = KQuantSearch.clamp(nearestInt(src[x + 16 * j + ii] / d), -32, 31);
                    codes[16 * j + ii] = (byte) (l + 32);
                }
            }
            int ql = o;
            int qh = o + 128;
            for (int j = 0; j < QK; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int c1 = codes[j + l];
                    int c2 = codes[j + l + 32];
                    int c3 = codes[j + l + 64];
                    int c4 = codes[j + l + 96];
                    dst[ql + l] = (byte) ((c1 & 0x0F) | ((c3 & 0x0F) << 4));
                    dst[ql + l + 32] = (byte) ((c2 & 0x0F) | ((c4 & 0x0F) << 4));
                    dst[qh + l] = (byte) ((c1 >> 4) | ((c2 >> 4) << 2) | ((c3 >> 4) << 4) | ((c4 >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }
}
