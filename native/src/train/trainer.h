/* trainer.h: optimizer state and progress, visible to the checkpoint code. */
#ifndef SL_TRAINER_H
#define SL_TRAINER_H
#include "seedling.h"

struct sl_trainer {
    sl_model *model;
    sl_train_options opts;
    float *adam_m; /* [num_params] first moments */
    float *adam_v; /* [num_params] second moments */
    int64_t step;  /* optimizer steps done */
    int64_t tokens_seen;
    uint64_t rng_state; /* data order / FIM choices; saved so a resumed run continues the stream */
    void *device_state; /* non-NULL while the trainer runs on CUDA (backend_cuda.c) */
    int bf16_matmuls;   /* CPU matmul precision: 1 bf16 (sl_trainer_set_precision), 0 fp32 */
};

/* Learning rate at a step under the warmup + cosine schedule of opts. */
float sl_learning_rate_at(const sl_train_options *opts, int64_t step);

/* One AdamW update over all params with the given gradients (decay only where
 * sl_param_tensor_decays). t is the 1-based step for bias correction. */
void sl_adamw_update(sl_model *model, float *m, float *v, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int64_t t);
#endif
