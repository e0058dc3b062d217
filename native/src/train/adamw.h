/* adamw.h: the AdamW update over all of a model's parameters (adamw.c). */
#ifndef SL_ADAMW_H
#define SL_ADAMW_H
#include "seedling.h"

/* One AdamW update over all params with the model's gradients (decay only where
 * sl_param_tensor_decays). t is the 1-based step for bias correction. */
void sl_adamw_update(sl_model *model, float *m, float *v, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int64_t t);
#endif
