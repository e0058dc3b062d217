/* attention_flash.c: causal self-attention for training, fused flash-style (Dao et al. 2022) on the
 * CPU. The reference, which keeps the [B, NH, T, T] probabilities, is attention.c; the kernel tests
 * (test_attention_flash) hold this file to it.
 *
 * Why: the reference writes 4 x B x NH x T x T bytes of probabilities per layer in the forward and
 * reads them back in the backward (67 MB a step at the small preset), and its backward scatters
 * into dk and dv with one load and store per four multiply-adds. Here:
 *  - The forward walks a query tile of BR rows over key tiles of BC keys with an online softmax
 *    (running max m and sum l per row, the partial output rescaled when the max grows). Tiles
 *    above the diagonal are never visited (causal), so the work is ~T^2/2, not T^2.
 *  - Only the log-sum-exp of each row (m + log l) is kept for the backward: B x NH x T floats.
 *  - The backward recomputes each tile's probabilities from q, k and the log-sum-exp, and takes
 *    sum_j p_j dp_j as dout . out (one dot product per row, FlashAttention-2's D).
 *  - Every product is a register-blocked micro-kernel: four output rows of hs channels held in
 *    registers while the reduction runs, so dk and dv are loaded and stored once per tile pair
 *    (32 query rows) instead of once per four rows.
 *
 * Tiles: BR = BC = 32. A tile's scores, probabilities and score gradients (4 KB each), the
 * query rows and the key rows stay in L1; the head's transposed keys (and values, backward) stay
 * in L2. BR = BC with aligned tiles also means every visited tile has at least one unmasked key
 * per row, so no row of a tile is ever all -inf.
 *
 * Work: the forward splits over (batch, head, query tile): a tile writes only its own rows of out
 * and lse. A thread keeps the head it last transposed, so consecutive tiles of one head (a thread's
 * chunk is contiguous) transpose its keys once. The backward splits over (batch, head): dk and dv
 * of one key gather from every later query tile, and owning the whole head keeps those sums in a
 * fixed order without locks or per-thread copies (B x NH = 16 pairs at the small preset, plenty
 * for the thread counts these machines have). Sums run in a fixed order, so results do not depend
 * on the thread count.
 *
 * Head sizes 16, 32 and 64 take the blocked path (compiled per instruction set through
 * SL_VECTORIZED: AVX-512, AVX2+FMA, baseline); any other falls back to the reference. */
#include "model/ops.h"
#include "model/attention_flash.h"
#include "core/threadpool.h"
#include "core/vectorize.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { BR = SL_FLASH_BR, BC = SL_FLASH_BC, GROUP = SL_FLASH_GROUP };
typedef sl_flash_ctx flash_ctx;
#define exp_row sl_flash_exp_row
#define row_max sl_flash_row_max

typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));
#define load16(p) (*(const v16 *)(p))
#define store16(p, v) (*(v16 *)(p) = (v))


/* Row stride of a transposed head: T rounded up to whole key tiles plus 16 floats, so it is never a
 * multiple of 4 KiB and the hs rows a score tile reads do not all fall into the same L1 sets. */
static int padded_length(int T) { return (T + BC - 1) / BC * BC + 16; }

/* dst[d * Tp + j] = src[j * stride + d] for keys j in [from, to); keys from `to` up to the end of
 * its tile are zeroed, since score tiles always read whole tiles. */
static inline void transpose_keys(float *dst, const float *src, size_t stride, int from, int to, int Tp, int hs) {
    for (int j0 = from; j0 < to; j0 += 16) {
        int n = to - j0 < 16 ? to - j0 : 16;
        for (int d = 0; d < hs; d++)
            for (int jj = 0; jj < n; jj++) dst[(size_t)d * Tp + j0 + jj] = src[(size_t)(j0 + jj) * stride + d];
    }
    int end = (to + BC - 1) / BC * BC;
    for (int d = 0; d < hs; d++)
        for (int j = to; j < end; j++) dst[(size_t)d * Tp + j] = 0.0f;
}

/* s[r][0..BC) = scale * a_r . key j, for GROUP rows a_r against one tile of transposed keys bt
 * (bt[d * Tp + j]). 2 x GROUP independent accumulators cover the multiply-add latency. */
static inline __attribute__((always_inline)) void score_tile(float *s, const float *const a[GROUP], const float *bt,
                                                             int Tp, float scale, const int HS) {
    v16 acc[GROUP][2];
    for (int r = 0; r < GROUP; r++) acc[r][0] = acc[r][1] = (v16){0};
    for (int d = 0; d < HS; d++) {
        v16 b0 = load16(bt + (size_t)d * Tp), b1 = load16(bt + (size_t)d * Tp + 16);
        for (int r = 0; r < GROUP; r++) {
            acc[r][0] += a[r][d] * b0;
            acc[r][1] += a[r][d] * b1;
        }
    }
    for (int r = 0; r < GROUP; r++) {
        store16(s + (size_t)r * BC, acc[r][0] * scale);
        store16(s + (size_t)r * BC + 16, acc[r][1] * scale);
    }
}

/* out_r[0..HS) += sum_{n < N} w[r * wr + n * wn] * x[n * xs + 0..HS) for GROUP rows r: the one
 * product shape of attention (p v, ds k, ds^T q, p^T dout), the rows' sums in registers. */
static inline __attribute__((always_inline)) void accumulate_rows(float *const out[GROUP], const float *w, size_t wr,
                                                                  size_t wn, const float *x, size_t xs, int N,
                                                                  const int HS) {
    v16 acc[GROUP][HS / 16];
    for (int r = 0; r < GROUP; r++)
        for (int c = 0; c < HS / 16; c++) acc[r][c] = load16(out[r] + 16 * c);
    for (int n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * xs, *wn_ = w + (size_t)n * wn;
        for (int c = 0; c < HS / 16; c++) {
            v16 v = load16(xn + 16 * c);
            for (int r = 0; r < GROUP; r++) acc[r][c] += wn_[(size_t)r * wr] * v;
        }
    }
    for (int r = 0; r < GROUP; r++)
        for (int c = 0; c < HS / 16; c++) store16(out[r] + 16 * c, acc[r][c]);
}

/* ---------------------------------------------------------------------------------------------- */
/* Forward                                                                                         */

static inline __attribute__((always_inline)) void forward_tile(const flash_ctx *c, int task, float *scratch,
                                                               int *cached, const int HS) {
    int T = c->T, C = c->C, NH = c->NH, Tp = c->Tp;
    int bh = task / c->tiles, t0 = task % c->tiles * BR, b = bh / NH, h = bh % NH;
    int rows = T - t0 < BR ? T - t0 : BR, keys = t0 + rows;
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS, *k_base = q_base + C, *v_base = q_base + 2 * C;
    float *kt = scratch, *s = kt + (size_t)HS * Tp, *m = s + BR * BC, *l = m + BR, *zero = l + BR,
          *sink = zero + HS;

    /* Keys [0, keys) of this head transposed; tiles of one head come in order within a chunk. */
    if (cached[0] != bh) cached[0] = bh, cached[1] = 0;
    if (cached[1] < keys) {
        transpose_keys(kt, k_base, C3, cached[1], keys, Tp, HS);
        cached[1] = keys;
    }

    const float *q[BR];
    float *o[BR];
    for (int r = 0; r < BR; r++) { /* rows past T read zeros and write to the sink */
        q[r] = r < rows ? q_base + (size_t)(t0 + r) * C3 : zero;
        o[r] = r < rows ? c->out + ((size_t)b * T + t0 + r) * C + h * HS : sink;
        memset(o[r], 0, sizeof(float) * HS);
        m[r] = -INFINITY;
        l[r] = 0.0f;
    }
    memset(zero, 0, sizeof(float) * HS);

    for (int k0 = 0; k0 < keys; k0 += BC) {
        int nk = keys - k0 < BC ? keys - k0 : BC;
        for (int r = 0; r < BR; r += GROUP) score_tile(s + r * BC, q + r, kt + k0, Tp, scale, HS);
        for (int r = 0; r < BR; r++) {
            int valid = t0 + r - k0 + 1; /* causal: keys up to the row's own position */
            valid = valid < nk ? valid : nk;
            float *sr = s + r * BC;
            float mx = row_max(sr, valid, m[r]);
            float corr = sl_exp_approx(m[r] - mx); /* rescales what earlier tiles summed */
            l[r] = l[r] * corr + exp_row(sr, valid, mx);
            m[r] = mx;
            if (corr != 1.0f)
                for (int d = 0; d < HS; d++) o[r][d] *= corr;
        }
        for (int r = 0; r < BR; r += GROUP) accumulate_rows(o + r, s + r * BC, BC, 1, v_base + (size_t)k0 * C3, C3, nk, HS);
    }
    for (int r = 0; r < rows; r++) {
        float inv = 1.0f / l[r];
        for (int d = 0; d < HS; d++) o[r][d] *= inv;
        c->lse[(size_t)bh * T + t0 + r] = m[r] + logf(l[r]);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Backward                                                                                        */

static inline __attribute__((always_inline)) void backward_head(const flash_ctx *c, int bh, float *scratch,
                                                                const int HS) {
    int T = c->T, C = c->C, NH = c->NH, Tp = c->Tp, b = bh / NH, h = bh % NH;
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS, *k_base = q_base + C, *v_base = q_base + 2 * C;
    const float *g_base = c->dout + (size_t)b * T * C + h * HS, *o_base = c->out_in + (size_t)b * T * C + h * HS;
    const float *lse = c->lse_in + (size_t)bh * T;
    float *dq_base = c->dqkv + (size_t)b * T * C3 + h * HS, *dk_base = dq_base + C, *dv_base = dq_base + 2 * C;
    float *kt = scratch, *vt = kt + (size_t)HS * Tp, *p = vt + (size_t)HS * Tp, *ds = p + BR * BC, *D = ds + BR * BC,
          *zero = D + BR, *sink = zero + HS;

    memset(zero, 0, sizeof(float) * HS);
    transpose_keys(kt, k_base, C3, 0, T, Tp, HS);
    transpose_keys(vt, v_base, C3, 0, T, Tp, HS);
    for (int t = 0; t < T; t++) { /* this head's slices of dq, dk, dv are written from zero */
        memset(dq_base + (size_t)t * C3, 0, sizeof(float) * HS);
        memset(dk_base + (size_t)t * C3, 0, sizeof(float) * HS);
        memset(dv_base + (size_t)t * C3, 0, sizeof(float) * HS);
    }

    for (int t0 = 0; t0 < T; t0 += BR) {
        int rows = T - t0 < BR ? T - t0 : BR, keys = t0 + rows;
        const float *q[BR], *g[BR];
        float *dq[BR];
        for (int r = 0; r < BR; r++) {
            int real = r < rows;
            q[r] = real ? q_base + (size_t)(t0 + r) * C3 : zero;
            g[r] = real ? g_base + (size_t)(t0 + r) * C : zero;
            dq[r] = real ? dq_base + (size_t)(t0 + r) * C3 : sink;
            /* sum_j p_j dp_j = dout . (sum_j p_j v_j) = dout . out */
            D[r] = real ? sl_dot(g[r], o_base + (size_t)(t0 + r) * C, HS) : 0.0f;
        }
        for (int k0 = 0; k0 < keys; k0 += BC) {
            int nk = keys - k0 < BC ? keys - k0 : BC;
            for (int r = 0; r < BR; r += GROUP) {
                score_tile(p + r * BC, q + r, kt + k0, Tp, scale, HS);  /* s = scale q . k */
                score_tile(ds + r * BC, g + r, vt + k0, Tp, 1.0f, HS); /* dp = dout . v */
            }
            for (int r = 0; r < BR; r++) {
                int valid = t0 + r - k0 + 1;
                valid = valid < nk ? valid : nk;
                float *pr = p + r * BC, *dr = ds + r * BC, lr = r < rows ? lse[t0 + r] : 0.0f;
                exp_row(pr, valid, lr); /* p = e^(s - lse), 0 past the diagonal */
                for (int j = 0; j < BC; j++) dr[j] = pr[j] * (dr[j] - D[r]) * scale;
            }
            /* dq_r += sum_j ds[r][j] k_j */
            for (int r = 0; r < BR; r += GROUP) accumulate_rows(dq + r, ds + r * BC, BC, 1, k_base + (size_t)k0 * C3, C3, nk, HS);
            /* dk_j += sum_r ds[r][j] q_r and dv_j += sum_r p[r][j] dout_r, over the tile's real rows */
            for (int j = 0; j < nk; j += GROUP) {
                float *dk[GROUP], *dv[GROUP];
                for (int i = 0; i < GROUP; i++) {
                    int real = j + i < nk;
                    dk[i] = real ? dk_base + (size_t)(k0 + j + i) * C3 : sink + i * HS;
                    dv[i] = real ? dv_base + (size_t)(k0 + j + i) * C3 : sink + i * HS;
                }
                accumulate_rows(dk, ds + j, 1, BC, q_base + (size_t)t0 * C3, C3, rows, HS);
                accumulate_rows(dv, p + j, 1, BC, g_base + (size_t)t0 * C, C, rows, HS);
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Dispatch                                                                                        */

/* Whether the bf16 tiles can run here (AVX512-BF16; x86-64 only, where attention_flash_avx512.c is
 * built). */
#if defined(__x86_64__) && defined(__GNUC__)
#define SL_FLASH_HAS_BF16 1
static int cpu_has_bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}
#else
#define SL_FLASH_HAS_BF16 0
static int cpu_has_bf16(void) { return 0; }
#endif

#define DISPATCH_HEAD_SIZE(call_with_hs) \
    switch (c->hs) {                     \
    case 16: call_with_hs(16); break;    \
    case 32: call_with_hs(32); break;    \
    default: call_with_hs(64); break;    \
    }

SL_VECTORIZED
static void forward_tiles(void *ctx, int begin, int end, int thread) {
    const flash_ctx *c = ctx;
    float *scratch = c->scratch + (size_t)thread * c->scratch_floats;
    int *cached = c->cached + 2 * thread;
    for (int task = begin; task < end; task++) {
#if SL_FLASH_HAS_BF16
        if (c->bf16) {
            sl_flash_forward_tile_bf16(c, task, scratch, cached);
            continue;
        }
#endif
#define FORWARD(hs) forward_tile(c, task, scratch, cached, hs)
        DISPATCH_HEAD_SIZE(FORWARD)
#undef FORWARD
    }
}

SL_VECTORIZED
static void backward_heads(void *ctx, int begin, int end, int thread) {
    const flash_ctx *c = ctx;
    float *scratch = c->scratch + (size_t)thread * c->scratch_floats;
    for (int bh = begin; bh < end; bh++) {
#if SL_FLASH_HAS_BF16
        if (c->bf16) {
            sl_flash_backward_head_bf16(c, bh, scratch);
            continue;
        }
#endif
#define BACKWARD(hs) backward_head(c, bh, scratch, hs)
        DISPATCH_HEAD_SIZE(BACKWARD)
#undef BACKWARD
    }
}

/* Per-thread scratch: transposed keys (and values), the tiles, per-row state, a zero row and sink
 * rows for the padding rows of a partial tile. NULL for a head size the kernels do not cover (or
 * if the memory is not there: the ops cannot fail, so they take the reference instead). */
static int alloc_scratch(flash_ctx *c, int backward) {
    c->hs = c->C / c->NH;
    c->Tp = padded_length(c->T);
    c->tiles = (c->T + BR - 1) / BR;
    if (c->hs != 16 && c->hs != 32 && c->hs != 64) return 0;
    /* enough for either path's layout (the bf16 backward's is the largest: 3.5 hs Tp + 3.5 BR BC + ...) */
    c->scratch_floats = (size_t)4 * c->hs * c->Tp + 4 * BR * BC + BR * c->hs + 4 * BR + (2 + GROUP) * c->hs + 64;
    (void)backward;
    int threads = sl_pool_threads();
    c->scratch = malloc(sizeof(float) * c->scratch_floats * (size_t)threads);
    c->cached = malloc(sizeof(int) * 2 * (size_t)threads);
    if (!c->scratch || !c->cached) {
        free(c->scratch);
        free(c->cached);
        return 0;
    }
    for (int i = 0; i < threads; i++) c->cached[2 * i] = -1, c->cached[2 * i + 1] = 0;
    return 1;
}

/* The reference path for other head sizes: probabilities of one (b, h) at a time. */
static void reference_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH);
static void reference_backward(float *dqkv, const float *dout, const float *qkv, const float *lse,
                               int B, int T, int C, int NH);

void sl_attention_flash_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH, int bf16) {
    flash_ctx c = {.out = out, .lse = lse, .qkv = qkv, .B = B, .T = T, .C = C, .NH = NH,
                   .bf16 = bf16 && cpu_has_bf16()};
    if (!alloc_scratch(&c, 0)) {
        reference_forward(out, lse, qkv, B, T, C, NH);
        return;
    }
    sl_parallel_for(B * NH * c.tiles, forward_tiles, &c);
    free(c.scratch);
    free(c.cached);
}

void sl_attention_flash_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                                 const float *lse, int B, int T, int C, int NH, int bf16) {
    flash_ctx c = {.dqkv = dqkv, .dout = dout, .qkv = qkv, .out_in = out, .lse_in = lse,
                   .B = B, .T = T, .C = C, .NH = NH, .bf16 = bf16 && cpu_has_bf16()};
    if (!alloc_scratch(&c, 1)) {
        reference_backward(dqkv, dout, qkv, lse, B, T, C, NH);
        return;
    }
    sl_parallel_for(B * NH, backward_heads, &c);
    free(c.scratch);
    free(c.cached);
}

/* ---------------------------------------------------------------------------------------------- */
/* Other head sizes: the reference, one (b, h) at a time so its probabilities take T x T floats,   */
/* not B x NH x T x T. Slow but rare (no preset has such a head).                                  */

static float *one_head(const float *qkv, int b, int h, int T, int C, int NH, float *buf) {
    /* Copy head h of batch b into a [1, T, 3 hs] qkv with one head. */
    int hs = C / NH;
    for (int t = 0; t < T; t++)
        for (int part = 0; part < 3; part++)
            memcpy(buf + (size_t)t * 3 * hs + part * hs, qkv + ((size_t)b * T + t) * 3 * C + part * C + h * hs,
                   sizeof(float) * hs);
    return buf;
}

static void reference_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH) {
    int hs = C / NH;
    float *att = malloc(sizeof(float) * (size_t)T * T), *hq = malloc(sizeof(float) * (size_t)T * 3 * hs),
          *ho = malloc(sizeof(float) * (size_t)T * hs);
    if (!att || !hq || !ho) { /* nothing sensible to compute without memory: leave NaN for the loss to show */
        for (size_t i = 0; i < (size_t)B * T * C; i++) out[i] = NAN;
        free(att), free(hq), free(ho);
        return;
    }
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            sl_attention_forward(ho, att, one_head(qkv, b, h, T, C, NH, hq), 1, T, hs, 1);
            for (int t = 0; t < T; t++) {
                memcpy(out + ((size_t)b * T + t) * C + h * hs, ho + (size_t)t * hs, sizeof(float) * hs);
                /* lse from the scores: recompute the row's max and sum (the reference keeps only p) */
                const float *q = hq + (size_t)t * 3 * hs;
                double mx = -INFINITY, sum = 0.0;
                for (int j = 0; j <= t; j++) {
                    double sc = scale * sl_dot(q, hq + (size_t)j * 3 * hs + hs, hs);
                    mx = sc > mx ? sc : mx;
                }
                for (int j = 0; j <= t; j++) sum += exp(scale * sl_dot(q, hq + (size_t)j * 3 * hs + hs, hs) - mx);
                lse[((size_t)b * NH + h) * T + t] = (float)(mx + log(sum));
            }
        }
    free(att), free(hq), free(ho);
}

static void reference_backward(float *dqkv, const float *dout, const float *qkv, const float *lse,
                               int B, int T, int C, int NH) {
    int hs = C / NH;
    float *att = malloc(sizeof(float) * (size_t)T * T), *hq = malloc(sizeof(float) * (size_t)T * 3 * hs),
          *hd = malloc(sizeof(float) * (size_t)T * 3 * hs), *hg = malloc(sizeof(float) * (size_t)T * hs);
    if (!att || !hq || !hd || !hg) {
        for (size_t i = 0; i < (size_t)B * T * 3 * C; i++) dqkv[i] = NAN;
        free(att), free(hq), free(hd), free(hg);
        return;
    }
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            one_head(qkv, b, h, T, C, NH, hq);
            for (int t = 0; t < T; t++) { /* probabilities from the saved log-sum-exp */
                const float *q = hq + (size_t)t * 3 * hs;
                float l = lse[((size_t)b * NH + h) * T + t];
                for (int j = 0; j < T; j++)
                    att[(size_t)t * T + j] = j <= t ? expf(scale * sl_dot(q, hq + (size_t)j * 3 * hs + hs, hs) - l) : 0.0f;
                memcpy(hg + (size_t)t * hs, dout + ((size_t)b * T + t) * C + h * hs, sizeof(float) * hs);
            }
            memset(hd, 0, sizeof(float) * (size_t)T * 3 * hs);
            sl_attention_backward(hd, hg, hq, att, 1, T, hs, 1);
            for (int t = 0; t < T; t++)
                for (int part = 0; part < 3; part++)
                    memcpy(dqkv + ((size_t)b * T + t) * 3 * C + part * C + h * hs, hd + (size_t)t * 3 * hs + part * hs,
                           sizeof(float) * hs);
        }
    free(att), free(hq), free(hd), free(hg);
}
