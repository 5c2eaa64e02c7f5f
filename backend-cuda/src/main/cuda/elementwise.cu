// Element-wise and row-wise steps of the forward pass: embedding lookup, RMSNorm, RoPE,
// residual add, SwiGLU and the KV-cache store. One token's activations are a row of floats.
#include "common.cuh"

// out[t][0..d) = dequantised row tokens[t] of the embedding table.
// grid: (ceil(d / 8 / blockDim.x), nTokens)
template <int T>
__device__ void embed_body(const uint8_t* table, long long rowBytes, const int* tokens, float* out, int d) {
    int t = blockIdx.y;
    int g = blockIdx.x * blockDim.x + threadIdx.x;
    if (8 * g >= d) return;
    const uint8_t* row = table + (long long) tokens[t] * rowBytes;
    float v[8];
    Q<T>::deq8(row, g, v);
    float* o = out + (long long) t * d + 8 * g;
#pragma unroll
    for (int i = 0; i < 8; i++) o[i] = v[i];
}

#define EMBED(NAME, T) \
    extern "C" __global__ void NAME(const uint8_t* table, long long rowBytes, const int* tokens, float* out, int d) { \
        embed_body<T>(table, rowBytes, tokens, out, d); }
EMBED(embed_f32, T_F32)
EMBED(embed_f16, T_F16)
EMBED(embed_bf16, T_BF16)
EMBED(embed_q8_0, T_Q8_0)
EMBED(embed_q4_0, T_Q4_0)
EMBED(embed_q4_k, T_Q4_K)
EMBED(embed_q6_k, T_Q6_K)

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, one block per row.
extern "C" __global__ void rmsnorm(const float* x, const float* w, float* out, int d, float eps) {
    const float* xr = x + (long long) blockIdx.x * d;
    float* o = out + (long long) blockIdx.x * d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss);
    float inv = rsqrtf(ss / (float) d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = xr[i] * inv * w[i];
}

// RoPE on adjacent pairs (2i, 2i+1) of each head, in place. x holds nTokens rows of
// nHeads * headDim values; token t sits at position pos0 + t. theta_i = base^(-2i/ropeDim);
// dimensions past ropeDim are left alone. One thread per rotated pair.
extern "C" __global__ void rope(float* x, int pos0, int nTokens, int nHeads, int headDim, int ropeDim, float base) {
    long long pairs = (long long) nTokens * nHeads * (ropeDim / 2);
    long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= pairs) return;
    int half = ropeDim / 2;
    int i = (int) (idx % half);
    long long th = idx / half;           // token * nHeads + head
    int t = (int) (th / nHeads);
    float* p = x + th * headDim + 2 * i;
    // double for the angle: positions reach 10^5 and float exponentiation loses the low bits.
    double theta = (double) (pos0 + t) * pow((double) base, -2.0 * i / (double) ropeDim);
    double s, c;
    sincos(theta, &s, &c);
    float x0 = p[0], x1 = p[1];
    p[0] = (float) (x0 * c - x1 * s);
    p[1] = (float) (x0 * s + x1 * c);
}

// x += y over n values.
extern "C" __global__ void add_inplace(float* x, const float* y, long long n) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

// gate[i] = silu(gate[i]) * up[i] over n values (the expert's hidden activation, in place).
extern "C" __global__ void swiglu(float* gate, const float* up, long long n) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) gate[i] = silu(gate[i]) * up[i];
}

// Stores nTokens rows of K and V (kvDim values each) at cache rows pos0.. of one layer.
template <typename C>
__device__ __forceinline__ C to_cache(float v);
template <> __device__ __forceinline__ float to_cache<float>(float v) { return v; }
template <> __device__ __forceinline__ __half to_cache<__half>(float v) { return __float2half_rn(v); }

template <typename C>
__device__ void kv_store_body(const float* k, const float* v, C* kc, C* vc, int pos0, int nTokens, int kvDim) {
    long long n = (long long) nTokens * kvDim;
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long dst = (long long) pos0 * kvDim + i;
    kc[dst] = to_cache<C>(k[i]);
    vc[dst] = to_cache<C>(v[i]);
}

extern "C" __global__ void kv_store_f32(const float* k, const float* v, float* kc, float* vc, int pos0, int nTokens, int kvDim) {
    kv_store_body<float>(k, v, kc, vc, pos0, nTokens, kvDim);
}

extern "C" __global__ void kv_store_f16(const float* k, const float* v, __half* kc, __half* vc, int pos0, int nTokens, int kvDim) {
    kv_store_body<__half>(k, v, kc, vc, pos0, nTokens, kvDim);
}

// Dequantises rows [0, rows) of a weight matrix into floats (the kernel-level test harness
// compares this against the scalar reference dequantisation). grid: (ceil(cols/8/blockDim.x), rows)
template <int T>
__device__ void dequant_body(const uint8_t* w, long long rowBytes, float* out, int cols) {
    int r = blockIdx.y;
    int g = blockIdx.x * blockDim.x + threadIdx.x;
    if (8 * g >= cols) return;
    float v[8];
    Q<T>::deq8(w + (long long) r * rowBytes, g, v);
    float* o = out + (long long) r * cols + 8 * g;
#pragma unroll
    for (int i = 0; i < 8; i++) o[i] = v[i];
}

#define DEQUANT(NAME, T) \
    extern "C" __global__ void NAME(const uint8_t* w, long long rowBytes, float* out, int cols) { \
        dequant_body<T>(w, rowBytes, out, cols); }
DEQUANT(dequant_f32, T_F32)
DEQUANT(dequant_f16, T_F16)
DEQUANT(dequant_bf16, T_BF16)
DEQUANT(dequant_q8_0, T_Q8_0)
DEQUANT(dequant_q4_0, T_Q4_0)
DEQUANT(dequant_q4_k, T_Q4_K)
DEQUANT(dequant_q6_k, T_Q6_K)
