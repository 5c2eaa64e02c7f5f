// Force-included (g++ -include) before the kernel sources when they are compiled for the CPU
// emulation of the CUDA execution model (see emu.cpp). It maps CUDA's keywords and intrinsics
// onto the emulator: every GPU thread of a block is a cooperative fiber, __syncthreads and warp
// shuffles are barriers among them, __shared__ variables are statics (blocks run one at a time).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <vector_types.h>
#include <math.h>
#include <string.h>
#include <stdint.h>
#include <algorithm>

#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)

using std::max;
using std::min;

int emu_lane();
void emu_check_aligned(const void* p, unsigned bytes);
const uint3& emu_thread_idx();
const uint3& emu_block_idx();
const dim3& emu_block_dim();
const dim3& emu_grid_dim();
void* emu_dynamic_shared();
void emu_sync_block();
uint32_t emu_shuffle(uint32_t value, int srcLane);
int emu_lane();

#define threadIdx (emu_thread_idx())
#define blockIdx (emu_block_idx())
#define blockDim (emu_block_dim())
#define gridDim (emu_grid_dim())

inline void __syncthreads() { emu_sync_block(); }

template <typename T> inline T emu_shfl(T v, int src) {
    static_assert(sizeof(T) == 4, "4-byte shuffles only");
    uint32_t bits;
    memcpy(&bits, &v, 4);
    bits = emu_shuffle(bits, src & 31);
    T out;
    memcpy(&out, &bits, 4);
    return out;
}
template <typename T> inline T __shfl_xor_sync(unsigned, T v, int mask) { return emu_shfl(v, emu_lane() ^ mask); }
template <typename T> inline T __shfl_sync(unsigned, T v, int src) { return emu_shfl(v, src); }

// Fibers are never preempted: a read-modify-write is atomic.
inline int atomicAdd(int* p, int v) { int old = *p; *p = old + v; return old; }
template <typename T> inline T __ldg(const T* p) { return *p; }
inline float __int_as_float(unsigned b) { float f; memcpy(&f, &b, 4); return f; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

// wmma: the operations are warp-collective (every lane passes the same pointers), so lane 0
// alone holds the whole 16x16 tiles and does the work; the other lanes' fragments stay unused.
// Same arithmetic as the tensor cores: f16 inputs, f32 sums.
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
template <typename Use, int M, int N, int K, typename T, typename Layout = void> struct fragment {
    float v[16 * 16];
};
template <typename U, typename T, typename L>
inline void fill_fragment(fragment<U, 16, 16, 16, T, L>& f, float x) {
    if (emu_lane() == 0) for (float& e : f.v) e = x;
}
// A row-major: a[i][k] = p[i * ld + k]
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 16, __half, row_major>& f, const __half* p, unsigned ld) {
    if (emu_lane() != 0) return;
    for (int i = 0; i < 16; i++) for (int k = 0; k < 16; k++) f.v[i * 16 + k] = __half2float(p[i * ld + k]);
}
// B column-major: b[k][n] = p[n * ld + k]
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 16, __half, col_major>& f, const __half* p, unsigned ld) {
    if (emu_lane() != 0) return;
    for (int n = 0; n < 16; n++) for (int k = 0; k < 16; k++) f.v[k * 16 + n] = __half2float(p[n * ld + k]);
}
template <typename L>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float, L>& d,
                     const fragment<matrix_a, 16, 16, 16, __half, row_major>& a,
                     const fragment<matrix_b, 16, 16, 16, __half, col_major>& b,
                     const fragment<accumulator, 16, 16, 16, float, L>& c) {
    if (emu_lane() != 0) return;
    float r[256];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float s = c.v[i * 16 + j];
            for (int k = 0; k < 16; k++) s += a.v[i * 16 + k] * b.v[k * 16 + j];
            r[i * 16 + j] = s;
        }
    memcpy(d.v, r, sizeof r);
}
template <typename L>
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float, L>& f, unsigned ld, layout_t) {
    if (emu_lane() != 0) return;
    for (int i = 0; i < 16; i++) for (int j = 0; j < 16; j++) p[i * ld + j] = f.v[i * 16 + j];
}
}  // namespace wmma
}  // namespace nvcuda
