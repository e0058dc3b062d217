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
#include "ops.h"
#include "threadpool.h"
#include "vectorize.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    float *out, *att, *dqkv;
    const float *qkv, *dout, *att_in;
    int B, T, C, NH;
} attention_ctx;

SL_VECTORIZED
static void attention_forward_heads(void *p, int begin, int end, int thread) {
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

void sl_attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH) {
    attention_ctx c = {.out = out, .att = att, .qkv = qkv, .B = B, .T = T, .C = C, .NH = NH};
    sl_parallel_for(B * NH, attention_forward_heads, &c);
}

/* For one query row t with probabilities p_j and upstream gradient g = dout[t]:
 *   dv_j += p_j g;  dp_j = g . v_j;  ds_j = p_j (dp_j - sum_i p_i dp_i)  (softmax backward)
 *   dq_t += scale sum_j ds_j k_j;  dk_j += scale ds_j q_t.
 * sum_i p_i dp_i is found in a first pass over the keys, and dp_j recomputed in the second, so no
 * per-row buffer is needed whatever T is. */
SL_VECTORIZED
static void attention_backward_heads(void *p, int begin, int end, int thread) {
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

void sl_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           int B, int T, int C, int NH) {
    attention_ctx c = {.dqkv = dqkv, .dout = dout, .qkv = qkv, .att_in = att,
                       .B = B, .T = T, .C = C, .NH = NH};
    sl_parallel_for(B * NH, attention_backward_heads, &c);
}
