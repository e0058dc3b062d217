/* fake_seedling_cuda.c: a stand-in for libseedling_cuda.so, for testing the engine's side of the
 * CUDA backend (loading, the parity probe, falling back) on machines without a GPU. Its "device"
 * computes losses with the CPU engine itself, off by FAKE_CUDA_LOSS_OFFSET (default 0): an offset
 * of 0 is a backend that agrees with the CPU, a large one a broken backend. Training steps are not
 * faked: the real library's parity tests (test/cuda) cover them on a GPU. */
#include "../../../cuda/seedling_cuda.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slc_trainer {
    sl_model *model;
};

static const char *last = "";

SLC_API int slc_abi_version(void) { return SLC_ABI_VERSION; }
SLC_API const char *slc_last_error(void) { return last; }
SLC_API int slc_device_count(void) { return 1; }

SLC_API int slc_device_name(char *out, size_t out_len, double *bf16_peak_tflops) {
    snprintf(out, out_len, "Fake GPU");
    if (bf16_peak_tflops) *bf16_peak_tflops = 0.0;
    return 0;
}

SLC_API int slc_trainer_create(const slc_config *config, const float *params, const slc_train_options *opts,
                               slc_trainer **out) {
    (void)opts;
    slc_trainer *t = calloc(1, sizeof *t);
    sl_config c = {config->vocab_size, config->context_length, config->d_model, config->n_layers, config->n_heads};
    if (!t || sl_model_alloc(&c, &t->model) != SL_OK) {
        free(t);
        last = "fake: out of memory";
        return SL_ERR_OUT_OF_MEMORY;
    }
    memcpy(t->model->params_memory, params, t->model->num_params * sizeof(float));
    *out = t;
    return 0;
}

SLC_API void slc_trainer_free(slc_trainer *t) {
    if (!t) return;
    sl_model_free(t->model);
    free(t);
}

SLC_API int slc_trainer_loss(slc_trainer *t, const int32_t *inputs, const int32_t *targets, int B, int T,
                             float *out_loss) {
    if (sl_model_loss(t->model, inputs, targets, B, T, out_loss) != SL_OK) return SL_ERR_INTERNAL;
    const char *offset = getenv("FAKE_CUDA_LOSS_OFFSET");
    if (offset) *out_loss += strtof(offset, NULL);
    return 0;
}

SLC_API int slc_trainer_step(slc_trainer *t, const int32_t *inputs, const int32_t *targets, int n_micro,
                             int B, int T, const slc_step_params *params, float *out_loss, float *out_grad_norm) {
    (void)t, (void)inputs, (void)targets, (void)n_micro, (void)B, (void)T, (void)params, (void)out_loss, (void)out_grad_norm;
    last = "fake: training steps are not faked";
    return SL_ERR_UNSUPPORTED;
}

SLC_API int slc_trainer_download(slc_trainer *t, float *params, float *adam_m, float *adam_v) {
    (void)adam_m, (void)adam_v;
    if (params) memcpy(params, t->model->params_memory, t->model->num_params * sizeof(float));
    return 0;
}

SLC_API int slc_trainer_upload(slc_trainer *t, const float *params, const float *adam_m, const float *adam_v) {
    (void)adam_m, (void)adam_v;
    if (params) memcpy(t->model->params_memory, params, t->model->num_params * sizeof(float));
    return 0;
}
