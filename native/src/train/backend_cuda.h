/* backend_cuda.h: how the CPU engine hands a trainer to the CUDA backend (backend_cuda.c), which
 * it loads at run time from libseedling_cuda.so. A trainer on CUDA has trainer->device_state set;
 * trainer.c and checkpoint.c call these hooks for it. */
#ifndef SL_BACKEND_CUDA_H
#define SL_BACKEND_CUDA_H
#include "seedling.h"

/* Copy the model's weights and the trainer's AdamW moments to the GPU and route the trainer's
 * steps there. SL_ERR_UNSUPPORTED when there is no usable device or library. */
sl_status sl_cuda_trainer_attach(sl_trainer *trainer);
/* Release the GPU state (without copying it back: see sl_cuda_trainer_sync). NULL-safe. */
void sl_cuda_trainer_detach(sl_trainer *trainer);
/* Copy weights and moments from the GPU into trainer->model and trainer->adam_m/v. */
sl_status sl_cuda_trainer_sync(const sl_trainer *trainer);
/* sl_trainer_step and the loss of one evaluation batch, on the GPU. */
sl_status sl_cuda_trainer_step(sl_trainer *trainer, const sl_dataset *data, sl_step_stats *out);
sl_status sl_cuda_trainer_loss(sl_trainer *trainer, const int32_t *inputs, const int32_t *targets,
                               int B, int T, float *out_loss);
#endif
