/*
 * seedling_cuda.h: the C ABI of libseedling_cuda.so, the CUDA backend of the Seedling engine.
 *
 * The engine (native/src/train/backend_cuda.c) dlopen()s this library only when a trainer or session
 * asks for CUDA, so one package serves machines with and without a GPU. The ABI is plain C with
 * fixed-layout structs; bump SLC_ABI_VERSION on any change.
 *
 * Conventions: every fallible call returns 0 on success, otherwise an sl_status code of
 * seedling.h (1 invalid argument, 2 out of memory, 6 unsupported, 7 internal = a CUDA error) and
 * leaves a message for slc_last_error() (per thread). Host pointers are ordinary host memory.
 * Parameters are the engine's one contiguous fp32 block in model.h's order (wte first).
 */
#ifndef SEEDLING_CUDA_H
#define SEEDLING_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
/* A DLL exports only what is marked so (and the engine's own dllexport symbols, linked into the
 * test stand-in, would otherwise be all it exports). */
#define SLC_API __declspec(dllexport)
#else
#define SLC_API __attribute__((visibility("default")))
#endif
#define SLC_ABI_VERSION 1

/* Same layout as sl_config. */
typedef struct {
    int32_t vocab_size, context_length, d_model, n_layers, n_heads;
} slc_config;

typedef struct {
    int32_t max_batch;   /* largest B a step or loss will be called with */
    int32_t max_seq;     /* largest T (<= context_length) */
    int32_t fp32_matmul; /* 1 = exact fp32 SIMT matmuls (parity debugging), 0 = bf16 tensor cores */
} slc_train_options;

/* The optimizer settings of one step (they may change between steps). */
typedef struct {
    float learning_rate;
    float beta1, beta2, eps, weight_decay; /* AdamW; decay only on matrices and embeddings */
    float grad_clip;                       /* global-norm clip; 0 = off */
    int64_t t;                             /* 1-based step number, for the bias correction */
} slc_step_params;

typedef struct slc_trainer slc_trainer;
typedef struct slc_inference slc_inference;

SLC_API int slc_abi_version(void);
SLC_API const char *slc_last_error(void);
/* Number of usable CUDA devices (0 with a reason in slc_last_error() when there are none). */
SLC_API int slc_device_count(void);
/* Name of device 0 and its dense bf16 tensor-core peak in TFLOP/s (0 when unknown). */
SLC_API int slc_device_name(char *out, size_t out_len, double *bf16_peak_tflops);

/* Parameters, gradients, AdamW moments and activations for (max_batch, max_seq) on the GPU. */
SLC_API int slc_trainer_create(const slc_config *config, const float *params,
                               const slc_train_options *opts, slc_trainer **out);
SLC_API void slc_trainer_free(slc_trainer *trainer);
/* One optimizer step over n_micro micro-batches (inputs/targets are [n_micro, B, T]): zero the
 * gradients, forward + backward each micro-batch, average, clip to the global norm, AdamW.
 * Loss = mean over micro-batches; grad_norm is the norm of the averaged gradient before clipping
 * (native/src/train/trainer.c's definitions). */
SLC_API int slc_trainer_step(slc_trainer *trainer, const int32_t *inputs, const int32_t *targets,
                             int n_micro, int B, int T, const slc_step_params *params,
                             float *out_loss, float *out_grad_norm);
/* Zero the gradients, then forward + backward of one batch (no update): for parity tests. */
SLC_API int slc_trainer_forward_backward(slc_trainer *trainer, const int32_t *inputs,
                                         const int32_t *targets, int B, int T, float *out_loss);
/* Mean cross-entropy loss of one batch; no gradients. */
SLC_API int slc_trainer_loss(slc_trainer *trainer, const int32_t *inputs, const int32_t *targets,
                             int B, int T, float *out_loss);
/* Copy state between host and GPU (num_params floats each; any pointer may be NULL to skip). */
SLC_API int slc_trainer_download(slc_trainer *trainer, float *params, float *adam_m, float *adam_v);
SLC_API int slc_trainer_upload(slc_trainer *trainer, const float *params, const float *adam_m,
                               const float *adam_v);
SLC_API int slc_trainer_download_grads(slc_trainer *trainer, float *grads);

/* Inference with a KV cache of context_length positions. */
SLC_API int slc_inference_create(const slc_config *config, const float *params, int fp32_matmul,
                                 slc_inference **out);
SLC_API void slc_inference_free(slc_inference *inf);
/* Run tokens[0..n) at positions pos0..pos0+n-1 (the cache must hold positions < pos0 from
 * earlier calls) and write the vocab_size logits that follow the last one. */
SLC_API int slc_inference_logits(slc_inference *inf, const int32_t *tokens, int n, int pos0,
                                 float *out_logits);

#ifdef __cplusplus
}
#endif
#endif
