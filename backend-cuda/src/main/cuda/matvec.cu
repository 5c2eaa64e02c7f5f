// Decode-time matrix-vector products y = W x reading quantised weights in place: one warp per
// output row, lanes walk the row in groups of 8 values (a 128-bit load for F16/BF16, 4-8 byte
// loads for the block types) so a warp reads a contiguous stretch of the row per step. The
// values are dequantised in registers; nothing is expanded in memory.
//
// Slots (gridDim.y) serve the mixture of experts without a trip to the host: slot s uses
// expert ids[s] (weights at W + ids[s] * expertBytes), input x + s * xStride and output
// y + s * yStride. A plain projection is one slot with ids == nullptr.
#include "common.cuh"

#define GEMV_ROWS_PER_BLOCK 8   // warps per block (256 threads)

template <int T>
__device__ void gemv_body(const uint8_t* W, long long rowBytes, long long expertBytes, const int* ids,
                          const float* x, long long xStride, float* y, long long yStride, int rows, int cols) {
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int row = blockIdx.x * GEMV_ROWS_PER_BLOCK + warp;
    if (row >= rows) return;
    int s = blockIdx.y;
    if (ids != nullptr) W += (long long) ids[s] * expertBytes;
    x += s * xStride;
    y += s * yStride;
    const uint8_t* wr = W + (long long) row * rowBytes;
    int groups = cols >> 3;
    float acc = 0.0f;
    for (int g = lane; g < groups; g += WARP) {
        float w[8];
        Q<T>::deq8(wr, g, w);
        const float4* xv = reinterpret_cast<const float4*>(x + 8 * g);
        CHECK_ALIGNED(xv, 16);
        float4 a = __ldg(xv), b = __ldg(xv + 1);
        acc += w[0] * a.x + w[1] * a.y + w[2] * a.z + w[3] * a.w
             + w[4] * b.x + w[5] * b.y + w[6] * b.z + w[7] * b.w;
    }
    acc = warp_sum(acc);
    if (lane == 0) y[row] = acc;
}

#define GEMV(NAME, T) \
    extern "C" __global__ void __launch_bounds__(256) NAME(const uint8_t* W, long long rowBytes, long long expertBytes, \
            const int* ids, const float* x, long long xStride, float* y, long long yStride, int rows, int cols) { \
        gemv_body<T>(W, rowBytes, expertBytes, ids, x, xStride, y, yStride, rows, cols); }
GEMV(gemv_f32, T_F32)
GEMV(gemv_f16, T_F16)
GEMV(gemv_bf16, T_BF16)
GEMV(gemv_q8_0, T_Q8_0)
GEMV(gemv_q4_0, T_Q4_0)
GEMV(gemv_q4_k, T_Q4_K)
GEMV(gemv_q6_k, T_Q6_K)
