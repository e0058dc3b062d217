/* layernorm.cu: LayerNorm forward (optionally fused with the residual add that precedes it in
 * every GPT-2 block) and backward. One warp per row; statistics in fp32 with a two-pass variance
 * (the row is re-read from L1/L2, which is cheaper than losing precision to E[x^2] - E[x]^2). */
#include "common.cuh"
#include "kernels.cuh"

namespace {

constexpr int ROWS_PER_BLOCK = 8; /* warps per block */
constexpr float LN_EPS = 1e-5f;

/* Normalise the row x (already in memory) into y; returns nothing, writes mean/rstd if wanted. */
__device__ __forceinline__ void normalize_row(float *y, float *mean, float *rstd, const float *x,
                                              const float *weight, const float *bias, int row, int C) {
    int lane = threadIdx.x % 32;
    float sum = 0.0f;
    for (int i = lane; i < C; i += 32) sum += x[i];
    float m = slc_warp_sum(sum) / C;
    float var = 0.0f;
    for (int i = lane; i < C; i += 32) {
        float d = x[i] - m;
        var += d * d;
    }
    float s = rsqrtf(slc_warp_sum(var) / C + LN_EPS);
    for (int i = lane; i < C; i += 32) y[i] = (x[i] - m) * s * weight[i] + bias[i];
    if (lane == 0) {
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = s;
    }
}

__global__ void layernorm_forward_kernel(float *out, float *mean, float *rstd, const float *inp,
                                         const float *weight, const float *bias, int N, int C) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
    if (row >= N) return;
    normalize_row(out + (size_t)row * C, mean, rstd, inp + (size_t)row * C, weight, bias, row, C);
}

__global__ void residual_layernorm_forward_kernel(float *residual_out, float *out, float *mean,
                                                  float *rstd, const float *a, const float *b,
                                                  const float *weight, const float *bias, int N, int C) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
    if (row >= N) return;
    size_t o = (size_t)row * C;
    /* Each lane later re-reads exactly the elements it writes here, so no barrier is needed. */
    for (int i = threadIdx.x % 32; i < C; i += 32) residual_out[o + i] = a[o + i] + b[o + i];
    normalize_row(out + o, mean, rstd, residual_out + o, weight, bias, row, C);
}

/* dx += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight. */
__global__ void layernorm_backward_rows_kernel(float *dinp, const float *dout, const float *inp,
                                               const float *weight, const float *mean,
                                               const float *rstd, int N, int C) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N) return;
    const float *x = inp + (size_t)row * C, *dy = dout + (size_t)row * C;
    float *dx = dinp + (size_t)row * C;
    float m = mean[row], s = rstd[row];
    float g_sum = 0.0f, gx_sum = 0.0f;
    for (int i = lane; i < C; i += 32) {
        float g = dy[i] * weight[i];
        g_sum += g;
        gx_sum += g * (x[i] - m) * s;
    }
    float g_mean = slc_warp_sum(g_sum) / C, gx_mean = slc_warp_sum(gx_sum) / C;
    for (int i = lane; i < C; i += 32) {
        float xhat = (x[i] - m) * s;
        dx[i] += s * (dy[i] * weight[i] - g_mean - xhat * gx_mean);
    }
}

/* dweight, dbias: column sums over rows; 32 channels x a chunk of rows per block. */
constexpr int PARAM_ROWS_PER_BLOCK = 256;

__global__ void layernorm_backward_params_kernel(float *dweight, float *dbias, const float *dout,
                                                 const float *inp, const float *mean,
                                                 const float *rstd, int N, int C) {
    __shared__ float partial_w[8][33], partial_b[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    int row0 = blockIdx.y * PARAM_ROWS_PER_BLOCK, row1 = min(row0 + PARAM_ROWS_PER_BLOCK, N);
    float sw = 0.0f, sb = 0.0f;
    if (c < C) {
        for (int row = row0 + threadIdx.y; row < row1; row += 8) {
            float dy = dout[(size_t)row * C + c];
            sw += dy * (inp[(size_t)row * C + c] - mean[row]) * rstd[row];
            sb += dy;
        }
    }
    partial_w[threadIdx.y][threadIdx.x] = sw;
    partial_b[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        for (int y = 1; y < 8; y++) {
            sw += partial_w[y][threadIdx.x];
            sb += partial_b[y][threadIdx.x];
        }
        atomicAdd(&dweight[c], sw);
        atomicAdd(&dbias[c], sb);
    }
}

} // namespace

void slc_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, int N, int C) {
    layernorm_forward_kernel<<<slc_ceil_div(N, ROWS_PER_BLOCK), ROWS_PER_BLOCK * 32>>>(out, mean, rstd, inp, weight, bias, N, C);
}

void slc_residual_layernorm_forward(float *residual_out, float *out, float *mean, float *rstd,
                                    const float *a, const float *b, const float *weight,
                                    const float *bias, int N, int C) {
    residual_layernorm_forward_kernel<<<slc_ceil_div(N, ROWS_PER_BLOCK), ROWS_PER_BLOCK * 32>>>(
        residual_out, out, mean, rstd, a, b, weight, bias, N, C);
}

void slc_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C) {
    layernorm_backward_rows_kernel<<<slc_ceil_div(N, ROWS_PER_BLOCK), ROWS_PER_BLOCK * 32>>>(
        dinp, dout, inp, weight, mean, rstd, N, C);
    dim3 grid(slc_ceil_div(C, 32), slc_ceil_div(N, PARAM_ROWS_PER_BLOCK));
    layernorm_backward_params_kernel<<<grid, dim3(32, 8)>>>(dweight, dbias, dout, inp, mean, rstd, N, C);
}
