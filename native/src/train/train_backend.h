/* train_backend.h: the device a trainer's steps run on.
 *
 * trainer.c owns everything that must be the same on every device: the options, the data stream
 * (window sampling from trainer->rng_state), the learning-rate schedule and the step statistics. A
 * backend owns only the arithmetic of one optimizer step and of an evaluation loss, and where the
 * authoritative weights and AdamW moments live while it trains. Two implement it: backend_cpu.c
 * (the host copies are the state) and backend_cuda.c (the state lives on the GPU, in
 * libseedling_cuda.so, loaded at run time). A backend never reaches into sl_trainer. */
#ifndef SL_TRAIN_BACKEND_H
#define SL_TRAIN_BACKEND_H
#include "seedling.h"

/* The host copies of the training state, owned by the trainer. A backend that keeps its own copy
 * (a GPU) starts from these and writes them back on sync. */
typedef struct {
    sl_model *model;        /* weights (and, on the CPU, gradients and activations) */
    float *adam_m, *adam_v; /* AdamW moments, model->num_params each */
} sl_host_state;

/* The windows of one optimizer step: n_micro micro-batches of B windows of T tokens,
 * inputs and targets laid out [n_micro, B, T]. */
typedef struct {
    const int32_t *inputs, *targets;
    int n_micro, B, T;
} sl_train_batch;

/* The optimizer settings of one step (they may change between steps). */
typedef struct {
    float learning_rate;
    float beta1, beta2, eps, weight_decay; /* AdamW; decay only where sl_param_tensor_decays */
    float grad_clip;                       /* global-norm clip; 0 = off */
    int64_t t;                             /* 1-based step number, for the bias correction */
    int bf16_matmuls;                      /* CPU matmul precision (a GPU picks its own) */
} sl_step_params;

typedef struct {
    float loss;      /* mean over the micro-batches */
    float grad_norm; /* of the averaged gradient, before clipping */
    int applied;     /* 0: the loss or norm was not finite and the update was refused */
} sl_step_result;

typedef struct sl_train_backend sl_train_backend;
struct sl_train_backend {
    const char *name;          /* the device, as sl_trainer_device reports it: "cpu" or "cuda" */
    int max_batch, max_seq;    /* the largest B and T its buffers hold now (see resize) */
    /* Forward and backward of every micro-batch, then (unless the result is not finite) the clipped
     * AdamW update. A failure leaves the weights as they were and the batch unused. */
    sl_status (*step)(sl_train_backend *self, const sl_train_batch *batch, const sl_step_params *params,
                      sl_step_result *out);
    /* Mean cross-entropy of one batch of B x T tokens, no gradients. */
    sl_status (*loss)(sl_train_backend *self, const int32_t *inputs, const int32_t *targets, int B, int T,
                      float *out_loss);
    /* Bring the host state up to date with the backend's own copy (a no-op on the CPU). */
    sl_status (*sync)(sl_train_backend *self);
    /* Rebuild the buffers for max_batch x max_seq from the host state, which the caller has just
     * synced. After a failure the backend holds no state and can only be freed. NULL: no limit. */
    sl_status (*resize)(sl_train_backend *self, int max_batch, int max_seq);
    void (*free)(sl_train_backend *self);
};

/* The CPU backend: computes on the host state in place (backend_cpu.c). Fails only when out of
 * memory. */
sl_status sl_cpu_backend_create(sl_host_state state, sl_train_backend **out);

/* The CUDA backend for batches up to max_batch x max_seq, starting from the host state, after a
 * parity probe against the CPU (backend_cuda.c). SL_ERR_UNSUPPORTED when no usable device or
 * library; the reason is what sl_cuda_available reports. */
sl_status sl_cuda_backend_create(sl_host_state state, int max_batch, int max_seq, sl_train_backend **out);
#endif
