// A CPU emulation of the CUDA execution model plus the subset of the driver API backend-cuda
// calls, built as a shared library the backend loads in place of libcuda.so.1
// (-Dmixtral4j.cuda.driver=...). It compiles the very kernel sources that nvcc turns into PTX
// and runs them: each block's threads are ucontext fibers scheduled round-robin; barriers and
// warp shuffles switch fibers; device memory is host memory. Tests use it to run the whole
// backend (kernels, launch shapes, host logic) without a GPU. It says nothing about speed, and
// real-hardware behaviour (memory model, timing, precision of hardware intrinsics) may differ.
#include <setjmp.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "elementwise.cu"
#include "matvec.cu"
#include "matmul.cu"
#include "attention.cu"
#include "moe.cu"

namespace {
struct Fiber {
    ucontext_t ctx;      // used once, to start the fiber on its own stack
    jmp_buf jump;        // every later switch: _setjmp/_longjmp, which (unlike swapcontext) make no system call
    bool started = false;
    char* stack = nullptr;
    bool done = false;
    uint3 tid;
};

struct Barrier {
    int live = 0;
    int arrived = 0;
    unsigned generation = 0;
};

struct Launch {
    void (*trampoline)(void**) = nullptr;
    void** params = nullptr;
    std::vector<Fiber> fibers;
    ucontext_t scheduler;
    jmp_buf schedulerJump;
    int current = 0;
    Barrier block;
    std::vector<Barrier> warps;
    std::vector<uint32_t> lanes;       // shuffle exchange, one slot per thread
    std::vector<char> dynamicShared;
    uint3 bIdx;
    dim3 bDim, gDim;
    unsigned long long progress = 0;
    bool deadlock = false;
    bool misaligned = false;
};

Launch* L = nullptr;
std::mutex launchLock;
const size_t STACK = 128 * 1024;
// Fiber stacks, kept across launches: allocating and zeroing them per launch cost more than
// the kernels themselves.
std::vector<char*> stackPool;

char* stackFor(int i) {
    while ((int) stackPool.size() <= i) stackPool.push_back(static_cast<char*>(malloc(STACK)));
    return stackPool[i];
}

void yield() {
    if (!_setjmp(L->fibers[L->current].jump)) _longjmp(L->schedulerJump, 1);
}

// Runs fiber i until it yields or finishes.
void resume(int i) {
    L->current = i;
    Fiber& f = L->fibers[i];
    if (_setjmp(L->schedulerJump)) return;   // came back from the fiber
    if (!f.started) {
        f.started = true;
        setcontext(&f.ctx);
    }
    _longjmp(f.jump, 1);
}

void arrive(Barrier& b) {
    unsigned g = b.generation;
    L->progress++;
    if (++b.arrived == b.live) {
        b.arrived = 0;
        b.generation++;
        return;
    }
    while (b.generation == g && !L->deadlock) yield();
}

void leave(Barrier& b) {
    b.live--;
    if (b.arrived > 0 && b.arrived == b.live) {
        b.arrived = 0;
        b.generation++;
    }
}

void fiberMain(int index) {
    L->trampoline(L->params);
    Fiber& f = L->fibers[index];
    f.done = true;
    L->progress++;
    leave(L->block);
    leave(L->warps[index / 32]);
    _longjmp(L->schedulerJump, 1);   // never return: the fiber's stack is simply abandoned
}

bool runBlock() {
    int n = (int) L->fibers.size();
    L->block = Barrier();
    L->block.live = n;
    for (size_t w = 0; w < L->warps.size(); w++) {
        L->warps[w] = Barrier();
        L->warps[w].live = std::min(32, n - (int) w * 32);
    }
    for (int i = 0; i < n; i++) {
        Fiber& f = L->fibers[i];
        f.done = false;
        f.started = false;
        f.tid = make_uint3(i % L->bDim.x, (i / L->bDim.x) % L->bDim.y, i / (L->bDim.x * L->bDim.y));
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = STACK;
        f.ctx.uc_link = &L->scheduler;
        makecontext(&f.ctx, (void (*)()) fiberMain, 1, i);
    }
    int remaining = n;
    while (remaining > 0) {
        unsigned long long before = L->progress;
        remaining = 0;
        for (int i = 0; i < n; i++) {
            if (L->fibers[i].done) continue;
            resume(i);
            if (!L->fibers[i].done) remaining++;
        }
        if (remaining > 0 && L->progress == before) {
            // every live thread waits at a barrier the others never reach
            L->deadlock = true;
            for (int i = 0; i < n; i++) {
                while (!L->fibers[i].done) resume(i);
            }
            return false;
        }
    }
    return true;
}

template <typename... A, size_t... I>
void callUnpacked(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<A*>(p[I])...);
}
template <typename... A> void invoke(void (*f)(A...), void** p) { callUnpacked(f, p, std::index_sequence_for<A...>{}); }

#define K(name) {#name, [](void** p) { invoke(&name, p); }}
#define PER_TYPE(prefix) K(prefix##_f32), K(prefix##_f16), K(prefix##_bf16), K(prefix##_q8_0), K(prefix##_q4_0), \
    K(prefix##_q4_k), K(prefix##_q6_k)
const std::map<std::string, void (*)(void**)>& kernels() {
    static const std::map<std::string, void (*)(void**)> m = {
        PER_TYPE(embed), PER_TYPE(dequant), PER_TYPE(gemv), PER_TYPE(gemm),
        K(rmsnorm), K(rope), K(add_inplace), K(swiglu), K(kv_store_f32), K(kv_store_f16),
        K(attn_decode_f32), K(attn_decode_f16), K(attn_decode_combine), K(attn_prefill_f32), K(attn_prefill_f16),
        K(moe_topk), K(moe_group), K(moe_combine),
    };
    return m;
}
}  // namespace

const uint3& emu_thread_idx() { return L->fibers[L->current].tid; }
const uint3& emu_block_idx() { return L->bIdx; }
const dim3& emu_block_dim() { return L->bDim; }
const dim3& emu_grid_dim() { return L->gDim; }
void* emu_dynamic_shared() { return L->dynamicShared.data(); }
void emu_sync_block() { arrive(L->block); }
int emu_lane() { return L->current % 32; }
void emu_check_aligned(const void* p, unsigned bytes) {
    if (L != nullptr && reinterpret_cast<uintptr_t>(p) % bytes != 0 && !L->misaligned) {
        L->misaligned = true;
        fprintf(stderr, "emulated CUDA: misaligned %u-byte load at %p (thread %d of block %u,%u,%u)\n", bytes, p,
                L->current, L->bIdx.x, L->bIdx.y, L->bIdx.z);
    }
}
uint32_t emu_shuffle(uint32_t value, int srcLane) {
    int warp = L->current / 32;
    Barrier& b = L->warps[warp];
    L->lanes[L->current] = value;
    arrive(b);   // every lane has published
    uint32_t out = L->lanes[warp * 32 + srcLane];
    arrive(b);   // every lane has read before the slots are reused
    return out;
}

// ---------------------------------------------------------------- the driver API subset
#define API extern "C" __attribute__((visibility("default")))
typedef int CUresult;
static const CUresult OK = 0, INVALID_VALUE = 1, NOT_FOUND = 500, MISALIGNED = 716, LAUNCH_FAILED = 719;
static char fakeContext, fakeModule, fakeStream, fakeEvent;

API CUresult cuInit(unsigned) { return OK; }
API CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
API CUresult cuDeviceGetCount(int* n) { *n = 1; return OK; }
API CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return INVALID_VALUE; *d = 0; return OK; }
API CUresult cuDeviceGetName(char* name, int len, int) {
    snprintf(name, len, "Mixtral4j CPU emulation of CUDA");
    return OK;
}
API CUresult cuDeviceTotalMem_v2(size_t* b, int) { *b = 16ull << 30; return OK; }
API CUresult cuDeviceGetAttribute(int* v, int attribute, int) {
    switch (attribute) {
        case 75: *v = 9; break;          // compute capability 9.0
        case 76: *v = 0; break;
        case 16: *v = 1; break;          // multiprocessors
        case 97: *v = 227 * 1024; break; // opt-in shared memory per block
        default: *v = 0;
    }
    return OK;
}
API CUresult cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = &fakeContext; return OK; }
API CUresult cuDevicePrimaryCtxRelease_v2(int) { return OK; }
API CUresult cuCtxSetCurrent(void*) { return OK; }
API CUresult cuCtxSynchronize() { return OK; }
API CUresult cuModuleLoadData(void** m, const void*) { *m = &fakeModule; return OK; }
API CUresult cuModuleLoadDataEx(void** m, const void*, unsigned, void*, void**) { *m = &fakeModule; return OK; }
API CUresult cuModuleUnload(void*) { return OK; }
API CUresult cuModuleGetFunction(void** f, void*, const char* name) {
    auto it = kernels().find(name);
    if (it == kernels().end()) return NOT_FOUND;
    *f = (void*) it->second;
    return OK;
}
API CUresult cuFuncSetAttribute(void*, int, int) { return OK; }
API CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned sharedBytes, void*, void** params, void**) {
    std::lock_guard<std::mutex> guard(launchLock);
    Launch launch;
    L = &launch;
    launch.trampoline = (void (*)(void**)) f;
    launch.params = params;
    launch.bDim = dim3(bx, by, bz);
    launch.gDim = dim3(gx, gy, gz);
    int n = (int) (bx * by * bz);
    launch.fibers.resize(n);
    for (int i = 0; i < n; i++) launch.fibers[i].stack = stackFor(i);
    launch.warps.resize((n + 31) / 32);
    launch.lanes.resize(n);
    launch.dynamicShared.assign(sharedBytes + 16, 0);
    bool ok = true;
    for (unsigned z = 0; z < gz && ok; z++)
        for (unsigned y = 0; y < gy && ok; y++)
            for (unsigned x = 0; x < gx && ok; x++) {
                launch.bIdx = make_uint3(x, y, z);
                ok = runBlock();
            }
    L = nullptr;
    return !ok ? LAUNCH_FAILED : launch.misaligned ? MISALIGNED : OK;
}
API CUresult cuMemAlloc_v2(unsigned long long* p, size_t bytes) {
    void* m = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!m) return 2;   // CUDA_ERROR_OUT_OF_MEMORY
    memset(m, 0xA5, bytes);   // garbage, as device memory is, so a missing initialisation shows
    *p = (unsigned long long) m;
    return OK;
}
API CUresult cuMemFree_v2(unsigned long long p) { free((void*) p); return OK; }
API CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) { *freeBytes = 12ull << 30; *total = 16ull << 30; return OK; }
API CUresult cuMemcpyHtoD_v2(unsigned long long d, const void* s, size_t n) { memcpy((void*) d, s, n); return OK; }
API CUresult cuMemcpyDtoH_v2(void* d, unsigned long long s, size_t n) { memcpy(d, (void*) s, n); return OK; }
API CUresult cuMemcpyDtoD_v2(unsigned long long d, unsigned long long s, size_t n) { memcpy((void*) d, (void*) s, n); return OK; }
API CUresult cuMemcpyHtoDAsync_v2(unsigned long long d, const void* s, size_t n, void*) { memcpy((void*) d, s, n); return OK; }
API CUresult cuMemcpyDtoHAsync_v2(void* d, unsigned long long s, size_t n, void*) { memcpy(d, (void*) s, n); return OK; }
API CUresult cuMemsetD8_v2(unsigned long long d, unsigned char v, size_t n) { memset((void*) d, v, n); return OK; }
API CUresult cuMemsetD32_v2(unsigned long long d, unsigned v, size_t n) {
    for (size_t i = 0; i < n; i++) ((unsigned*) d)[i] = v;
    return OK;
}
API CUresult cuMemHostAlloc(void** p, size_t n, unsigned) { *p = malloc(n); return *p ? OK : 2; }
API CUresult cuMemFreeHost(void* p) { free(p); return OK; }
API CUresult cuStreamCreate(void** s, unsigned) { *s = &fakeStream; return OK; }
API CUresult cuStreamSynchronize(void*) { return OK; }
API CUresult cuStreamDestroy_v2(void*) { return OK; }
API CUresult cuEventCreate(void** e, unsigned) { *e = &fakeEvent; return OK; }
API CUresult cuEventRecord(void*, void*) { return OK; }
API CUresult cuEventSynchronize(void*) { return OK; }
API CUresult cuEventDestroy_v2(void*) { return OK; }
API CUresult cuEventElapsedTime_v2(float* ms, void*, void*) { *ms = 0; return OK; }
API CUresult cuGetErrorName(CUresult r, const char** s) {
    *s = r == OK ? "CUDA_SUCCESS" : r == NOT_FOUND ? "CUDA_ERROR_NOT_FOUND" : r == LAUNCH_FAILED ? "CUDA_ERROR_LAUNCH_FAILED"
        : r == INVALID_VALUE ? "CUDA_ERROR_INVALID_VALUE" : r == MISALIGNED ? "CUDA_ERROR_MISALIGNED_ADDRESS"
        : "CUDA_ERROR_UNKNOWN";
    return OK;
}
API CUresult cuGetErrorString(CUresult r, const char** s) {
    *s = r == LAUNCH_FAILED ? "emulated kernel deadlocked: threads wait at barriers others never reach"
        : r == MISALIGNED ? "emulated kernel made a misaligned vector load (see stderr)" : "emulated driver error";
    return OK;
}
