// Runs the kernels' per-value logic on the CPU, for tests on machines without a GPU:
//   host_check deq  <ggml type id> <rows> <cols> <in: raw rows> <out: f32 values>
//   host_check route <experts> <k> <tokens> <in: f32 logits> <out: k int32 ids then k f32 weights per token>
// The same functions (Q<T>::deq8, route_token) are what the GPU kernels call.
#include "common.cuh"
#include "routing.cuh"
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include <cmath>

static std::vector<unsigned char> slurp(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(3); }
    std::vector<unsigned char> v;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
    fclose(f);
    return v;
}

template <int T>
static void deq_rows(const unsigned char* w, long rowBytes, int rows, int cols, float* out) {
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < cols / 8; g++) Q<T>::deq8(w + r * rowBytes, g, out + (long) r * cols + 8 * g);
}

int main(int argc, char** argv) {
    if (argc != 7) { fprintf(stderr, "usage: see the comment at the top\n"); return 2; }
    FILE* out = fopen(argv[6], "wb");
    if (!out) { perror(argv[6]); return 3; }
    std::vector<unsigned char> in = slurp(argv[5]);
    // rows must start suitably aligned, as device allocations are: copy to an aligned buffer
    std::vector<uint4> aligned(in.size() / sizeof(uint4) + 1);
    memcpy(aligned.data(), in.data(), in.size());
    const unsigned char* data = reinterpret_cast<const unsigned char*>(aligned.data());
    if (strcmp(argv[1], "deq") == 0) {
        int type = atoi(argv[2]), rows = atoi(argv[3]), cols = atoi(argv[4]);
        long rowBytes = (long) in.size() / rows;
        std::vector<float> v((size_t) rows * cols);
        switch (type) {
            case T_F32: deq_rows<T_F32>(data, rowBytes, rows, cols, v.data()); break;
            case T_F16: deq_rows<T_F16>(data, rowBytes, rows, cols, v.data()); break;
            case T_BF16: deq_rows<T_BF16>(data, rowBytes, rows, cols, v.data()); break;
            case T_Q8_0: deq_rows<T_Q8_0>(data, rowBytes, rows, cols, v.data()); break;
            case T_Q4_0: deq_rows<T_Q4_0>(data, rowBytes, rows, cols, v.data()); break;
            case T_Q4_K: deq_rows<T_Q4_K>(data, rowBytes, rows, cols, v.data()); break;
            case T_Q6_K: deq_rows<T_Q6_K>(data, rowBytes, rows, cols, v.data()); break;
            default: fprintf(stderr, "no kernel type %d\n", type); return 2;
        }
        fwrite(v.data(), sizeof(float), v.size(), out);
    } else if (strcmp(argv[1], "route") == 0) {
        int experts = atoi(argv[2]), k = atoi(argv[3]), tokens = atoi(argv[4]);
        const float* logits = reinterpret_cast<const float*>(data);
        std::vector<int> ids(k);
        std::vector<float> w(k);
        for (int t = 0; t < tokens; t++) {
            route_token(logits + (long) t * experts, experts, k, ids.data(), w.data());
            fwrite(ids.data(), sizeof(int), k, out);
            fwrite(w.data(), sizeof(float), k, out);
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    fclose(out);
    return 0;
}
