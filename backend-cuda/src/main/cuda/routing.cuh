// Router softmax and top-k of one token, shared by moe.cu and the host-side test program.
#pragma once
#include <math.h>

#define MAX_EXPERTS 256

// Softmax over one token's router logits, then the k most probable experts (ties go to the
// lower index) with their probabilities renormalised over the k kept, as Mixtral does. Host and
// device: a GPU-free test runs it on the CPU.
__host__ __device__ inline void route_token(const float* r, int nExperts, int k, int* ids, float* weights) {
    float mx = r[0];
    for (int e = 1; e < nExperts; e++) mx = fmaxf(mx, r[e]);
    float p[MAX_EXPERTS];
    float total = 0.0f;
    for (int e = 0; e < nExperts; e++) { p[e] = expf(r[e] - mx); total += p[e]; }
    unsigned long long taken[MAX_EXPERTS / 64] = {0, 0, 0, 0};
    float chosen = 0.0f;
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int e = 0; e < nExperts; e++) {
            if ((taken[e >> 6] >> (e & 63)) & 1ull) continue;
            if (best < 0 || p[e] > p[best]) best = e;
        }
        taken[best >> 6] |= 1ull << (best & 63);
        ids[j] = best;
        weights[j] = p[best] / total;
        chosen += p[best] / total;
    }
    for (int j = 0; j < k; j++) weights[j] /= chosen;
}
