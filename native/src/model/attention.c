/* attention.c: causal multi-head self-attention for training, forward and backward.
 *
 * qkv holds, for each token, q then k then v (each C wide, NH heads of hs = C/NH channels). The
 * forward keeps the softmax probabilities att[b, h, t, :] for the backward; entries above the
 * diagonal are written as zero so readers (the attention inspector) can take rows as they are.
 *
 * Work splits over (batch, head) pairs: each pair reads and writes only its own head's slice of
 * qkv / dqkv / att, so pairs run in parallel without locks and every sum has a fixed order. Within
 * a pair one head's keys and values (T rows of hs floats) stay in cache while all its query rows
 * pass over them; rows are handled whole (scores, softmax, weighted sum) while they are hot. */
#include "model/ops.h"
#include "core/threadpool.h"
#include "core/vectorize.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *out, *att, *dqkv;
    const float *qkv, *dout, *att_in;
    int B, T, C, NH;
    float *scratch;         /* blocked path: per-thread scratch_floats each (NULL: generic path) */
    size_t scratch_floats;
} attention_ctx;

/* ---------------------------------------------------------------------------------------------- */
/* Generic path: any head size, no scratch memory. One query row at a time, dot products and      */
/* axpys over the head's channels.                                                                 */

SL_VECTORIZED
static void attention_forward_heads_generic(void *p, int begin, int end, int thread) {
    const attention_ctx *c = p;
    int T = c->T, C = c->C, NH = c->NH, hs = C / NH;
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int bh = begin; bh < end; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *qkv_b = c->qkv + (size_t)b * T * C3;
        for (int t = 0; t < T; t++) {
            const float *q = qkv_b + t * C3 + h * hs;
            float *row = c->att + ((size_t)bh * T + t) * T;
            for (int j = 0; j <= t; j++) row[j] = scale * sl_dot(q, qkv_b + j * C3 + C + h * hs, hs);
            float mx = sl_max(row, t + 1);
            float inv_sum = 1.0f / sl_exp_shifted_sum(row, t + 1, mx);
            for (int j = 0; j <= t; j++) row[j] *= inv_sum;
            memset(row + t + 1, 0, sizeof(float) * (size_t)(T - t - 1));

            float *o = c->out + ((size_t)b * T + t) * C + h * hs;
            memset(o, 0, sizeof(float) * (size_t)hs);
            for (int j = 0; j <= t; j++) sl_axpy(o, qkv_b + j * C3 + 2 * C + h * hs, row[j], hs);
        }
    }
}

/* For one query row t with probabilities p_j and upstream gradient g = dout[t]:
 *   dv_j += p_j g;  dp_j = g . v_j;  ds_j = p_j (dp_j - sum_i p_i dp_i)  (softmax backward)
 *   dq_t += scale sum_j ds_j k_j;  dk_j += scale ds_j q_t.
 * sum_i p_i dp_i is found in a first pass over the keys, and dp_j recomputed in the second, so no
 * per-row buffer is needed whatever T is. */
SL_VECTORIZED
static void attention_backward_heads_generic(void *p, int begin, int end, int thread) {
    const attention_ctx *c = p;
    int T = c->T, C = c->C, NH = c->NH, hs = C / NH;
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int bh = begin; bh < end; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *qkv_b = c->qkv + (size_t)b * T * C3;
        float *dqkv_b = c->dqkv + (size_t)b * T * C3;
        for (int t = 0; t < T; t++) {
            const float *row = c->att_in + ((size_t)bh * T + t) * T;
            const float *g = c->dout + ((size_t)b * T + t) * C + h * hs;
            const float *q = qkv_b + t * C3 + h * hs;
            float *dq = dqkv_b + t * C3 + h * hs;

            float weighted = 0.0f;
            for (int j = 0; j <= t; j++) weighted += row[j] * sl_dot(g, qkv_b + j * C3 + 2 * C + h * hs, hs);

            for (int j = 0; j <= t; j++) {
                const float *k = qkv_b + j * C3 + C + h * hs, *v = k + C;
                float *dk = dqkv_b + j * C3 + C + h * hs, *dv = dk + C;
                float ds = row[j] * (sl_dot(g, v, hs) - weighted) * scale;
                sl_axpy(dv, g, row[j], hs);
                sl_axpy(dq, k, ds, hs);
                sl_axpy(dk, q, ds, hs);
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Blocked path, for head sizes 16, 32 and 64 (every preset): ROWS query rows at a time against  */
/* KEYS keys at a time, in registers.                                                              */
/*                                                                                                 */
/* Scores need q . k_j for a run of consecutive keys j: with the head's keys transposed into       */
/* scratch (kt[d][j], rows padded to Tp) those are independent sums built by broadcast multiply-   */
/* adds over d, with no horizontal reductions. The weighted sums of values, and in the backward    */
/* the sums into dq, dk and dv, run over the head's channels with the rows' accumulators held in   */
/* registers. GNU vector types (16 floats) let the compiler map this onto AVX-512, AVX2 or SSE as  */
/* the clone's instruction set allows. The forward writes softmax probabilities, zero past the     */
/* diagonal, so the backward can run every row of a block over the same keys without masks.        */

enum { ROWS = 4, KEYS = 32 }; /* query rows and keys per block */

typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));

/* Row stride of the scratch rows: T rounded up to whole key blocks, plus 16 floats so it is never
 * a multiple of 4 KiB's worth: the scores loop reads one float block from each of hs rows, and at a
 * power-of-two stride those would all land in the same few L1 sets and evict one another. */
static inline int padded_length(int T) { return (T + KEYS - 1) / KEYS * KEYS + 16; }

/* Unaligned 16-float load/store (macros: a function returning a vector would trip ABI warnings
 * in the baseline clone). */
#define load16(p) (*(const v16 *)(p))
#define store16(p, v) (*(v16 *)(p) = (v))

/* Transpose one head's T rows (stride 3C) of hs channels into dst[d * Tp + j], zero padded. In
 * tiles of 16 rows, so the reads stay within a few cache lines and the writes are runs of 16. */
static inline void transpose_head(float *dst, const float *src, size_t stride, int T, int Tp, int hs) {
    for (int d = 0; d < hs; d++) memset(dst + (size_t)d * Tp + T, 0, sizeof(float) * (size_t)(Tp - T));
    for (int j0 = 0; j0 < T; j0 += 16) {
        int rows = T - j0 < 16 ? T - j0 : 16;
        for (int d = 0; d < hs; d++)
            for (int jj = 0; jj < rows; jj++) dst[(size_t)d * Tp + j0 + jj] = src[(size_t)(j0 + jj) * stride + d];
    }
}

/* s[r][j] = scale * sum_d a[r][d] * bt[d][j] for j < n (rounded up to KEYS): R rows of a (length
 * hs) against the transposed head bt. KEYS = 32 keys give 2 x ROWS = 8 independent accumulators,
 * enough to cover the multiply-add latency. */
static inline __attribute__((always_inline)) void scores_block(float *s, int Tp, const float *const a[ROWS],
                                                               const float *bt, int n, int hs, float scale) {
    for (int j0 = 0; j0 < n; j0 += KEYS) {
        v16 acc[ROWS][2] = {{{0}}};
        for (int d = 0; d < hs; d++) {
            v16 b0 = load16(bt + (size_t)d * Tp + j0), b1 = load16(bt + (size_t)d * Tp + j0 + 16);
            for (int r = 0; r < ROWS; r++) {
                acc[r][0] += a[r][d] * b0;
                acc[r][1] += a[r][d] * b1;
            }
        }
        for (int r = 0; r < ROWS; r++) {
            store16(s + (size_t)r * Tp + j0, acc[r][0] * scale);
            store16(s + (size_t)r * Tp + j0 + 16, acc[r][1] * scale);
        }
    }
}

/* out[r][:] (+)= sum_{j < n} w[r][j] * x_j[:], x_j = x + j * stride, for a fixed head size HS. */
static inline __attribute__((always_inline)) void weighted_rows(float *const out[ROWS], int accumulate,
                                                                const float *const w[ROWS], const float *x,
                                                                size_t stride, int n, const int HS) {
    v16 acc[ROWS][HS / 16];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < HS / 16; c++) acc[r][c] = (v16){0};
    for (int j = 0; j < n; j++) {
        const float *xj = x + (size_t)j * stride;
        for (int c = 0; c < HS / 16; c++) {
            v16 v = load16(xj + 16 * c);
            for (int r = 0; r < ROWS; r++) acc[r][c] += w[r][j] * v;
        }
    }
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < HS / 16; c++) {
            if (accumulate) acc[r][c] += load16(out[r] + 16 * c);
            store16(out[r] + 16 * c, acc[r][c]);
        }
}

/* y_j[:] += sum_r w[r][j] * x[r][:] for j < n, y_j = y + j * stride: the transpose of the above,
 * keeping the R rows of x in registers. */
static inline __attribute__((always_inline)) void scatter_rows(float *y, size_t stride, const float *const w[ROWS],
                                                               const float *const x[ROWS], int n, const int HS) {
    v16 xr[ROWS][HS / 16];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < HS / 16; c++) xr[r][c] = load16(x[r] + 16 * c);
    for (int j = 0; j < n; j++) {
        float *yj = y + (size_t)j * stride;
        for (int c = 0; c < HS / 16; c++) {
            v16 acc = load16(yj + 16 * c);
            for (int r = 0; r < ROWS; r++) acc += w[r][j] * xr[r][c];
            store16(yj + 16 * c, acc);
        }
    }
}

static inline __attribute__((always_inline)) void forward_head(const attention_ctx *c, int bh, float *scratch,
                                                               const int HS) {
    int T = c->T, C = c->C, NH = c->NH, b = bh / NH, h = bh % NH, Tp = padded_length(T);
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS;
    float *kt = scratch, *s = scratch + (size_t)HS * Tp;
    transpose_head(kt, q_base + C, C3, T, Tp, HS);
    for (int t0 = 0; t0 < T; t0 += ROWS) {
        int n = t0 + ROWS < T ? t0 + ROWS : T; /* keys of this block */
        const float *q[ROWS], *p[ROWS];
        float *o[ROWS];
        for (int r = 0; r < ROWS; r++) {
            int t = t0 + r < T ? t0 + r : t0; /* rows past T repeat row t0; their results are dropped */
            q[r] = q_base + (size_t)t * C3;
        }
        scores_block(s, Tp, q, kt, n, HS, scale);
        for (int r = 0; r < ROWS; r++) {
            int t = t0 + r < T ? t0 + r : t0;
            float *row = c->att + ((size_t)bh * T + t) * T, *sr = s + (size_t)r * Tp;
            float mx = sl_max(sr, t + 1);
            float inv_sum = 1.0f / sl_exp_shifted_sum(sr, t + 1, mx);
            for (int j = 0; j <= t; j++) row[j] = sr[j] * inv_sum;
            memset(row + t + 1, 0, sizeof(float) * (size_t)(T - t - 1));
            p[r] = row;
            o[r] = c->out + ((size_t)b * T + t) * C + h * HS;
        }
        weighted_rows(o, 0, p, q_base + 2 * C, C3, n, HS);
    }
}

static inline __attribute__((always_inline)) void backward_head(const attention_ctx *c, int bh, float *scratch,
                                                                const int HS) {
    int T = c->T, C = c->C, NH = c->NH, b = bh / NH, h = bh % NH, Tp = padded_length(T);
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS;
    float *dq_base = c->dqkv + (size_t)b * T * C3 + h * HS;
    const float *g_base = c->dout + (size_t)b * T * C + h * HS;
    float *vt = scratch, *ds = scratch + (size_t)HS * Tp, *zero = ds + (size_t)ROWS * Tp;
    memset(zero, 0, sizeof(float) * (size_t)Tp);
    transpose_head(vt, q_base + 2 * C, C3, T, Tp, HS);
    for (int t0 = 0; t0 < T; t0 += ROWS) {
        int n = t0 + ROWS < T ? t0 + ROWS : T;
        const float *g[ROWS], *q[ROWS], *p[ROWS], *dsr[ROWS];
        float *dq[ROWS];
        for (int r = 0; r < ROWS; r++) {
            int t = t0 + r < T ? t0 + r : t0;
            g[r] = g_base + (size_t)t * C;
            q[r] = q_base + (size_t)t * C3;
            dq[r] = dq_base + (size_t)t * C3;
            p[r] = t0 + r < T ? c->att_in + ((size_t)bh * T + t) * T : zero;
            dsr[r] = ds + (size_t)r * Tp;
        }
        /* dp[r][j] = g_r . v_j, then the softmax backward in place: ds = p (dp - p . dp) scale. */
        scores_block(ds, Tp, g, vt, n, HS, 1.0f);
        for (int r = 0; r < ROWS; r++) {
            float *d = ds + (size_t)r * Tp;
            float weighted = sl_dot(p[r], d, n);
            for (int j = 0; j < n; j++) d[j] = p[r][j] * (d[j] - weighted) * scale;
        }
        /* Rows past T have p = 0, hence ds = 0: they add nothing below. The dq of such a row
         * aliases row t0's, so write dq one real row at a time through the accumulate flag. */
        if (t0 + ROWS <= T) {
            weighted_rows(dq, 1, dsr, q_base + C, C3, n, HS);
        } else {
            for (int r = 0; t0 + r < T; r++) {
                float *one_dq[ROWS] = {dq[r], dq[r], dq[r], dq[r]};
                const float *one_ds[ROWS] = {dsr[r], zero, zero, zero};
                weighted_rows(one_dq, 1, one_ds, q_base + C, C3, n, HS);
            }
        }
        scatter_rows(dq_base + C, C3, dsr, q, n, HS); /* dk_j += sum_r ds[r][j] q_r */
        scatter_rows(dq_base + 2 * C, C3, p, g, n, HS); /* dv_j += sum_r p[r][j] g_r */
    }
}

#define DISPATCH_HEAD_SIZE(fn, c, bh, scratch, hs) \
    switch (hs) {                                  \
    case 16: fn(c, bh, scratch, 16); break;        \
    case 32: fn(c, bh, scratch, 32); break;        \
    default: fn(c, bh, scratch, 64); break;        \
    }

SL_VECTORIZED
static void attention_forward_heads_blocked(void *p, int begin, int end, int thread) {
    const attention_ctx *c = p;
    float *scratch = c->scratch + (size_t)thread * c->scratch_floats;
    for (int bh = begin; bh < end; bh++) DISPATCH_HEAD_SIZE(forward_head, c, bh, scratch, c->C / c->NH);
}

SL_VECTORIZED
static void attention_backward_heads_blocked(void *p, int begin, int end, int thread) {
    const attention_ctx *c = p;
    float *scratch = c->scratch + (size_t)thread * c->scratch_floats;
    for (int bh = begin; bh < end; bh++) DISPATCH_HEAD_SIZE(backward_head, c, bh, scratch, c->C / c->NH);
}

/* The blocked path's scratch (one transposed head plus ROWS+1 padded rows per thread), or NULL
 * to take the generic path: for other head sizes, or if the memory is not there (the ops cannot
 * fail, so they fall back rather than report). */
static float *blocked_scratch(attention_ctx *c) {
    int hs = c->C / c->NH, Tp = padded_length(c->T);
    if (hs != 16 && hs != 32 && hs != 64) return NULL;
    c->scratch_floats = (size_t)(hs + ROWS + 1) * Tp;
    c->scratch = malloc(sizeof(float) * c->scratch_floats * (size_t)sl_pool_threads());
    return c->scratch;
}

void sl_attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH) {
    attention_ctx c = {.out = out, .att = att, .qkv = qkv, .B = B, .T = T, .C = C, .NH = NH};
    if (blocked_scratch(&c)) sl_parallel_for(B * NH, attention_forward_heads_blocked, &c);
    else sl_parallel_for(B * NH, attention_forward_heads_generic, &c);
    free(c.scratch);
}

void sl_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           int B, int T, int C, int NH) {
    attention_ctx c = {.dqkv = dqkv, .dout = dout, .qkv = qkv, .att_in = att,
                       .B = B, .T = T, .C = C, .NH = NH};
    if (blocked_scratch(&c)) sl_parallel_for(B * NH, attention_backward_heads_blocked, &c);
    else sl_parallel_for(B * NH, attention_backward_heads_generic, &c);
    free(c.scratch);
}
