/* matmul.cu: every matrix product of the transformer as one generic kernel shape,
 *
 *     D[m, n] = sum_k A(m, k) * B(n, k)      A(m, k) = A[m * sam + k * sak], B likewise,
 *
 * so the forward (x W^T), the input gradient (dy W) and the weight gradient (dy^T x) differ only
 * in strides, never in code. Two implementations share the tile loader and the epilogue:
 *  - tensor cores (default): tiles are rounded to bf16 as they are staged in shared memory and
 *    multiplied with WMMA 16x16x16 bf16 fragments accumulating in fp32. Weights, activations and
 *    gradients stay fp32 in global memory (fp32 master weights), so bf16 only touches the inputs of
 *    the products: ~3 significant digits per element, errors averaging out over K.
 *  - fp32 SIMT: a plain register-blocked fp32 kernel, for parity debugging and for devices where
 *    an exact comparison with the CPU engine matters more than speed.
 * The epilogue adds the bias and applies GELU (forward) or multiplies by GELU's derivative
 * (backward) while the result is in registers, so those passes cost no extra trip to memory. */
#include "common.cuh"
#include "kernels.cuh"

#include <cuda_bf16.h>
#include <mma.h>

namespace {

struct gemm_args {
    float *out;
    float *aux; /* GELU: pre-activation written (forward) or read (backward) */
    const float *A, *B, *bias;
    int M, N, K;
    long long sam, sak, sbn, sbk;
    slc_epilogue epilogue;
    int accumulate; /* out += result (weight gradients) */
};

__device__ __forceinline__ void store_result(const gemm_args &g, int m, int n, float acc) {
    if (m >= g.M || n >= g.N) return;
    size_t i = (size_t)m * g.N + n;
    if (g.bias) acc += g.bias[n];
    switch (g.epilogue) {
    case SLC_EPILOGUE_GELU:
        g.aux[i] = acc;
        g.out[i] = slc_gelu(acc);
        break;
    case SLC_EPILOGUE_GELU_BACKWARD:
        g.out[i] = acc * slc_gelu_grad(g.aux[i]);
        break;
    default:
        g.out[i] = g.accumulate ? g.out[i] + acc : acc;
    }
}

/* Stage the ROWS x BK tile of a strided operand starting at (row0, k0), zero outside the matrix.
 * Consecutive threads walk whichever index is contiguous in memory, so global reads coalesce for
 * every stride pattern. store(r, k, value) puts an element where the kernel wants it. */
template <int ROWS, int BK, int THREADS, typename Store>
__device__ __forceinline__ void load_tile(const float *src, long long s_row, long long s_k, int row0,
                                          int rows_total, int k0, int K, Store store) {
    const int count = ROWS * BK;
    if (s_k == 1) {
        for (int i = threadIdx.x; i < count; i += THREADS) {
            int r = i / BK, k = i % BK;
            int gr = row0 + r, gk = k0 + k;
            store(r, k, gr < rows_total && gk < K ? src[gr * s_row + gk] : 0.0f);
        }
    } else {
        for (int i = threadIdx.x; i < count; i += THREADS) {
            int k = i / ROWS, r = i % ROWS;
            int gr = row0 + r, gk = k0 + k;
            store(r, k, gr < rows_total && gk < K ? src[gr * s_row + gk * s_k] : 0.0f);
        }
    }
}

/* ---- tensor cores: 128 x 128 block tile, 8 warps of 64 x 32, K in steps of 32 ---------------- */

namespace tc {
constexpr int BM = 128, BN = 128, BK = 32, LD = BK + 8; /* +8: fewer bank conflicts; ldm % 8 == 0 */
constexpr int THREADS = 256, WARP_M = 64, WARP_N = 32;
constexpr int FRAG_M = WARP_M / 16, FRAG_N = WARP_N / 16;
}

__global__ void __launch_bounds__(tc::THREADS) gemm_bf16_kernel(gemm_args g) {
    using namespace nvcuda;
    __shared__ __align__(128) __nv_bfloat16 As[tc::BM * tc::LD];
    __shared__ __align__(128) __nv_bfloat16 Bs[tc::BN * tc::LD];
    __shared__ __align__(128) float scratch[tc::THREADS / 32][16 * 16];

    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int warp_m = warp / (tc::BN / tc::WARP_N), warp_n = warp % (tc::BN / tc::WARP_N);
    int m0 = blockIdx.y * tc::BM, n0 = blockIdx.x * tc::BN;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[tc::FRAG_M][tc::FRAG_N];
    for (int i = 0; i < tc::FRAG_M; i++)
        for (int j = 0; j < tc::FRAG_N; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    for (int k0 = 0; k0 < g.K; k0 += tc::BK) {
        load_tile<tc::BM, tc::BK, tc::THREADS>(g.A, g.sam, g.sak, m0, g.M, k0, g.K,
            [&](int r, int k, float v) { As[r * tc::LD + k] = __float2bfloat16(v); });
        load_tile<tc::BN, tc::BK, tc::THREADS>(g.B, g.sbn, g.sbk, n0, g.N, k0, g.K,
            [&](int r, int k, float v) { Bs[r * tc::LD + k] = __float2bfloat16(v); });
        __syncthreads();
        for (int kk = 0; kk < tc::BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a[tc::FRAG_M];
            /* B is staged as Bs[n][k]: column-major for the (k, n) operand WMMA expects. */
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b[tc::FRAG_N];
            for (int i = 0; i < tc::FRAG_M; i++)
                wmma::load_matrix_sync(a[i], As + (warp_m * tc::WARP_M + i * 16) * tc::LD + kk, tc::LD);
            for (int j = 0; j < tc::FRAG_N; j++)
                wmma::load_matrix_sync(b[j], Bs + (warp_n * tc::WARP_N + j * 16) * tc::LD + kk, tc::LD);
            for (int i = 0; i < tc::FRAG_M; i++)
                for (int j = 0; j < tc::FRAG_N; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

    /* Epilogue: one 16 x 16 fragment at a time through this warp's scratch. */
    float *mine = scratch[warp];
    for (int i = 0; i < tc::FRAG_M; i++) {
        for (int j = 0; j < tc::FRAG_N; j++) {
            wmma::store_matrix_sync(mine, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            int m_base = m0 + warp_m * tc::WARP_M + i * 16, n_base = n0 + warp_n * tc::WARP_N + j * 16;
            for (int e = lane; e < 256; e += 32) store_result(g, m_base + e / 16, n_base + e % 16, mine[e]);
            __syncwarp();
        }
    }
}

/* ---- fp32 SIMT: 64 x 64 block tile, 256 threads of 4 x 4 outputs ----------------------------- */

namespace simt {
constexpr int BM = 64, BN = 64, BK = 16, THREADS = 256;
}

__global__ void __launch_bounds__(simt::THREADS) gemm_fp32_kernel(gemm_args g) {
    __shared__ float As[simt::BK][simt::BM + 4];
    __shared__ float Bs[simt::BK][simt::BN + 4];
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int m0 = blockIdx.y * simt::BM, n0 = blockIdx.x * simt::BN;
    float acc[4][4] = {};
    for (int k0 = 0; k0 < g.K; k0 += simt::BK) {
        load_tile<simt::BM, simt::BK, simt::THREADS>(g.A, g.sam, g.sak, m0, g.M, k0, g.K,
            [&](int r, int k, float v) { As[k][r] = v; });
        load_tile<simt::BN, simt::BK, simt::THREADS>(g.B, g.sbn, g.sbk, n0, g.N, k0, g.K,
            [&](int r, int k, float v) { Bs[k][r] = v; });
        __syncthreads();
        for (int k = 0; k < simt::BK; k++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[k][ty + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = Bs[k][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) store_result(g, m0 + ty + 16 * i, n0 + tx + 16 * j, acc[i][j]);
}

void gemm(const gemm_args &g, int fp32) {
    if (g.M <= 0 || g.N <= 0) return;
    if (fp32) {
        dim3 grid(slc_ceil_div(g.N, simt::BN), slc_ceil_div(g.M, simt::BM));
        gemm_fp32_kernel<<<grid, simt::THREADS>>>(g);
    } else {
        dim3 grid(slc_ceil_div(g.N, tc::BN), slc_ceil_div(g.M, tc::BM));
        gemm_bf16_kernel<<<grid, tc::THREADS>>>(g);
    }
}

/* dbias[n] += sum over rows of dout[:, n]: 32 columns x a chunk of rows per block, partial sums
 * combined in shared memory, then one atomic per column per block. */
constexpr int COLSUM_ROWS_PER_BLOCK = 256;

__global__ void column_sum_kernel(float *dbias, const float *dout, int N, int OC) {
    __shared__ float partial[8][33];
    int col = blockIdx.x * 32 + threadIdx.x;
    int row0 = blockIdx.y * COLSUM_ROWS_PER_BLOCK;
    int row1 = min(row0 + COLSUM_ROWS_PER_BLOCK, N);
    float s = 0.0f;
    if (col < OC)
        for (int row = row0 + threadIdx.y; row < row1; row += 8) s += dout[(size_t)row * OC + col];
    partial[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && col < OC) {
        for (int y = 1; y < 8; y++) s += partial[y][threadIdx.x];
        atomicAdd(&dbias[col], s);
    }
}

} // namespace

void slc_column_sum_accumulate(float *dbias, const float *dout, int N, int OC) {
    dim3 grid(slc_ceil_div(OC, 32), slc_ceil_div(N, COLSUM_ROWS_PER_BLOCK));
    column_sum_kernel<<<grid, dim3(32, 8)>>>(dbias, dout, N, OC);
}

void slc_matmul_forward(float *out, float *pre_gelu, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC, int fp32) {
    gemm_args g = {};
    g.out = out;
    g.aux = pre_gelu;
    g.A = inp;    /* A(m = row, k = c) = inp[row * C + c] */
    g.B = weight; /* B(n = oc, k = c) = weight[oc * C + c] */
    g.bias = bias;
    g.M = N, g.N = OC, g.K = C;
    g.sam = C, g.sak = 1, g.sbn = C, g.sbk = 1;
    g.epilogue = pre_gelu ? SLC_EPILOGUE_GELU : SLC_EPILOGUE_NONE;
    gemm(g, fp32);
}

void slc_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const float *gelu_pre, int N,
                         int C, int OC, int fp32) {
    if (dinp) { /* dinp[row, c] = sum_oc dout[row, oc] weight[oc, c] */
        gemm_args g = {};
        g.out = dinp;
        g.aux = (float *)gelu_pre; /* only read by the GELU-backward epilogue */
        g.A = dout;
        g.B = weight;
        g.M = N, g.N = C, g.K = OC;
        g.sam = OC, g.sak = 1, g.sbn = 1, g.sbk = C;
        g.epilogue = gelu_pre ? SLC_EPILOGUE_GELU_BACKWARD : SLC_EPILOGUE_NONE;
        gemm(g, fp32);
    }
    if (dweight) { /* dweight[oc, c] += sum_row dout[row, oc] inp[row, c] */
        gemm_args g = {};
        g.out = dweight;
        g.A = dout;
        g.B = inp;
        g.M = OC, g.N = C, g.K = N;
        g.sam = 1, g.sak = OC, g.sbn = 1, g.sbk = C;
        g.epilogue = SLC_EPILOGUE_NONE;
        g.accumulate = 1;
        gemm(g, fp32);
    }
    if (dbias) slc_column_sum_accumulate(dbias, dout, N, OC);
}
