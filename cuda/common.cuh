/* common.cuh: what every CUDA file of the backend shares: error recording, launch checks and
 * the warp reductions the kernels are built from. */
#ifndef SLC_COMMON_CUH
#define SLC_COMMON_CUH

#include <cuda_runtime.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes, numerically equal to seedling.h's sl_status. */
enum {
    SLC_OK = 0,
    SLC_ERR_INVALID_ARGUMENT = 1,
    SLC_ERR_OUT_OF_MEMORY = 2,
    SLC_ERR_UNSUPPORTED = 6,
    SLC_ERR_INTERNAL = 7
};

/* Record a formatted message for slc_last_error() on this thread and return status. */
int slc_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map a CUDA error to a status with a message naming what was being done. */
int slc_cuda_fail(cudaError_t err, const char *what);

/* Return from the enclosing int-returning function if a CUDA call fails. */
#define SLC_CUDA_TRY(call, what)                                                                  \
    do {                                                                                          \
        cudaError_t slc_err_ = (call);                                                            \
        if (slc_err_ != cudaSuccess) return slc_cuda_fail(slc_err_, what);                        \
    } while (0)

#define SLC_TRY(call)                                                                             \
    do {                                                                                          \
        int slc_status_ = (call);                                                                 \
        if (slc_status_ != SLC_OK) return slc_status_;                                            \
    } while (0)

static inline int slc_ceil_div(long long a, long long b) { return (int)((a + b - 1) / b); }

__device__ __forceinline__ float slc_warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float slc_warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

/* GPT-2's GELU, tanh approximation, and its derivative (same formulas as native/src/model/ops.c). */
#define SLC_GELU_SCALE 0.7978845608028654f
#define SLC_GELU_CUBE 0.044715f

__device__ __forceinline__ float slc_gelu(float x) {
    float u = SLC_GELU_SCALE * (x + SLC_GELU_CUBE * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
}

__device__ __forceinline__ float slc_gelu_grad(float x) {
    float x2 = x * x;
    float t = tanhf(SLC_GELU_SCALE * (x + SLC_GELU_CUBE * x2 * x));
    float du_dx = SLC_GELU_SCALE * (1.0f + 3.0f * SLC_GELU_CUBE * x2);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du_dx;
}
#endif
