/* attention.cu: causal multi-head self-attention, flash-style: the T x T score matrix is never
 * stored. The forward keeps one log-sum-exp per query; the backward recomputes probabilities
 * from it, tile by tile.
 *
 * qkv is [B, T, 3C] (q, k, v per token; head h uses channels h*hs .. h*hs+hs-1 of each), out is
 * [B, T, C], lse is [B, NH, T]. Blocks work on one (batch, head) pair and a tile of 32 queries
 * (or keys); tiles of 32 keys (or queries) stream through shared memory. Within a block each of the
 * 8 warps owns 4 rows and its lanes stand for the 32 entries of the other tile, so a score is one
 * lane's dot product and row reductions are warp shuffles.
 *
 * Backward, as in FlashAttention-2 but split in two kernels so that nothing needs atomics:
 *   D_t = dout_t . out_t                  (= sum_j p_tj (dout_t . v_j))
 *   p_tj = exp(scale q_t.k_j - lse_t)     ds_tj = p_tj (dout_t . v_j - D_t)
 *   dv_j = sum_t p_tj dout_t   dk_j = scale sum_t ds_tj q_t   (key-parallel kernel)
 *   dq_t = scale sum_j ds_tj k_j                              (query-parallel kernel) */
#include "common.cuh"
#include "kernels.cuh"

namespace {

constexpr int TILE = 32, WARPS = 8, ROWS_PER_WARP = TILE / WARPS, THREADS = WARPS * 32;
constexpr int DIMS_PER_LANE = SLC_MAX_HEAD_SIZE / 32;
constexpr unsigned FULL = 0xffffffffu;

/* Shared-memory row stride: hs + 1 keeps "lane r reads row r" patterns free of bank conflicts. */
__host__ __device__ inline int row_stride(int hs) { return hs + 1; }

/* Stage rows t0..t0+TILE-1 of one head's q, k or v (part = 0, 1, 2) into dst; zero past T. */
__device__ __forceinline__ void load_rows(float *dst, const float *qkv_b, int part, int t0, int T,
                                          int C, int h, int hs) {
    int ld = row_stride(hs);
    for (int i = threadIdx.x; i < TILE * hs; i += THREADS) {
        int r = i / hs, d = i % hs, t = t0 + r;
        dst[r * ld + d] = t < T ? qkv_b[(size_t)t * 3 * C + part * C + h * hs + d] : 0.0f;
    }
}

__device__ __forceinline__ float dot_rows(const float *a, const float *b, int hs) {
    float s = 0.0f;
    for (int d = 0; d < hs; d++) s = fmaf(a[d], b[d], s);
    return s;
}

__global__ void __launch_bounds__(THREADS) attention_forward_kernel(float *out, float *lse,
                                                                     const float *qkv, int T, int C, int NH) {
    extern __shared__ float smem[];
    int hs = C / NH, ld = row_stride(hs);
    float *Qs = smem, *Ks = Qs + TILE * ld, *Vs = Ks + TILE * ld;
    int b = blockIdx.y / NH, h = blockIdx.y % NH, q0 = blockIdx.x * TILE;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const float *qkv_b = qkv + (size_t)b * T * 3 * C;
    float scale = rsqrtf((float)hs);

    load_rows(Qs, qkv_b, 0, q0, T, C, h, hs);
    float m[ROWS_PER_WARP], l[ROWS_PER_WARP], o[ROWS_PER_WARP][DIMS_PER_LANE];
    for (int r = 0; r < ROWS_PER_WARP; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
        for (int c = 0; c < DIMS_PER_LANE; c++) o[r][c] = 0.0f;
    }
    int q_last = min(q0 + TILE, T) - 1;
    for (int k0 = 0; k0 <= q_last; k0 += TILE) {
        __syncthreads(); /* the previous key tile is consumed (and Qs is ready on the first pass) */
        load_rows(Ks, qkv_b, 1, k0, T, C, h, hs);
        load_rows(Vs, qkv_b, 2, k0, T, C, h, hs);
        __syncthreads();
        for (int r = 0; r < ROWS_PER_WARP; r++) {
            int qi = warp * ROWS_PER_WARP + r, t = q0 + qi;
            if (t >= T) continue; /* warp-uniform */
            int j = k0 + lane;
            float s = j <= t ? scale * dot_rows(Qs + qi * ld, Ks + lane * ld, hs) : -INFINITY;
            /* Key 0 is in the first tile and visible to every query, so m_new is always finite. */
            float m_new = fmaxf(m[r], slc_warp_max(s));
            float p = j <= t ? expf(s - m_new) : 0.0f;
            float correction = expf(m[r] - m_new); /* 0 on the first tile (m = -inf) */
            l[r] = l[r] * correction + slc_warp_sum(p);
            int visible = min(TILE, t - k0 + 1);
            for (int c = 0; c < DIMS_PER_LANE; c++) o[r][c] *= correction;
            for (int jj = 0; jj < visible; jj++) {
                float pj = __shfl_sync(FULL, p, jj);
                for (int c = 0; c < DIMS_PER_LANE; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) o[r][c] = fmaf(pj, Vs[jj * ld + d], o[r][c]);
                }
            }
            m[r] = m_new;
        }
    }
    for (int r = 0; r < ROWS_PER_WARP; r++) {
        int t = q0 + warp * ROWS_PER_WARP + r;
        if (t >= T) continue;
        float inv_l = 1.0f / l[r];
        float *o_row = out + ((size_t)b * T + t) * C + h * hs;
        for (int c = 0; c < DIMS_PER_LANE; c++) {
            int d = lane + 32 * c;
            if (d < hs) o_row[d] = o[r][c] * inv_l;
        }
        if (lane == 0) lse[((size_t)b * NH + h) * T + t] = m[r] + logf(l[r]);
    }
}

/* D[b, h, t] = dout_t . out_t over the head's channels: one warp per (b, t, h). */
__global__ void attention_row_dot_kernel(float *D, const float *dout, const float *out, int B, int T,
                                         int C, int NH) {
    int w = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (w >= B * T * NH) return;
    int h = w % NH, bt = w / NH, b = bt / T, t = bt % T, hs = C / NH;
    const float *g = dout + (size_t)bt * C + h * hs, *o = out + (size_t)bt * C + h * hs;
    float s = 0.0f;
    for (int d = lane; d < hs; d += 32) s += g[d] * o[d];
    s = slc_warp_sum(s);
    if (lane == 0) D[((size_t)b * NH + h) * T + t] = s;
}

/* Stage dout rows t0.. of one head (dout is [B, T, C]). */
__device__ __forceinline__ void load_dout_rows(float *dst, const float *dout_b, int t0, int T, int C,
                                               int h, int hs) {
    int ld = row_stride(hs);
    for (int i = threadIdx.x; i < TILE * hs; i += THREADS) {
        int r = i / hs, d = i % hs, t = t0 + r;
        dst[r * ld + d] = t < T ? dout_b[(size_t)t * C + h * hs + d] : 0.0f;
    }
}

/* Key-parallel: each block owns 32 keys and sweeps every query tile at or below the diagonal. */
__global__ void __launch_bounds__(THREADS) attention_backward_dkdv_kernel(
    float *dqkv, const float *dout, const float *qkv, const float *lse, const float *D, int T, int C, int NH) {
    extern __shared__ float smem[];
    int hs = C / NH, ld = row_stride(hs);
    float *Ks = smem, *Vs = Ks + TILE * ld, *Qs = Vs + TILE * ld, *dOs = Qs + TILE * ld;
    float *Ls = dOs + TILE * ld, *Ds = Ls + TILE;
    int b = blockIdx.y / NH, h = blockIdx.y % NH, k0 = blockIdx.x * TILE;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const float *qkv_b = qkv + (size_t)b * T * 3 * C, *dout_b = dout + (size_t)b * T * C;
    const float *lse_bh = lse + ((size_t)b * NH + h) * T, *D_bh = D + ((size_t)b * NH + h) * T;
    float scale = rsqrtf((float)hs);

    load_rows(Ks, qkv_b, 1, k0, T, C, h, hs);
    load_rows(Vs, qkv_b, 2, k0, T, C, h, hs);
    float dk[ROWS_PER_WARP][DIMS_PER_LANE] = {}, dv[ROWS_PER_WARP][DIMS_PER_LANE] = {};
    for (int q0 = k0; q0 < T; q0 += TILE) {
        __syncthreads();
        load_rows(Qs, qkv_b, 0, q0, T, C, h, hs);
        load_dout_rows(dOs, dout_b, q0, T, C, h, hs);
        if (threadIdx.x < TILE) {
            int t = q0 + threadIdx.x;
            Ls[threadIdx.x] = t < T ? lse_bh[t] : 0.0f;
            Ds[threadIdx.x] = t < T ? D_bh[t] : 0.0f;
        }
        __syncthreads();
        int i = q0 + lane; /* this lane's query */
        for (int r = 0; r < ROWS_PER_WARP; r++) {
            int kj = warp * ROWS_PER_WARP + r, j = k0 + kj;
            if (j >= T) continue; /* warp-uniform */
            float p = 0.0f, ds = 0.0f;
            if (i < T && i >= j) {
                p = expf(scale * dot_rows(Qs + lane * ld, Ks + kj * ld, hs) - Ls[lane]);
                ds = p * (dot_rows(dOs + lane * ld, Vs + kj * ld, hs) - Ds[lane]);
            }
            for (int ii = 0; ii < TILE; ii++) {
                float pi = __shfl_sync(FULL, p, ii), dsi = __shfl_sync(FULL, ds, ii);
                for (int c = 0; c < DIMS_PER_LANE; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) {
                        dv[r][c] = fmaf(pi, dOs[ii * ld + d], dv[r][c]);
                        dk[r][c] = fmaf(dsi, Qs[ii * ld + d], dk[r][c]);
                    }
                }
            }
        }
    }
    for (int r = 0; r < ROWS_PER_WARP; r++) {
        int j = k0 + warp * ROWS_PER_WARP + r;
        if (j >= T) continue;
        float *row = dqkv + ((size_t)b * T + j) * 3 * C + h * hs;
        for (int c = 0; c < DIMS_PER_LANE; c++) {
            int d = lane + 32 * c;
            if (d < hs) {
                row[C + d] = scale * dk[r][c];
                row[2 * C + d] = dv[r][c];
            }
        }
    }
}

/* Query-parallel: each block owns 32 queries and sweeps the key tiles up to the diagonal. */
__global__ void __launch_bounds__(THREADS) attention_backward_dq_kernel(
    float *dqkv, const float *dout, const float *qkv, const float *lse, const float *D, int T, int C, int NH) {
    extern __shared__ float smem[];
    int hs = C / NH, ld = row_stride(hs);
    float *Qs = smem, *dOs = Qs + TILE * ld, *Ks = dOs + TILE * ld, *Vs = Ks + TILE * ld;
    int b = blockIdx.y / NH, h = blockIdx.y % NH, q0 = blockIdx.x * TILE;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const float *qkv_b = qkv + (size_t)b * T * 3 * C, *dout_b = dout + (size_t)b * T * C;
    const float *lse_bh = lse + ((size_t)b * NH + h) * T, *D_bh = D + ((size_t)b * NH + h) * T;
    float scale = rsqrtf((float)hs);

    load_rows(Qs, qkv_b, 0, q0, T, C, h, hs);
    load_dout_rows(dOs, dout_b, q0, T, C, h, hs);
    float L[ROWS_PER_WARP], Dt[ROWS_PER_WARP], dq[ROWS_PER_WARP][DIMS_PER_LANE] = {};
    for (int r = 0; r < ROWS_PER_WARP; r++) {
        int t = q0 + warp * ROWS_PER_WARP + r;
        L[r] = t < T ? lse_bh[t] : 0.0f;
        Dt[r] = t < T ? D_bh[t] : 0.0f;
    }
    int q_last = min(q0 + TILE, T) - 1;
    for (int k0 = 0; k0 <= q_last; k0 += TILE) {
        __syncthreads();
        load_rows(Ks, qkv_b, 1, k0, T, C, h, hs);
        load_rows(Vs, qkv_b, 2, k0, T, C, h, hs);
        __syncthreads();
        for (int r = 0; r < ROWS_PER_WARP; r++) {
            int qi = warp * ROWS_PER_WARP + r, t = q0 + qi;
            if (t >= T) continue; /* warp-uniform */
            int j = k0 + lane;
            float ds = 0.0f;
            if (j <= t) {
                float p = expf(scale * dot_rows(Qs + qi * ld, Ks + lane * ld, hs) - L[r]);
                ds = p * (dot_rows(dOs + qi * ld, Vs + lane * ld, hs) - Dt[r]);
            }
            for (int jj = 0; jj < TILE; jj++) {
                float dsj = __shfl_sync(FULL, ds, jj);
                for (int c = 0; c < DIMS_PER_LANE; c++) {
                    int d = lane + 32 * c;
                    if (d < hs) dq[r][c] = fmaf(dsj, Ks[jj * ld + d], dq[r][c]);
                }
            }
        }
    }
    for (int r = 0; r < ROWS_PER_WARP; r++) {
        int t = q0 + warp * ROWS_PER_WARP + r;
        if (t >= T) continue;
        float *row = dqkv + ((size_t)b * T + t) * 3 * C + h * hs;
        for (int c = 0; c < DIMS_PER_LANE; c++) {
            int d = lane + 32 * c;
            if (d < hs) row[d] = scale * dq[r][c];
        }
    }
}

/* Inference: one warp per (query, head) streams the cached keys in chunks of 32 with the same
 * online softmax as the training forward. */
__global__ void attention_cached_kernel(float *out, const float *qkv, const float *k_cache,
                                        const float *v_cache, int pos0, int C, int NH) {
    __shared__ float q[SLC_MAX_HEAD_SIZE];
    int i = blockIdx.x, h = blockIdx.y, lane = threadIdx.x, hs = C / NH, t = pos0 + i;
    for (int d = lane; d < hs; d += 32) q[d] = qkv[(size_t)i * 3 * C + h * hs + d];
    __syncwarp();
    float scale = rsqrtf((float)hs), m = -INFINITY, l = 0.0f, o[DIMS_PER_LANE] = {};
    for (int k0 = 0; k0 <= t; k0 += 32) {
        int j = k0 + lane;
        float s = -INFINITY;
        if (j <= t) s = scale * dot_rows(q, k_cache + (size_t)j * C + h * hs, hs);
        float m_new = fmaxf(m, slc_warp_max(s));
        float p = j <= t ? expf(s - m_new) : 0.0f;
        float correction = expf(m - m_new);
        l = l * correction + slc_warp_sum(p);
        int visible = min(32, t - k0 + 1);
        for (int c = 0; c < DIMS_PER_LANE; c++) o[c] *= correction;
        for (int jj = 0; jj < visible; jj++) {
            float pj = __shfl_sync(FULL, p, jj);
            const float *v = v_cache + (size_t)(k0 + jj) * C + h * hs;
            for (int c = 0; c < DIMS_PER_LANE; c++) {
                int d = lane + 32 * c;
                if (d < hs) o[c] = fmaf(pj, v[d], o[c]);
            }
        }
        m = m_new;
    }
    for (int c = 0; c < DIMS_PER_LANE; c++) {
        int d = lane + 32 * c;
        if (d < hs) out[(size_t)i * C + h * hs + d] = o[c] / l;
    }
}

__global__ void kv_cache_store_kernel(float *k_cache, float *v_cache, const float *qkv, int n, int pos0, int C) {
    size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (size_t)n * C) return;
    int i = (int)(e / C), c = (int)(e % C);
    k_cache[(size_t)(pos0 + i) * C + c] = qkv[(size_t)i * 3 * C + C + c];
    v_cache[(size_t)(pos0 + i) * C + c] = qkv[(size_t)i * 3 * C + 2 * C + c];
}

/* Dynamic shared memory of a kernel that stages `tiles` tiles of rows (+ extra floats). */
size_t tile_bytes(int hs, int tiles, int extra_floats) {
    return sizeof(float) * ((size_t)tiles * TILE * row_stride(hs) + extra_floats);
}

/* Tiles of 128-wide heads need more than the default 48 KiB of shared memory: opt in once. */
void allow_large_shared_memory() {
    static bool done = false;
    if (done) return;
    size_t most = tile_bytes(SLC_MAX_HEAD_SIZE, 4, 2 * TILE);
    cudaFuncSetAttribute(attention_forward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)most);
    cudaFuncSetAttribute(attention_backward_dkdv_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)most);
    cudaFuncSetAttribute(attention_backward_dq_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)most);
    done = true;
}

} // namespace

void slc_attention_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH) {
    allow_large_shared_memory();
    dim3 grid(slc_ceil_div(T, TILE), B * NH);
    attention_forward_kernel<<<grid, THREADS, tile_bytes(C / NH, 3, 0)>>>(out, lse, qkv, T, C, NH);
}

void slc_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                            const float *lse, float *scratch, int B, int T, int C, int NH) {
    allow_large_shared_memory();
    int rows = B * T * NH, warps_per_block = 8;
    attention_row_dot_kernel<<<slc_ceil_div(rows, warps_per_block), warps_per_block * 32>>>(scratch, dout, out, B, T, C, NH);
    dim3 grid(slc_ceil_div(T, TILE), B * NH);
    int hs = C / NH;
    attention_backward_dkdv_kernel<<<grid, THREADS, tile_bytes(hs, 4, 2 * TILE)>>>(dqkv, dout, qkv, lse, scratch, T, C, NH);
    attention_backward_dq_kernel<<<grid, THREADS, tile_bytes(hs, 4, 0)>>>(dqkv, dout, qkv, lse, scratch, T, C, NH);
}

void slc_attention_cached(float *out, const float *qkv, const float *k_cache, const float *v_cache,
                          int n, int pos0, int C, int NH) {
    attention_cached_kernel<<<dim3(n, NH), 32>>>(out, qkv, k_cache, v_cache, pos0, C, NH);
}

void slc_kv_cache_store(float *k_cache, float *v_cache, const float *qkv, int n, int pos0, int C) {
    size_t total = (size_t)n * C;
    kv_cache_store_kernel<<<slc_ceil_div((long long)total, 256), 256>>>(k_cache, v_cache, qkv, n, pos0, C);
}
