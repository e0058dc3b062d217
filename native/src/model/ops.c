/* ops.c: GPT-2's non-matmul layers, forward and backward: token+position embedding, LayerNorm,
 * GELU, the residual add and the fused softmax + cross-entropy at the top.
 *
 * Each op is a parallel loop over rows (or over fixed blocks of elements). Reductions that cross
 * rows (LayerNorm's weight/bias gradients, the embedding gradients, the mean loss) are split over
 * CHANNELS or over blocks whose boundaries depend only on the sizes, never on the thread count,
 * and combined in a fixed order: results are bit-identical for any number of threads. */
#include "model/ops.h"
#include "core/threadpool.h"
#include "core/vectorize.h"

#include <math.h>
#include <stdlib.h>
#include <stddef.h>

/* Elements per task in purely elementwise loops: large enough to amortise scheduling, small
 * enough to balance. */
enum { ELEMENT_BLOCK = 16384, CHANNEL_BLOCK = 16 };

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* ---------------------------------------------------------------------------------------------- */
/* Embedding                                                                                       */

typedef struct {
    float *out;
    const int32_t *tokens;
    const float *wte, *wpe;
    int T, C;
} embedding_fwd_ctx;

static void embedding_forward_rows(void *p, int begin, int end, int thread) {
    const embedding_fwd_ctx *c = p;
    for (int row = begin; row < end; row++) {
        float *out = c->out + (size_t)row * c->C;
        const float *te = c->wte + (size_t)c->tokens[row] * c->C;
        const float *pe = c->wpe + (size_t)(row % c->T) * c->C;
        for (int i = 0; i < c->C; i++) out[i] = te[i] + pe[i];
    }
}

void sl_embedding_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe,
                          int B, int T, int C) {
    embedding_fwd_ctx c = {out, tokens, wte, wpe, T, C};
    sl_parallel_for(B * T, embedding_forward_rows, &c);
}

typedef struct {
    float *dwte, *dwpe;
    const float *dout;
    const int32_t *tokens;
    int B, T, C;
} embedding_bwd_ctx;

/* Task = a block of CHANNEL_BLOCK channels: rows that share a token add into the same dwte row,
 * so splitting by channel keeps every sum in one thread, in row order. */
static void embedding_backward_channels(void *p, int begin, int end, int thread) {
    const embedding_bwd_ctx *c = p;
    int c0 = begin * CHANNEL_BLOCK, c1 = end * CHANNEL_BLOCK;
    if (c1 > c->C) c1 = c->C;
    for (int row = 0; row < c->B * c->T; row++) {
        const float *d = c->dout + (size_t)row * c->C;
        float *te = c->dwte + (size_t)c->tokens[row] * c->C;
        float *pe = c->dwpe + (size_t)(row % c->T) * c->C;
        for (int i = c0; i < c1; i++) {
            te[i] += d[i];
            pe[i] += d[i];
        }
    }
}

void sl_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens,
                           int B, int T, int C) {
    embedding_bwd_ctx c = {dwte, dwpe, dout, tokens, B, T, C};
    sl_parallel_for(ceil_div(C, CHANNEL_BLOCK), embedding_backward_channels, &c);
}

/* ---------------------------------------------------------------------------------------------- */
/* LayerNorm                                                                                       */

typedef struct {
    float *out, *mean, *rstd;
    const float *inp, *weight, *bias;
    int C;
} layernorm_fwd_ctx;

/* Sixteen partial sums of x[i] (and of x[i] * y[i] when y is given) over n floats, so the loop
 * vectorises; combined in a fixed order. */
static inline float sum16(const float *restrict x, int n) {
    float partial[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) partial[k] += x[i + k];
    float s = 0.0f;
    for (; i < n; i++) s += x[i];
    for (int k = 0; k < 16; k++) s += partial[k];
    return s;
}

/* Two passes (mean, then the variance around it) rather than E[x^2] - E[x]^2, which cancels
 * badly when the mean is large against the spread. */
SL_VECTORIZED
static void layernorm_forward_rows(void *p, int begin, int end, int thread) {
    const layernorm_fwd_ctx *c = p;
    int C = c->C;
    for (int row = begin; row < end; row++) {
        const float *x = c->inp + (size_t)row * C;
        float *y = c->out + (size_t)row * C;
        float m = sum16(x, C) / (float)C;
        float partial[16] = {0};
        int i = 0;
        for (; i + 16 <= C; i += 16)
            for (int k = 0; k < 16; k++) partial[k] += (x[i + k] - m) * (x[i + k] - m);
        float var = 0.0f;
        for (; i < C; i++) var += (x[i] - m) * (x[i] - m);
        for (int k = 0; k < 16; k++) var += partial[k];
        float s = 1.0f / sqrtf(var / (float)C + 1e-5f);
        for (i = 0; i < C; i++) y[i] = (x[i] - m) * s * c->weight[i] + c->bias[i];
        if (c->mean) c->mean[row] = m;
        if (c->rstd) c->rstd[row] = s;
    }
}

void sl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, int N, int C) {
    layernorm_fwd_ctx c = {out, mean, rstd, inp, weight, bias, C};
    sl_parallel_for(N, layernorm_forward_rows, &c);
}

typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));
#define load16(p) (*(const v16 *)(p)) /* unaligned 16-float load */

/* The backward is one pass over the rows: each row's dinp, and its share of dweight and dbias added
 * into the partial sums of its row group. Groups are fixed by N alone (never by the thread count)
 * and their partials are added in group order afterwards, so results are the same for any number
 * of threads, while dout and inp are read once, row by row. */
enum { LN_MAX_GROUPS = 32, LN_MIN_ROWS_PER_GROUP = 32 };

typedef struct {
    float *dinp, *dweight, *dbias;
    const float *dout, *inp, *weight, *mean, *rstd;
    int N, C, rows_per_group;
    float *partials; /* [groups][2C]: dweight then dbias sums of each group (NULL: add in place) */
} layernorm_bwd_ctx;

/* One row: dinp, with xhat = (x - mean) * rstd and g = dout * weight,
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); and the row's terms of dweight and dbias. */
static inline __attribute__((always_inline)) void layernorm_backward_row(
    float *restrict dx, float *restrict dw, float *restrict db, const float *restrict x,
    const float *restrict dy, const float *restrict w, float m, float s, int C) {
    /* Sixteen lanes of partial sums in a GNU vector (written as a plain loop, GCC scatters the
     * partial arrays through shuffles here), combined in a fixed order. */
    v16 g_acc = {0}, gx_acc = {0};
    int i = 0;
    for (; i + 16 <= C; i += 16) {
        v16 xhat = (load16(x + i) - m) * s, g = load16(dy + i) * load16(w + i);
        g_acc += g;
        gx_acc += g * xhat;
    }
    float g_sum = 0.0f, gx_sum = 0.0f;
    for (; i < C; i++) {
        float xhat = (x[i] - m) * s, g = dy[i] * w[i];
        g_sum += g;
        gx_sum += g * xhat;
    }
    for (int k = 0; k < 16; k++) {
        g_sum += g_acc[k];
        gx_sum += gx_acc[k];
    }
    const float g_mean = g_sum / (float)C, gx_mean = gx_sum / (float)C;
    for (i = 0; i < C; i++) {
        float xhat = (x[i] - m) * s;
        dx[i] += s * (dy[i] * w[i] - g_mean - xhat * gx_mean);
        dw[i] += dy[i] * xhat;
        db[i] += dy[i];
    }
}

SL_VECTORIZED
static void layernorm_backward_groups(void *p, int begin, int end, int thread) {
    const layernorm_bwd_ctx *c = p;
    const int C = c->C;
    for (int grp = begin; grp < end; grp++) {
        float *dw = c->dweight, *db = c->dbias;
        if (c->partials) {
            dw = c->partials + (size_t)grp * 2 * C, db = dw + C;
            for (int i = 0; i < 2 * C; i++) dw[i] = 0.0f;
        }
        int r0 = grp * c->rows_per_group, r1 = r0 + c->rows_per_group < c->N ? r0 + c->rows_per_group : c->N;
        for (int row = r0; row < r1; row++)
            layernorm_backward_row(c->dinp + (size_t)row * C, dw, db, c->inp + (size_t)row * C,
                                   c->dout + (size_t)row * C, c->weight, c->mean[row], c->rstd[row], C);
    }
}

void sl_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, int N, int C) {
    if (N <= 0 || C <= 0) return;
    int groups = ceil_div(N, LN_MIN_ROWS_PER_GROUP);
    if (groups > LN_MAX_GROUPS) groups = LN_MAX_GROUPS;
    layernorm_bwd_ctx c = {dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, ceil_div(N, groups), NULL};
    c.partials = malloc(sizeof(float) * 2 * (size_t)C * (size_t)groups);
    if (!c.partials) { /* no memory for the partials: every row adds in place, on this thread */
        c.rows_per_group = N;
        layernorm_backward_groups(&c, 0, 1, 0);
        return;
    }
    groups = ceil_div(N, c.rows_per_group);
    sl_parallel_for(groups, layernorm_backward_groups, &c);
    for (int grp = 0; grp < groups; grp++) {
        const float *dw = c.partials + (size_t)grp * 2 * C, *db = dw + C;
        for (int i = 0; i < C; i++) {
            dweight[i] += dw[i];
            dbias[i] += db[i];
        }
    }
    free(c.partials);
}

/* ---------------------------------------------------------------------------------------------- */
/* GELU (tanh approximation): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))                     */

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_CUBE 0.044715f

/* tanh(u) = 1 - 2 / (e^{2u} + 1): one vectorisable exp instead of a libm call. */
static inline float tanh_approx(float u) { return 1.0f - 2.0f / (sl_exp_approx(2.0f * u) + 1.0f); }

typedef struct {
    float *out;
    const float *inp, *dout;
    int n;
} gelu_ctx;

SL_VECTORIZED
static void gelu_forward_blocks(void *p, int begin, int end, int thread) {
    const gelu_ctx *c = p;
    size_t i0 = (size_t)begin * ELEMENT_BLOCK, i1 = (size_t)end * ELEMENT_BLOCK;
    if (i1 > (size_t)c->n) i1 = (size_t)c->n;
    const float *x = c->inp;
    float *y = c->out;
    for (size_t i = i0; i < i1; i++) {
        float u = GELU_SCALE * (x[i] + GELU_CUBE * x[i] * x[i] * x[i]);
        y[i] = 0.5f * x[i] * (1.0f + tanh_approx(u));
    }
}

void sl_gelu_forward(float *out, const float *inp, int n) {
    gelu_ctx c = {out, inp, NULL, n};
    sl_parallel_for(ceil_div(n, ELEMENT_BLOCK), gelu_forward_blocks, &c);
}

/* d gelu(x) / dx */
static inline float gelu_grad(float x) {
    float x2 = x * x;
    float t = tanh_approx(GELU_SCALE * (x + GELU_CUBE * x2 * x));
    float du_dx = GELU_SCALE * (1.0f + 3.0f * GELU_CUBE * x2);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du_dx;
}

SL_VECTORIZED
static void gelu_backward_blocks(void *p, int begin, int end, int thread) {
    const gelu_ctx *c = p;
    size_t i0 = (size_t)begin * ELEMENT_BLOCK, i1 = (size_t)end * ELEMENT_BLOCK;
    if (i1 > (size_t)c->n) i1 = (size_t)c->n;
    const float *x = c->inp, *dy = c->dout;
    float *dx = c->out;
    if (dx == dy) /* in place: dx = grad * dy */
        for (size_t i = i0; i < i1; i++) dx[i] = gelu_grad(x[i]) * dx[i];
    else
        for (size_t i = i0; i < i1; i++) dx[i] += gelu_grad(x[i]) * dy[i];
}

void sl_gelu_backward(float *dinp, const float *inp, const float *dout, int n) {
    gelu_ctx c = {dinp, inp, dout, n};
    sl_parallel_for(ceil_div(n, ELEMENT_BLOCK), gelu_backward_blocks, &c);
}

void sl_gelu_backward_inplace(float *d, const float *inp, int n) {
    gelu_ctx c = {d, inp, d, n};
    sl_parallel_for(ceil_div(n, ELEMENT_BLOCK), gelu_backward_blocks, &c);
}

/* ---------------------------------------------------------------------------------------------- */
/* Residual                                                                                        */

typedef struct {
    float *out;
    const float *a, *b;
    int n;
} residual_ctx;

SL_VECTORIZED
static void residual_blocks(void *p, int begin, int end, int thread) {
    const residual_ctx *c = p;
    size_t i0 = (size_t)begin * ELEMENT_BLOCK, i1 = (size_t)end * ELEMENT_BLOCK;
    if (i1 > (size_t)c->n) i1 = (size_t)c->n;
    for (size_t i = i0; i < i1; i++) c->out[i] = c->a[i] + c->b[i];
}

void sl_residual_forward(float *out, const float *a, const float *b, int n) {
    residual_ctx c = {out, a, b, n};
    sl_parallel_for(ceil_div(n, ELEMENT_BLOCK), residual_blocks, &c);
}

/* ---------------------------------------------------------------------------------------------- */
/* Fused softmax + cross-entropy                                                                   */

/* Rows are grouped into at most LOSS_GROUPS groups fixed by N alone; each group's loss sum lands
 * in its own slot and the slots are added in order afterwards. */
enum { LOSS_GROUPS = 256 };

typedef struct {
    float *logits;
    const int32_t *targets;
    int N, V, rows_per_group;
    double group_loss[LOSS_GROUPS];
} softmax_ce_ctx;

/* One row: loss = logsumexp(z) - z[target]; gradient (softmax(z) - onehot(target)) / N written
 * over z. The max is subtracted before exponentiating so nothing overflows. */
SL_VECTORIZED
static double softmax_ce_row(float *z, int32_t target, int V, float inv_n) {
    float mx = sl_max(z, V);
    float target_logit = z[target];
    float sum = sl_exp_shifted_sum(z, V, mx);
    float scale = inv_n / sum;
    for (int i = 0; i < V; i++) z[i] *= scale;
    z[target] -= inv_n;
    return log((double)sum) - (double)(target_logit - mx);
}

static void softmax_ce_groups(void *p, int begin, int end, int thread) {
    softmax_ce_ctx *c = p;
    float inv_n = 1.0f / (float)c->N;
    for (int g = begin; g < end; g++) {
        int r0 = g * c->rows_per_group, r1 = r0 + c->rows_per_group;
        if (r1 > c->N) r1 = c->N;
        double loss = 0.0;
        for (int row = r0; row < r1; row++)
            loss += softmax_ce_row(c->logits + (size_t)row * c->V, c->targets[row], c->V, inv_n);
        c->group_loss[g] = loss;
    }
}

float sl_softmax_cross_entropy(float *logits, const int32_t *targets, int N, int V) {
    if (N <= 0) return 0.0f;
    softmax_ce_ctx c = {.logits = logits, .targets = targets, .N = N, .V = V};
    c.rows_per_group = ceil_div(N, LOSS_GROUPS);
    int groups = ceil_div(N, c.rows_per_group);
    sl_parallel_for(groups, softmax_ce_groups, &c);
    double total = 0.0;
    for (int g = 0; g < groups; g++) total += c.group_loss[g];
    return (float)(total / N);
}
