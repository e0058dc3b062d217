/* adamw.c: the AdamW update (Loshchilov & Hutter), as PyTorch's torch.optim.AdamW computes it:
 *
 *   m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
 *   p -= lr * ( m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)  +  wd * p )
 *
 * The decay is decoupled from the gradient (it is not added to g, so Adam's scaling does not touch
 * it) and applies only to the tensors sl_param_tensor_decays() names. Each parameter's update is
 * independent, so the loop splits over blocks of parameters with no ordering concerns. */
#include "model/model.h"
#include "core/threadpool.h"
#include "train/adamw.h"
#include "core/vectorize.h"

#include <math.h>

enum { PARAM_BLOCK = 8192 };

typedef struct {
    float *params, *grads, *m, *v;
    size_t n;
    float lr, beta1, beta2, eps, weight_decay;
    float m_correction, v_correction; /* 1 / (1 - beta^t) */
} adamw_ctx;

SL_VECTORIZED
static void adamw_blocks(void *p, int begin, int end, int thread) {
    const adamw_ctx *c = p;
    size_t i0 = (size_t)begin * PARAM_BLOCK, i1 = (size_t)end * PARAM_BLOCK;
    if (i1 > c->n) i1 = c->n;
    float *restrict params = c->params, *restrict m = c->m, *restrict v = c->v;
    const float *restrict grads = c->grads;
    const float beta1 = c->beta1, beta2 = c->beta2, lr = c->lr, eps = c->eps, wd = c->weight_decay;
    const float mc = c->m_correction, vc = c->v_correction;
    for (size_t i = i0; i < i1; i++) {
        float g = grads[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= lr * ((mi * mc) / (sqrtf(vi * vc) + eps) + wd * params[i]);
    }
}

void sl_adamw_update(sl_model *model, float *m, float *v, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int64_t t) {
    adamw_ctx c = {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps};
    c.m_correction = (float)(1.0 / (1.0 - pow(beta1, (double)t)));
    c.v_correction = (float)(1.0 / (1.0 - pow(beta2, (double)t)));
    size_t offset = 0;
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        size_t n = model->param_sizes[i];
        c.params = model->params_memory + offset;
        c.grads = model->grads_memory + offset;
        c.m = m + offset;
        c.v = v + offset;
        c.n = n;
        c.weight_decay = sl_param_tensor_decays(i) ? weight_decay : 0.0f;
        sl_parallel_for((int)((n + PARAM_BLOCK - 1) / PARAM_BLOCK), adamw_blocks, &c);
        offset += n;
    }
}
