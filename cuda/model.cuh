/* model.cuh: the GPT-2 model on the GPU: parameter layout, training state and activations, and
 * the forward/backward/inference passes that model.cu composes from the kernels. */
#ifndef SLC_MODEL_CUH
#define SLC_MODEL_CUH
#include "seedling_cuda.h"

#include <stddef.h>

/* The 16 parameter tensors in native/src/model/model.h's order. */
enum {
    P_WTE, P_WPE, P_LN1W, P_LN1B, P_QKVW, P_QKVB, P_ATTPROJW, P_ATTPROJB,
    P_LN2W, P_LN2B, P_FCW, P_FCB, P_FCPROJW, P_FCPROJB, P_LNFW, P_LNFB, P_COUNT
};

typedef struct {
    size_t sizes[P_COUNT];
    size_t num_params;
} slc_param_layout;

/* Element counts as native/src/model/config.c's sl_param_sizes (the parity tests check they agree). */
void slc_param_layout_of(const slc_config *c, slc_param_layout *out);
/* Matrices and embeddings decay; biases and LayerNorm parameters do not (sl_param_tensor_decays). */
int slc_param_decays(int i);
/* Point t[0..P_COUNT) into memory laid out as above. */
void slc_point_tensors(float *t[P_COUNT], float *memory, const slc_param_layout *layout);
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
    float *p[P_COUNT], *g[P_COUNT];
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
    float *p[P_COUNT];
    float *k_cache, *v_cache; /* [L, context, C] each */
    int32_t *tokens;
    float *x, *ln, *qkv, *atty, *branch, *fch, *fch_gelu, *logits;
};

/* Run n tokens (already in inf->tokens) at positions pos0.. and leave the next-token logits in
 * inf->logits. */
void slc_inference_forward(slc_inference *inf, int n, int pos0);
#endif
