/* loss.cu: the fused softmax + cross-entropy at the top of the model. One block per row: the
 * row's max, then the sum of exponentials, then the gradient (softmax - onehot) / N written over
 * the logits, so no probability buffer exists. The per-row losses are then summed in a fixed
 * order by one block, so the loss is deterministic. */
#include "common.cuh"
#include "kernels.cuh"

namespace {

constexpr int THREADS = 256;

/* Reduce v over the block with op (sum or max); every thread gets the result. */
template <bool IS_MAX>
__device__ float block_reduce(float v, float *shared /* [THREADS / 32] */) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    v = IS_MAX ? slc_warp_max(v) : slc_warp_sum(v);
    __syncthreads(); /* shared may still be read from a previous reduction */
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    v = lane < THREADS / 32 ? shared[lane] : (IS_MAX ? -INFINITY : 0.0f);
    return IS_MAX ? slc_warp_max(v) : slc_warp_sum(v);
}

__global__ void __launch_bounds__(THREADS) softmax_cross_entropy_kernel(float *logits, float *row_loss,
                                                                        const int32_t *targets, int N, int V) {
    __shared__ float shared[THREADS / 32];
    int row = blockIdx.x;
    float *z = logits + (size_t)row * V;
    int target = targets[row];
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < V; i += THREADS) mx = fmaxf(mx, z[i]);
    mx = block_reduce<true>(mx, shared);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < V; i += THREADS) sum += expf(z[i] - mx);
    sum = block_reduce<false>(sum, shared);
    float target_logit = z[target]; /* read by every thread before anyone overwrites it */
    __syncthreads();
    float inv_n = 1.0f / (float)N, scale = inv_n / sum;
    for (int i = threadIdx.x; i < V; i += THREADS) {
        float g = expf(z[i] - mx) * scale;
        z[i] = i == target ? g - inv_n : g;
    }
    if (threadIdx.x == 0) row_loss[row] = logf(sum) - (target_logit - mx);
}

/* *loss_accum += mean(row_loss): one block, each thread a strided partial in double, then the
 * partials in thread order. */
__global__ void mean_accumulate_kernel(float *loss_accum, const float *row_loss, int N) {
    __shared__ double partial[THREADS];
    double s = 0.0;
    for (int i = threadIdx.x; i < N; i += THREADS) s += row_loss[i];
    partial[threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0.0;
        for (int i = 0; i < THREADS; i++) total += partial[i];
        *loss_accum += (float)(total / N);
    }
}

} // namespace

void slc_softmax_cross_entropy(float *logits, float *row_loss, float *loss_accum,
                               const int32_t *targets, int N, int V) {
    if (N <= 0) return;
    softmax_cross_entropy_kernel<<<N, THREADS>>>(logits, row_loss, targets, N, V);
    mean_accumulate_kernel<<<1, THREADS>>>(loss_accum, row_loss, N);
}
