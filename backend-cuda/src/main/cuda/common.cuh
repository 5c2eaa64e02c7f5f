// Shared device helpers for the Mixtral4j CUDA kernels: GGML block layouts (facts from
// ggml-common.h, written out here as byte offsets) and per-type dequantisation of 8 consecutive
// values, used by every kernel that reads weights (GEMV, GEMM tiles, embedding rows).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <string.h>

// The dequantisers are also compiled for the host: a GPU-free test runs them on the CPU
// against the Java scalar reference (src/test/cuda/host_check.cu).
#define HD __host__ __device__ __forceinline__

HD float bits_to_float(uint32_t b) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(b);
#else
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
#endif
}

// Dynamic shared memory; the CPU emulation used by the tests hands out a buffer instead.
#ifdef MIXTRAL4J_EMU
#define DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(emu_dynamic_shared())
#else
#define DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

// Vector loads must be naturally aligned on the GPU (a misaligned one faults); the CPU
// emulation checks every such load, the GPU build compiles the check away.
#ifdef MIXTRAL4J_EMU
#define CHECK_ALIGNED(p, n) emu_check_aligned(static_cast<const void*>(p), (n))
#else
#define CHECK_ALIGNED(p, n) ((void) 0)
#endif

#define WARP 32
#define FULL_MASK 0xffffffffu

// Tensor type tags, matching GGML ids (the host passes nothing of these; they pick templates).
#define T_F32 0
#define T_F16 1
#define T_Q4_0 2
#define T_Q8_0 8
#define T_Q4_K 12
#define T_Q6_K 14
#define T_BF16 30

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// Block-wide sum for blockDim.x a multiple of 32 (at most 1024). Every thread gets the result.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float partial[32];
    __shared__ float total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float s = lane < (blockDim.x >> 5) ? partial[lane] : 0.0f;
        s = warp_sum(s);
        if (lane == 0) total = s;
    }
    __syncthreads();
    float r = total;
    __syncthreads();  // partial/total may be reused by a later call
    return r;
}

// Half bits to float without type-punning a local through another type (which g++ -O2 is free
// to miscompile on the host: strict aliasing).
HD float half_bits_to_float(uint16_t b) {
    __half_raw r;
    r.x = b;
    return __half2float(__half(r));
}

HD float half_at(const uint8_t* p) {
    CHECK_ALIGNED(p, 2);
    return half_bits_to_float(*reinterpret_cast<const uint16_t*>(p));
}

HD uint32_t load_u32_2aligned(const uint8_t* p) {
    CHECK_ALIGNED(p, 2);
    const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
    return (uint32_t) h[0] | ((uint32_t) h[1] << 16);
}

// ---------------------------------------------------------------------------------------------
// Per-type traits. Each type says how many bytes a row of `cols` values takes and how to
// dequantise the 8 values [8*g, 8*g+8) of a row (g = group index) into floats. Rows are
// stored back to back; every kernel addresses a row as base + row * row_bytes.
//
// Block layouts (bytes):
//   Q8_0 (34 per 32 values):  f16 d | int8 qs[32]                      x = d * q
//   Q4_0 (18 per 32 values):  f16 d | u8 qs[16]   value j (<16) = low nibble of qs[j],
//                             value j+16 = high nibble of qs[j];          x = d * (q - 8)
//   Q4_K (144 per 256):       f16 d | f16 dmin | u8 scales[12] | u8 qs[128]
//                             8 sub-blocks of 32 with 6-bit scale and min packed in scales;
//                             chunk c (64 values) uses qs[32c..32c+32): low nibbles are
//                             values 64c..64c+31 (sub-block 2c), high nibbles 64c+32.. (2c+1);
//                             x = d * sc * q - dmin * m
//   Q6_K (210 per 256):       u8 ql[128] | u8 qh[64] | int8 scales[16] | f16 d
//                             half h (128 values) uses ql[64h..], qh[32h..], scales[8h..];
//                             within a half, quarter r (32 values, l = 0..31):
//                             r0: ql[l] low  | qh[l] bits 0-1, scale[l/16 + 0]
//                             r1: ql[l+32] low | qh[l] bits 2-3, scale[l/16 + 2]
//                             r2: ql[l] high | qh[l] bits 4-5, scale[l/16 + 4]
//                             r3: ql[l+32] high | qh[l] bits 6-7, scale[l/16 + 6]
//                             x = d * scale * (q6 - 32)
// ---------------------------------------------------------------------------------------------

template <int T> struct Q;

template <> struct Q<T_F32> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        const float4* p = reinterpret_cast<const float4*>(row) + 2 * g;
        CHECK_ALIGNED(p, 16);
        float4 a = p[0], b = p[1];
        out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
        out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
    }
};

template <> struct Q<T_F16> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        CHECK_ALIGNED(row + 16 * g, 16);
        uint4 v = reinterpret_cast<const uint4*>(row)[g];  // one 128-bit load
        uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[2 * i] = half_bits_to_float((uint16_t) (w[i] & 0xffffu));
            out[2 * i + 1] = half_bits_to_float((uint16_t) (w[i] >> 16));
        }
    }
};

template <> struct Q<T_BF16> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        CHECK_ALIGNED(row + 16 * g, 16);
        uint4 v = reinterpret_cast<const uint4*>(row)[g];
        uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[2 * i] = bits_to_float(w[i] << 16);
            out[2 * i + 1] = bits_to_float(w[i] & 0xffff0000u);
        }
    }
};

template <> struct Q<T_Q8_0> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        const uint8_t* b = row + (g >> 2) * 34;
        float d = half_at(b);
        const uint8_t* q = b + 2 + (g & 3) * 8;
        uint32_t lo = load_u32_2aligned(q), hi = load_u32_2aligned(q + 4);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = d * (float) (int8_t) (lo >> (8 * i));
            out[4 + i] = d * (float) (int8_t) (hi >> (8 * i));
        }
    }
};

template <> struct Q<T_Q4_0> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        const uint8_t* b = row + (g >> 2) * 18;
        float d = half_at(b);
        int s = g & 3;                      // values 8s..8s+7 of the block
        const uint8_t* q = b + 2 + (s & 1) * 8;
        uint32_t lo = load_u32_2aligned(q), hi = load_u32_2aligned(q + 4);
        int shift = (s >> 1) * 4;           // s < 2: low nibbles, s >= 2: high nibbles
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = d * (float) ((int) ((lo >> (8 * i + shift)) & 0xF) - 8);
            out[4 + i] = d * (float) ((int) ((hi >> (8 * i + shift)) & 0xF) - 8);
        }
    }
};

HD void q4k_scale_min(const uint8_t* sc, int j, int* s, int* m) {
    if (j < 4) {
        *s = sc[j] & 63;
        *m = sc[j + 4] & 63;
    } else {
        *s = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4);
        *m = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
    }
}

template <> struct Q<T_Q4_K> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        const uint8_t* b = row + (g >> 5) * 144;   // 32 groups of 8 per super-block
        int e = (g & 31) * 8;                      // first value inside the super-block
        int chunk = e >> 6, within = e & 63;
        int sub = 2 * chunk + (within >= 32 ? 1 : 0);
        int l = within & 31;
        int sc, mn;
        q4k_scale_min(b + 4, sub, &sc, &mn);
        float d = half_at(b) * (float) sc;
        float m = half_at(b + 2) * (float) mn;
        const uint8_t* q = b + 16 + 32 * chunk + l;  // 8 bytes, 8-aligned within the block
        CHECK_ALIGNED(q, 8);
        uint2 v = *reinterpret_cast<const uint2*>(q);
        int shift = within >= 32 ? 4 : 0;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[i] = d * (float) ((v.x >> (8 * i + shift)) & 0xF) - m;
            out[4 + i] = d * (float) ((v.y >> (8 * i + shift)) & 0xF) - m;
        }
    }
};

template <> struct Q<T_Q6_K> {
    static HD void deq8(const uint8_t* row, int g, float* out) {
        const uint8_t* b = row + (g >> 5) * 210;
        int e = (g & 31) * 8;
        int h = e >> 7, r = (e & 127) >> 5, l = e & 31;
        const uint8_t* ql = b + 64 * h + l + ((r & 1) ? 32 : 0);
        const uint8_t* qh = b + 128 + 32 * h + l;
        float d = half_at(b + 208) * (float) (int8_t) b[192 + 8 * h + (l >> 4) + 2 * r];
        uint32_t ql0 = load_u32_2aligned(ql), ql1 = load_u32_2aligned(ql + 4);
        uint32_t qh0 = load_u32_2aligned(qh), qh1 = load_u32_2aligned(qh + 4);
        int lshift = (r >> 1) * 4, hshift = 2 * r;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int a = (int) (((ql0 >> (8 * i + lshift)) & 0xF) | (((qh0 >> (8 * i + hshift)) & 3) << 4)) - 32;
            int c = (int) (((ql1 >> (8 * i + lshift)) & 0xF) | (((qh1 >> (8 * i + hshift)) & 3) << 4)) - 32;
            out[i] = d * (float) a;
            out[4 + i] = d * (float) c;
        }
    }
};

__device__ __forceinline__ float silu(float x) {
    return x / (1.0f + expf(-x));
}
