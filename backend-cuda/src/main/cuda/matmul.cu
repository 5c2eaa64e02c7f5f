// Prefill matrix-matrix products C = A W^T on tensor cores (wmma, f16 inputs, f32 accumulate).
// A holds M activation rows of K floats; W holds N weight rows of K values in any supported
// type. A block computes a 64 x 64 tile of C: each K step of 32 it converts its A tile to half
// and dequantises its W tile to half in shared memory, then its 4 warps run 2 x 2 16x16x16 mma
// each. Weights are read once per 64 activation rows.
//
// Grouped mode (mixture of experts, counts != nullptr): blockIdx.z is the expert e; its
// counts[e] assignments are list[e * listStride + i] (assignment a = token * k + slot). The A row
// of assignment a is a / aDiv (aDiv = k for gate/up, whose input is the token's row; 1 for down,
// whose input is the assignment's own row) and the C row is a. Blocks past counts[e] exit at
// once, so the grid is sized on the host from the batch alone and no count ever comes back
// to the host.
#include "common.cuh"
#ifndef MIXTRAL4J_EMU
#include <mma.h>
#endif
using namespace nvcuda;

#define BM 64
#define BN 64
#define BK 32
#define LDS (BK + 8)      // half elements per shared row (pad: fewer bank conflicts, multiple of 8)
#define LDC (BN + 4)

template <int T>
__device__ void gemm_body(const uint8_t* W, long long rowBytes, long long expertBytes,
                          const float* A, int lda, float* C, int ldc, int M, int N, int K,
                          const int* counts, const int* list, int listStride, int aDiv) {
    __shared__ __align__(32) __half As[BM * LDS];
    __shared__ __align__(32) __half Bs[BN * LDS];
    __shared__ __align__(32) float Cs[BM * LDC];
    __shared__ int rowA[BM];
    __shared__ int rowC[BM];

    int tid = threadIdx.x;              // 128 threads
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    int rowsHere;
    if (counts != nullptr) {
        int e = blockIdx.z;
        int cnt = counts[e];
        if (m0 >= cnt) return;          // uniform across the block
        rowsHere = min(BM, cnt - m0);
        W += (long long) e * expertBytes;
        if (tid < BM) {
            int a = tid < rowsHere ? list[(long long) e * listStride + m0 + tid] : 0;
            rowA[tid] = a / aDiv;
            rowC[tid] = a;
        }
    } else {
        rowsHere = min(BM, M - m0);
        if (tid < BM) {
            rowA[tid] = m0 + tid;
            rowC[tid] = m0 + tid;
        }
    }
    __syncthreads();

    int warp = tid >> 5;
    int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    int groupsK = K >> 3;
    int sub = tid & 3;                  // which 8-value group of the 32-wide K step
    for (int k0 = 0; k0 < K; k0 += BK) {
        int g = (k0 >> 3) + sub;
        // A tile: rows tid/4 and tid/4 + 32
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int r = (tid >> 2) + 32 * h;
            __half* dst = As + r * LDS + sub * 8;
            if (r < rowsHere && g < groupsK) {
                const float4* src = reinterpret_cast<const float4*>(A + (long long) rowA[r] * lda + 8 * g);
                CHECK_ALIGNED(src, 16);
                float4 a = src[0], b = src[1];
                dst[0] = __float2half(a.x); dst[1] = __float2half(a.y);
                dst[2] = __float2half(a.z); dst[3] = __float2half(a.w);
                dst[4] = __float2half(b.x); dst[5] = __float2half(b.y);
                dst[6] = __float2half(b.z); dst[7] = __float2half(b.w);
            } else {
#pragma unroll
                for (int i = 0; i < 8; i++) dst[i] = __float2half(0.0f);
            }
        }
        // W tile: rows tid/4 and tid/4 + 32, dequantised to half
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int r = (tid >> 2) + 32 * h;
            __half* dst = Bs + r * LDS + sub * 8;
            if (n0 + r < N && g < groupsK) {
                float v[8];
                Q<T>::deq8(W + (long long) (n0 + r) * rowBytes, g, v);
#pragma unroll
                for (int i = 0; i < 8; i++) dst[i] = __float2half(v[i]);
            } else {
#pragma unroll
                for (int i = 0; i < 8; i++) dst[i] = __float2half(0.0f);
            }
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[2];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(fa[i], As + (wm + 16 * i) * LDS + kk, LDS);
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(fb[j], Bs + (wn + 16 * j) * LDS + kk, LDS);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
            wmma::store_matrix_sync(Cs + (wm + 16 * i) * LDC + wn + 16 * j, acc[i][j], LDC, wmma::mem_row_major);
    __syncthreads();
    for (int idx = tid; idx < BM * BN; idx += blockDim.x) {
        int r = idx / BN, c = idx % BN;
        if (r < rowsHere && n0 + c < N) C[(long long) rowC[r] * ldc + n0 + c] = Cs[r * LDC + c];
    }
}

#define GEMM(NAME, T) \
    extern "C" __global__ void __launch_bounds__(128) NAME(const uint8_t* W, long long rowBytes, long long expertBytes, \
            const float* A, int lda, float* C, int ldc, int M, int N, int K, \
            const int* counts, const int* list, int listStride, int aDiv) { \
        gemm_body<T>(W, rowBytes, expertBytes, A, lda, C, ldc, M, N, K, counts, list, listStride, aDiv); }
GEMM(gemm_f32, T_F32)
GEMM(gemm_f16, T_F16)
GEMM(gemm_bf16, T_BF16)
GEMM(gemm_q8_0, T_Q8_0)
GEMM(gemm_q4_0, T_Q4_0)
GEMM(gemm_q4_k, T_Q4_K)
GEMM(gemm_q6_k, T_Q6_K)
