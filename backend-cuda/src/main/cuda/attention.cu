// Causal attention with grouped-query heads over the KV cache, optional sliding window.
// q: nTokens rows of nHeads * headDim floats (RoPE applied); the cache holds one row of kvDim
// values per position, already including this batch's keys. Query token t sits at position
// p = pos0 + t and sees keys j with j <= p and, with a window w > 0, p - j < w.
//
// Decode (flash-decoding): the keys are split across blocks; each block keeps an online
// softmax over its share and writes (max, sum, unnormalised output); a second kernel merges the
// splits. Prefill (flash-attention style): a block takes 8 queries of one head, streams the keys
// in tiles of 32 through shared memory and keeps an online softmax per query (one warp each).
// Head dimension: at most 256 (a lane holds up to 8 output values).
#include "common.cuh"
#include <math_constants.h>

#define MAX_PER_LANE 8
#define DEC_WARPS 4
#define PF_QT 8       // queries per block = warps per block
#define PF_KT 32      // keys per tile = lanes

template <typename C> __device__ __forceinline__ float ld(const C* p);
template <> __device__ __forceinline__ float ld<float>(const float* p) { return *p; }
template <> __device__ __forceinline__ float ld<__half>(const __half* p) { return __half2float(*p); }

__device__ __forceinline__ int first_key(int p, int window) {
    return window > 0 ? max(0, p - window + 1) : 0;
}

// grid: (nHeads, nSplits, nTokens), block: 128. partO: [nTokens][nHeads][nSplits][headDim],
// partML: [nTokens][nHeads][nSplits][2] (running max, running sum).
template <typename C>
__device__ void attn_decode_body(const float* q, const C* kc, const C* vc, float* partO, float* partML,
                                 int pos0, int nHeads, int groupSize, int headDim, int kvDim,
                                 int window, int splitLen, float scale) {
    __shared__ float qs[256];
    __shared__ float wm[DEC_WARPS], wl[DEC_WARPS];
    __shared__ float wo[DEC_WARPS][256];
    int head = blockIdx.x, split = blockIdx.y, t = blockIdx.z, nSplits = gridDim.y;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int p = pos0 + t;
    int kvOff = (head / groupSize) * headDim;
    const float* qr = q + ((long long) t * nHeads + head) * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) qs[d] = qr[d] * scale;
    __syncthreads();

    int lo = first_key(p, window) + split * splitLen;
    int hi = min(lo + splitLen, p + 1);   // exclusive
    float m = -CUDART_INF_F, l = 0.0f, o[MAX_PER_LANE];
#pragma unroll
    for (int i = 0; i < MAX_PER_LANE; i++) o[i] = 0.0f;
    for (int j = lo + warp; j < hi; j += DEC_WARPS) {
        const C* kr = kc + (long long) j * kvDim + kvOff;
        float s = 0.0f;
#pragma unroll
        for (int i = 0; i < MAX_PER_LANE; i++) {
            int d = lane + 32 * i;
            if (d < headDim) s += qs[d] * ld<C>(kr + d);
        }
        s = warp_sum(s);
        float mNew = fmaxf(m, s);
        float corr = expf(m - mNew);    // m = -inf the first time: corr = 0
        float w = expf(s - mNew);
        l = l * corr + w;
        const C* vr = vc + (long long) j * kvDim + kvOff;
#pragma unroll
        for (int i = 0; i < MAX_PER_LANE; i++) {
            int d = lane + 32 * i;
            o[i] = o[i] * corr + (d < headDim ? w * ld<C>(vr + d) : 0.0f);
        }
        m = mNew;
    }
    if (lane == 0) { wm[warp] = m; wl[warp] = l; }
#pragma unroll
    for (int i = 0; i < MAX_PER_LANE; i++) {
        int d = lane + 32 * i;
        if (d < headDim) wo[warp][d] = o[i];
    }
    __syncthreads();
    float M = -CUDART_INF_F;
    for (int w = 0; w < DEC_WARPS; w++) M = fmaxf(M, wm[w]);
    long long slot = ((long long) t * nHeads + head) * nSplits + split;
    if (threadIdx.x == 0) {
        float L = 0.0f;
        for (int w = 0; w < DEC_WARPS; w++) if (wm[w] != -CUDART_INF_F) L += wl[w] * expf(wm[w] - M);
        partML[2 * slot] = M;
        partML[2 * slot + 1] = L;
    }
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float acc = 0.0f;
        for (int w = 0; w < DEC_WARPS; w++) if (wm[w] != -CUDART_INF_F) acc += wo[w][d] * expf(wm[w] - M);
        partO[slot * headDim + d] = acc;
    }
}

extern "C" __global__ void __launch_bounds__(128) attn_decode_f32(const float* q, const float* kc, const float* vc,
        float* partO, float* partML, int pos0, int nHeads, int groupSize, int headDim, int kvDim,
        int window, int splitLen, float scale) {
    attn_decode_body<float>(q, kc, vc, partO, partML, pos0, nHeads, groupSize, headDim, kvDim, window, splitLen, scale);
}

extern "C" __global__ void __launch_bounds__(128) attn_decode_f16(const float* q, const __half* kc, const __half* vc,
        float* partO, float* partML, int pos0, int nHeads, int groupSize, int headDim, int kvDim,
        int window, int splitLen, float scale) {
    attn_decode_body<__half>(q, kc, vc, partO, partML, pos0, nHeads, groupSize, headDim, kvDim, window, splitLen, scale);
}

// Merges the splits: out[t][head] = sum_s O_s e^(m_s - M) / sum_s l_s e^(m_s - M).
// grid: (nHeads, nTokens), block: 128.
extern "C" __global__ void attn_decode_combine(const float* partO, const float* partML, float* out,
                                               int nHeads, int nSplits, int headDim) {
    int head = blockIdx.x, t = blockIdx.y;
    long long base = ((long long) t * nHeads + head) * nSplits;
    float M = -CUDART_INF_F;
    for (int s = 0; s < nSplits; s++) M = fmaxf(M, partML[2 * (base + s)]);
    float L = 0.0f;
    for (int s = 0; s < nSplits; s++) {
        float ms = partML[2 * (base + s)];
        if (ms != -CUDART_INF_F) L += partML[2 * (base + s) + 1] * expf(ms - M);
    }
    float inv = 1.0f / L;
    float* o = out + ((long long) t * nHeads + head) * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < nSplits; s++) {
            float ms = partML[2 * (base + s)];
            if (ms != -CUDART_INF_F) acc += partO[(base + s) * headDim + d] * expf(ms - M);
        }
        o[d] = acc * inv;
    }
}

// grid: (ceil(nTokens / 8), nHeads), block: 256 (8 warps, one query each).
// dynamic shared memory: (PF_QT * headDim + PF_KT * (headDim + 1) + PF_KT * headDim) floats.
template <typename C>
__device__ void attn_prefill_body(const float* q, const C* kc, const C* vc, float* out, int pos0, int nTokens,
                                  int nHeads, int groupSize, int headDim, int kvDim, int window, float scale) {
    DYNAMIC_SHARED(float, smem);
    float* Qs = smem;                              // [PF_QT][headDim]
    float* Ks = Qs + PF_QT * headDim;              // [PF_KT][headDim + 1]
    float* Vs = Ks + PF_KT * (headDim + 1);        // [PF_KT][headDim]
    int head = blockIdx.y;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int t0 = blockIdx.x * PF_QT;
    int tLast = min(t0 + PF_QT, nTokens) - 1;
    int kvOff = (head / groupSize) * headDim;
    for (int idx = threadIdx.x; idx < PF_QT * headDim; idx += blockDim.x) {
        int r = idx / headDim, d = idx % headDim;
        Qs[idx] = t0 + r < nTokens ? q[((long long) (t0 + r) * nHeads + head) * headDim + d] * scale : 0.0f;
    }
    int t = t0 + warp;
    bool active = t < nTokens;
    int p = pos0 + t;
    int lo = first_key(p, window);
    int blockLo = first_key(pos0 + t0, window), blockHi = pos0 + tLast;   // inclusive
    float m = -CUDART_INF_F, l = 0.0f, o[MAX_PER_LANE];
#pragma unroll
    for (int i = 0; i < MAX_PER_LANE; i++) o[i] = 0.0f;
    const float* qw = Qs + warp * headDim;

    for (int j0 = blockLo; j0 <= blockHi; j0 += PF_KT) {
        __syncthreads();   // previous tile fully used (and Qs written, the first time)
        for (int idx = threadIdx.x; idx < PF_KT * headDim; idx += blockDim.x) {
            int r = idx / headDim, d = idx % headDim;
            int j = j0 + r;
            float kv = 0.0f, vv = 0.0f;
            if (j <= blockHi) {
                kv = ld<C>(kc + (long long) j * kvDim + kvOff + d);
                vv = ld<C>(vc + (long long) j * kvDim + kvOff + d);
            }
            Ks[r * (headDim + 1) + d] = kv;
            Vs[r * headDim + d] = vv;
        }
        __syncthreads();
        if (!active) continue;
        int j = j0 + lane;
        float s = -CUDART_INF_F;
        if (j >= lo && j <= p) {
            const float* kr = Ks + lane * (headDim + 1);
            float acc = 0.0f;
            for (int d = 0; d < headDim; d++) acc += qw[d] * kr[d];
            s = acc;
        }
        float tileMax = warp_max(s);
        if (tileMax == -CUDART_INF_F) continue;  // nothing visible to this query in the tile
        float mNew = fmaxf(m, tileMax);
        float corr = expf(m - mNew);
        float w = s == -CUDART_INF_F ? 0.0f : expf(s - mNew);
        l = l * corr + warp_sum(w);
#pragma unroll
        for (int i = 0; i < MAX_PER_LANE; i++) o[i] *= corr;
        for (int jj = 0; jj < PF_KT; jj++) {
            float wj = __shfl_sync(FULL_MASK, w, jj);
            if (wj == 0.0f) continue;            // uniform across the warp
            const float* vr = Vs + jj * headDim;
#pragma unroll
            for (int i = 0; i < MAX_PER_LANE; i++) {
                int d = lane + 32 * i;
                if (d < headDim) o[i] += wj * vr[d];
            }
        }
        m = mNew;
    }
    if (!active) return;
    float inv = 1.0f / l;
    float* orow = out + ((long long) t * nHeads + head) * headDim;
#pragma unroll
    for (int i = 0; i < MAX_PER_LANE; i++) {
        int d = lane + 32 * i;
        if (d < headDim) orow[d] = o[i] * inv;
    }
}

extern "C" __global__ void __launch_bounds__(256) attn_prefill_f32(const float* q, const float* kc, const float* vc,
        float* out, int pos0, int nTokens, int nHeads, int groupSize, int headDim, int kvDim, int window, float scale) {
    attn_prefill_body<float>(q, kc, vc, out, pos0, nTokens, nHeads, groupSize, headDim, kvDim, window, scale);
}

extern "C" __global__ void __launch_bounds__(256) attn_prefill_f16(const float* q, const __half* kc, const __half* vc,
        float* out, int pos0, int nTokens, int nHeads, int groupSize, int headDim, int kvDim, int window, float scale) {
    attn_prefill_body<__half>(q, kc, vc, out, pos0, nTokens, nHeads, groupSize, headDim, kvDim, window, scale);
}
