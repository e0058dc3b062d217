/* embedding.cu: token + position embedding, forward and backward. One thread per element. */
#include "common.cuh"
#include "kernels.cuh"

namespace {

__global__ void embedding_forward_kernel(float *out, const int32_t *tokens, const float *wte,
                                         const float *wpe, int N, int T, int C, int pos0) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * C) return;
    int row = (int)(i / C), c = (int)(i % C);
    int t = row % T + pos0;
    out[i] = wte[(size_t)tokens[row] * C + c] + wpe[(size_t)t * C + c];
}

/* Rows that share a token (or a position) add into the same gradient row: atomics resolve the
 * collisions. The order of the additions varies between runs; the sum does not (up to rounding). */
__global__ void embedding_backward_kernel(float *dwte, float *dwpe, const float *dout,
                                          const int32_t *tokens, int N, int T, int C) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)N * C) return;
    int row = (int)(i / C), c = (int)(i % C);
    float d = dout[i];
    atomicAdd(&dwte[(size_t)tokens[row] * C + c], d);
    atomicAdd(&dwpe[(size_t)(row % T) * C + c], d);
}

} // namespace

void slc_embedding_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe,
                           int B, int T, int C, int pos0) {
    size_t n = (size_t)B * T * C;
    embedding_forward_kernel<<<slc_ceil_div((long long)n, 256), 256>>>(out, tokens, wte, wpe, B * T, T, C, pos0);
}

void slc_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens,
                            int B, int T, int C) {
    size_t n = (size_t)B * T * C;
    embedding_backward_kernel<<<slc_ceil_div((long long)n, 256), 256>>>(dwte, dwpe, dout, tokens, B * T, T, C);
}
