/* model.cuh: the GPT-2 model on the GPU: parameter layout, training state and activations, and
 * the forward/backward/inference passes that model.cu composes from the kernels. */
#ifndef SLC_MODEL_CUH
#define SLC_MODEL_CUH
#include "model/param_layout.h" /* the engine's table of tensors: ids, counts, decay */
#include "seedling_cuda.h"

#include <stddef.h>

typedef struct {
    size_t sizes[SL_NUM_PARAM_TENSORS];
    size_t num_params;
} slc_param_layout;

/* Element counts from param_layout.h, and their total. */
void slc_param_layout_of(const slc_config *c, slc_param_layout *out);
/* Point t[0..SL_NUM_PARAM_TENSORS) into memory laid out as above. */
void slc_point_tensors(float *t[SL_NUM_PARAM_TENSORS], float *memory, const slc_param_layout *layout);
/* A config the kernels can run (head size, sizes that fit int indexing). */
int slc_check_config(const slc_config *c);

/* Activations of a training forward, one slab per layer, sized for max_batch x max_seq tokens. */
typedef struct {
    int32_t *inputs, *targets;
    float *encoded;
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *lse, *residual2;
    float *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *residual3;
    float *lnf, *lnf_mean, *lnf_rstd, *logits, *branch, *row_loss;
    float *dresidual, *dC, *d4C_a, *d4C_b, *att_scratch;
} slc_activations;

struct slc_trainer {
    slc_config config;
    slc_train_options opts;
    slc_param_layout layout;
    float *memory; /* params, grads, adam_m, adam_v: 4 x num_params */
    float *params, *grads, *adam_m, *adam_v;
    float *p[SL_NUM_PARAM_TENSORS], *g[SL_NUM_PARAM_TENSORS];
    size_t max_tokens; /* max_batch * max_seq */
    float *act_memory;
    slc_activations a;
    /* Device scalars: loss accumulator, norm, gradient scale; sum of squares and its partials. */
    float *scalars;
    double *sum_squares, *norm_partials;
};

/* Forward of B x T tokens already in t->a.inputs/targets; adds the mean loss to scalars[0]. */
void slc_model_forward(slc_trainer *t, int B, int T);
/* Backward of the last forward, accumulating into t->g. */
void slc_model_backward(slc_trainer *t, int B, int T);

struct slc_inference {
    slc_config config;
    slc_param_layout layout;
    int fp32;
    float *memory;
    float *p[SL_NUM_PARAM_TENSORS];
    float *k_cache, *v_cache; /* [L, context, C] each */
    int32_t *tokens;
    float *x, *ln, *qkv, *atty, *branch, *fch, *fch_gelu, *logits;
};

/* Run n tokens (already in inf->tokens) at positions pos0.. and leave the next-token logits in
 * inf->logits. */
void slc_inference_forward(slc_inference *inf, int n, int pos0);
#endif
