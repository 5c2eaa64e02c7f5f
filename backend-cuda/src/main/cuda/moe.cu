// Mixture-of-experts routing on the device: softmax over the router logits, top-k, the
// renormalised weights, the grouping of (token, slot) assignments by expert for the grouped
// GEMM, and the weighted combine into the residual stream.
#include "common.cuh"
#include "routing.cuh"

// One thread per token. ids/weights: [nTokens][k].
extern "C" __global__ void moe_topk(const float* logits, int nTokens, int nExperts, int k, int* ids, float* weights) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= nTokens) return;
    route_token(logits + (long long) t * nExperts, nExperts, k, ids + t * k, weights + t * k);
}

// Groups the nAssign = nTokens * k assignments by expert: counts[e] and list[e * listStride + i]
// (listStride >= nTokens, since a token picks an expert at most once). One block; the order
// inside an expert's list is whatever the atomics give, which changes nothing downstream:
// every assignment's output row is computed independently and combined in slot order.
extern "C" __global__ void moe_group(const int* ids, int nAssign, int nExperts, int* counts, int* list, int listStride) {
    __shared__ int c[MAX_EXPERTS];
    for (int e = threadIdx.x; e < nExperts; e += blockDim.x) c[e] = 0;
    __syncthreads();
    for (int a = threadIdx.x; a < nAssign; a += blockDim.x) {
        int e = ids[a];
        int i = atomicAdd(&c[e], 1);
        list[(long long) e * listStride + i] = a;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < nExperts; e += blockDim.x) counts[e] = c[e];
}

// x[t] += sum_j weights[t*k + j] * y[(t*k + j)] over d values; weights == nullptr means 1
// (a dense FFN is the k = 1 case). grid: (ceil(d / blockDim.x), nTokens).
extern "C" __global__ void moe_combine(float* x, const float* y, const float* weights, int k, int d) {
    int t = blockIdx.y;
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= d) return;
    float acc = 0.0f;
    for (int j = 0; j < k; j++) {
        float w = weights != nullptr ? weights[t * k + j] : 1.0f;
        acc += w * y[((long long) t * k + j) * d + i];
    }
    x[(long long) t * d + i] += acc;
}
