/* trainer.h: optimizer state and progress, visible to the checkpoint code and to the choice of
 * device (trainer_device.c). */
#ifndef SL_TRAINER_H
#define SL_TRAINER_H
#include "seedling.h"
#include "train/train_backend.h"

struct sl_trainer {
    sl_model *model;
    sl_train_options opts;
    float *adam_m; /* [num_params] first moments */
    float *adam_v; /* [num_params] second moments */
    int64_t step;  /* optimizer steps done */
    int64_t tokens_seen;
    uint64_t rng_state; /* data order / FIM choices; saved so a resumed run continues the stream */
    int bf16_matmuls;   /* CPU matmul precision: 1 bf16 (sl_trainer_set_precision), 0 fp32 */
    sl_train_backend *cpu;     /* always there, so a move back to the CPU cannot fail */
    sl_train_backend *backend; /* where steps run now: cpu, or a GPU backend this trainer owns */
};

/* The host copies of the state the backends train. */
sl_host_state sl_trainer_host_state(sl_trainer *trainer);
/* Make the trainer's steps run on the CPU again, freeing any other backend without syncing it
 * (sl_trainer_sync first to keep what it learnt). */
void sl_trainer_use_cpu(sl_trainer *trainer);

/* Learning rate at a step under the warmup + cosine schedule of opts. */
float sl_learning_rate_at(const sl_train_options *opts, int64_t step);
#endif
