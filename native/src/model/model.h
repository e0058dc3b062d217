/* model.h: the GPT-2 model as the engine sees it inside. Parameters live in one contiguous block
 * in llm.c's order, so optimizer, checkpoints and exporters treat them as one array. */
#ifndef SL_MODEL_H
#define SL_MODEL_H
#include "model/param_layout.h"
#include "seedling.h"

/* Pointers into one contiguous block, in param_layout.h's order (which has the shapes). */
typedef struct {
    float *wte, *wpe, *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb;
    float *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb, *lnfw, *lnfb;
} sl_param_tensors;

typedef struct sl_activations sl_activations; /* defined in model.c: training forward state */
typedef struct sl_bf16_weights sl_bf16_weights; /* defined in model.c: bf16 copies of the matrices */

struct sl_model {
    sl_config config;
    size_t param_sizes[SL_NUM_PARAM_TENSORS];
    size_t num_params;
    float *params_memory;
    sl_param_tensors params;
    float *grads_memory; /* allocated on the first backward */
    sl_param_tensors grads;
    sl_activations *acts; /* allocated for the (B, T) of the last forward */
    sl_bf16_weights *bf16; /* while in use (sl_model_begin_bf16), the forward and backward run bf16 */
};

/* Element counts of each parameter tensor for a config (param_layout.h's counts). */
void sl_param_sizes(const sl_config *config, size_t sizes[SL_NUM_PARAM_TENSORS]);
/* Point the 16 tensors into memory laid out as above. */
void sl_point_param_tensors(sl_param_tensors *t, float *memory,
                            const size_t sizes[SL_NUM_PARAM_TENSORS]);
/* Whether tensor i gets weight decay (matrices and embeddings yes; biases and LayerNorm no). */
int sl_param_tensor_decays(int i);
/* Name of tensor i ("wte", "qkvw", ...), for messages and exporters. */
const char *sl_param_tensor_name(int i);

/* Allocate a model with zeroed parameters (the checkpoint loader fills them). */
sl_status sl_model_alloc(const sl_config *config, sl_model **out);

/* Training forward: if targets is not NULL computes the mean loss into *loss and keeps what
 * backward needs. */
sl_status sl_model_forward(sl_model *model, const int32_t *inputs, const int32_t *targets, int B,
                           int T, float *loss);
/* Logits [B, T, V] of the last forward, valid only when that forward had targets == NULL (with
 * targets the fused cross-entropy overwrites them with gradients). */
const float *sl_model_last_logits(const sl_model *model);
/* Backward of the last forward (which must have had targets), ACCUMULATING into the grads. */
sl_status sl_model_backward(sl_model *model);
/* Zero the gradients (allocating them if needed). */
sl_status sl_model_zero_grad(sl_model *model);
/* The same as sl_model_zero_grad then sl_model_backward, but the gradients are WRITTEN where an op
 * can (no zeroing pass over them first): a training step's first micro-batch. */
sl_status sl_model_backward_set(sl_model *model);

/* bf16 matmuls for training: sl_model_begin_bf16 converts every weight matrix to bf16 once; until
 * sl_model_end_bf16 the training forward (sl_model_forward) and backward multiply in bf16 with fp32
 * accumulation (everything else stays fp32). The weights must not change in between (a trainer
 * brackets the micro-batches of one step, before the optimizer update). sl_model_loss stays fp32.
 * SL_ERR_UNSUPPORTED without AVX512-BF16. */
sl_status sl_model_begin_bf16(sl_model *model);
void sl_model_end_bf16(sl_model *model);
#endif
