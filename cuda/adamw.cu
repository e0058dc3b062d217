/* adamw.cu: the global gradient norm, the clipping factor and the AdamW update, as
 * native/src/train/trainer.c and adamw.c define them. The norm and the factor stay on the device so a
 * step needs no round trip to the host before the update. */
#include "common.cuh"
#include "kernels.cuh"

namespace {

constexpr int THREADS = 256;

/* Block b sums squares over a grid-stride slice into partial[b] (fp32 per thread over a few
 * hundred elements, double across threads and blocks). */
__global__ void sum_squares_partial_kernel(double *partial, const float *g, size_t n) {
    __shared__ double sums[THREADS];
    float s = 0.0f;
    for (size_t i = (size_t)blockIdx.x * THREADS + threadIdx.x; i < n; i += (size_t)gridDim.x * THREADS)
        s = fmaf(g[i], g[i], s);
    sums[threadIdx.x] = s;
    __syncthreads();
    for (int stride = THREADS / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];
}

__global__ void sum_partials_kernel(double *out, const double *partial, int n) {
    double total = 0.0;
    for (int i = 0; i < n; i++) total += partial[i];
    *out = total;
}

__global__ void clip_scale_kernel(float *scale, float *norm, const double *sum_squares, int n_micro, float clip) {
    double mean_norm = sqrt(*sum_squares) / n_micro;
    double s = 1.0 / n_micro;
    if (clip > 0.0f && mean_norm > clip) s *= clip / mean_norm;
    *norm = (float)mean_norm;
    *scale = (float)s;
}

__global__ void adamw_kernel(float *params, const float *grads, float *m, float *v, size_t n,
                             const float *grad_scale, float lr, float beta1, float beta2, float eps,
                             float weight_decay, float m_correction, float v_correction) {
    size_t i = (size_t)blockIdx.x * THREADS + threadIdx.x;
    if (i >= n) return;
    float g = grads[i] * *grad_scale;
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float step = (mi * m_correction) / (sqrtf(vi * v_correction) + eps);
    params[i] -= lr * (step + weight_decay * params[i]);
}

} // namespace

void slc_sum_squares(double *out, const float *g, size_t n, double *partial) {
    sum_squares_partial_kernel<<<SLC_NORM_BLOCKS, THREADS>>>(partial, g, n);
    sum_partials_kernel<<<1, 1>>>(out, partial, SLC_NORM_BLOCKS);
}

void slc_clip_scale(float *scale, float *norm, const double *sum_squares, int n_micro, float clip) {
    clip_scale_kernel<<<1, 1>>>(scale, norm, sum_squares, n_micro, clip);
}

void slc_adamw_update(float *params, const float *g, float *m, float *v, size_t n,
                      const float *grad_scale, float lr, float beta1, float beta2, float eps,
                      float weight_decay, float m_correction, float v_correction) {
    if (n == 0) return;
    adamw_kernel<<<slc_ceil_div((long long)n, THREADS), THREADS>>>(params, g, m, v, n, grad_scale, lr, beta1, beta2,
                                                                   eps, weight_decay, m_correction, v_correction);
}
