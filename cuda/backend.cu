/* backend.cu: the C ABI of libseedling_cuda.so (seedling_cuda.h): errors, device queries, and the
 * trainer and inference handles that own GPU memory and drive model.cu. */
#include "common.cuh"
#include "kernels.cuh"
#include "model.cuh"
#include "seedling_cuda.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

static thread_local char last_error[512];

int slc_fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

int slc_cuda_fail(cudaError_t err, const char *what) {
    int status = err == cudaErrorMemoryAllocation ? SLC_ERR_OUT_OF_MEMORY : SLC_ERR_INTERNAL;
    return slc_fail(status, "%s: CUDA error %s (%s)", what, cudaGetErrorName(err), cudaGetErrorString(err));
}

extern "C" SLC_API const char *slc_last_error(void) { return last_error; }
extern "C" SLC_API int slc_abi_version(void) { return SLC_ABI_VERSION; }

/* ---------------------------------------------------------------------------------------------- */
/* Devices                                                                                         */

/* The bf16 tensor cores and the kernels' shared-memory use need compute capability 8.0. */
static const int MIN_MAJOR = 8;

extern "C" SLC_API int slc_device_count(void) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice) {
        /* What machines without an NVIDIA GPU (no driver, or no device) answer: say it plainly. */
        slc_fail(SLC_ERR_UNSUPPORTED, "no NVIDIA GPU with a working driver (%s)", cudaGetErrorString(err));
        cudaGetLastError();
        return 0;
    }
    if (err != cudaSuccess) {
        slc_cuda_fail(err, "cudaGetDeviceCount");
        cudaGetLastError(); /* clear the sticky error so a later call can retry */
        return 0;
    }
    if (n == 0) {
        slc_fail(SLC_ERR_UNSUPPORTED, "the CUDA driver reports no devices");
        return 0;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
        slc_fail(SLC_ERR_INTERNAL, "cudaGetDeviceProperties failed");
        return 0;
    }
    if (prop.major < MIN_MAJOR) {
        slc_fail(SLC_ERR_UNSUPPORTED, "%s has compute capability %d.%d; the CUDA backend needs %d.0 or newer",
                 prop.name, prop.major, prop.minor, MIN_MAJOR);
        return 0;
    }
    return n;
}

/* Dense bf16 tensor-core peaks (no sparsity) of the data-centre parts, from NVIDIA's datasheets. */
static double bf16_peak_tflops(const char *name) {
    static const struct {
        const char *needle;
        double tflops;
    } peaks[] = {{"H200", 989.4}, {"H100 PCIe", 756.0}, {"H100", 989.4}, {"H800", 989.4}, {"GH200", 989.4},
                 {"A100", 312.0}, {"A800", 312.0},      {"L40S", 362.1}, {"L40", 181.0}, {"L4", 121.0},
                 {"A10", 125.0},  {"RTX 4090", 165.2},  {"RTX 3090", 71.0}};
    for (size_t i = 0; i < sizeof peaks / sizeof peaks[0]; i++)
        if (strstr(name, peaks[i].needle)) return peaks[i].tflops;
    return 0.0;
}

extern "C" SLC_API int slc_device_name(char *out, size_t out_len, double *peak) {
    cudaDeviceProp prop;
    SLC_CUDA_TRY(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    if (out && out_len) snprintf(out, out_len, "%s (sm_%d%d, %.0f GiB)", prop.name, prop.major, prop.minor,
                                 prop.totalGlobalMem / 1073741824.0);
    if (peak) *peak = bf16_peak_tflops(prop.name);
    return SLC_OK;
}

/* Wait for the queued kernels and turn any failure into a status. */
static int finish(const char *what) {
    SLC_CUDA_TRY(cudaGetLastError(), what);
    SLC_CUDA_TRY(cudaDeviceSynchronize(), what);
    return SLC_OK;
}

static int check_tokens(const int32_t *tokens, size_t n, int V, const char *what) {
    if (!tokens) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "%s tokens are NULL", what);
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return slc_fail(SLC_ERR_INVALID_ARGUMENT, "%s token %d at position %zu is outside the vocabulary [0, %d)",
                            what, tokens[i], i, V);
    return SLC_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Trainer                                                                                         */

/* Carve one allocation into the activation buffers (each 256-byte aligned). */
static int alloc_activations(slc_trainer *t) {
    size_t M = t->max_tokens, C = (size_t)t->config.d_model, L = (size_t)t->config.n_layers,
           V = (size_t)t->config.vocab_size, NH = (size_t)t->config.n_heads;
    slc_activations *a = &t->a;
    struct {
        void **ptr;
        size_t count; /* 4-byte elements */
    } specs[] = {
        {(void **)&a->inputs, M},        {(void **)&a->targets, M},       {(void **)&a->encoded, M * C},
        {(void **)&a->ln1, L * M * C},   {(void **)&a->ln1_mean, L * M},  {(void **)&a->ln1_rstd, L * M},
        {(void **)&a->qkv, L * M * 3 * C}, {(void **)&a->atty, L * M * C}, {(void **)&a->lse, L * M * NH},
        {(void **)&a->residual2, L * M * C}, {(void **)&a->ln2, L * M * C}, {(void **)&a->ln2_mean, L * M},
        {(void **)&a->ln2_rstd, L * M},  {(void **)&a->fch, L * M * 4 * C}, {(void **)&a->fch_gelu, L * M * 4 * C},
        {(void **)&a->residual3, L * M * C}, {(void **)&a->lnf, M * C},   {(void **)&a->lnf_mean, M},
        {(void **)&a->lnf_rstd, M},      {(void **)&a->logits, M * V},    {(void **)&a->branch, M * C},
        {(void **)&a->row_loss, M},      {(void **)&a->dresidual, M * C}, {(void **)&a->dC, M * C},
        {(void **)&a->d4C_a, M * 4 * C}, {(void **)&a->d4C_b, M * 4 * C}, {(void **)&a->att_scratch, M * NH},
    };
    size_t total = 0;
    for (auto &s : specs) total += (s.count + 63) / 64 * 64;
    SLC_CUDA_TRY(cudaMalloc(&t->act_memory, total * 4), "allocating activations on the GPU");
    float *p = t->act_memory;
    for (auto &s : specs) {
        *s.ptr = p;
        p += (s.count + 63) / 64 * 64;
    }
    return SLC_OK;
}

extern "C" SLC_API void slc_trainer_free(slc_trainer *t) {
    if (!t) return;
    cudaFree(t->memory);
    cudaFree(t->act_memory);
    cudaFree(t->scalars);
    cudaFree(t->sum_squares);
    free(t);
}

static int trainer_create(const slc_config *config, const float *params, const slc_train_options *opts,
                          slc_trainer *t) {
    SLC_TRY(slc_check_config(config));
    if (!params || !opts) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_trainer_create: NULL params or options");
    if (opts->max_batch < 1 || opts->max_seq < 1 || opts->max_seq > config->context_length)
        return slc_fail(SLC_ERR_INVALID_ARGUMENT, "max_batch %d / max_seq %d out of range (context %d)",
                        opts->max_batch, opts->max_seq, config->context_length);
    t->config = *config;
    t->opts = *opts;
    t->max_tokens = (size_t)opts->max_batch * opts->max_seq;
    long long widest = config->vocab_size > 4 * config->d_model ? config->vocab_size : 4 * config->d_model;
    if ((long long)t->max_tokens * widest >= INT_MAX)
        return slc_fail(SLC_ERR_INVALID_ARGUMENT, "batch of %zu tokens is too large for this vocabulary", t->max_tokens);
    slc_param_layout_of(config, &t->layout);
    size_t n = t->layout.num_params;
    SLC_CUDA_TRY(cudaMalloc(&t->memory, 4 * n * sizeof(float)), "allocating parameters and optimizer state on the GPU");
    t->params = t->memory;
    t->grads = t->params + n;
    t->adam_m = t->grads + n;
    t->adam_v = t->adam_m + n;
    slc_point_tensors(t->p, t->params, &t->layout);
    slc_point_tensors(t->g, t->grads, &t->layout);
    SLC_CUDA_TRY(cudaMemcpy(t->params, params, n * sizeof(float), cudaMemcpyHostToDevice), "uploading parameters");
    SLC_CUDA_TRY(cudaMemset(t->grads, 0, 3 * n * sizeof(float)), "zeroing gradients and moments");
    SLC_CUDA_TRY(cudaMalloc(&t->scalars, 4 * sizeof(float)), "allocating scalars");
    SLC_CUDA_TRY(cudaMalloc(&t->sum_squares, (1 + SLC_NORM_BLOCKS) * sizeof(double)), "allocating norm scratch");
    t->norm_partials = t->sum_squares + 1;
    SLC_TRY(alloc_activations(t));
    return finish("slc_trainer_create");
}

extern "C" SLC_API int slc_trainer_create(const slc_config *config, const float *params,
                                          const slc_train_options *opts, slc_trainer **out) {
    if (!out) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_trainer_create: out is NULL");
    *out = NULL;
    slc_trainer *t = (slc_trainer *)calloc(1, sizeof *t);
    if (!t) return slc_fail(SLC_ERR_OUT_OF_MEMORY, "slc_trainer_create: out of host memory");
    int st = trainer_create(config, params, opts, t);
    if (st != SLC_OK) {
        slc_trainer_free(t);
        return st;
    }
    *out = t;
    return SLC_OK;
}

static int check_batch(const slc_trainer *t, const int32_t *inputs, const int32_t *targets, int n_micro, int B, int T) {
    if (!t) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (n_micro < 1 || B < 1 || T < 1 || B > t->opts.max_batch || T > t->opts.max_seq)
        return slc_fail(SLC_ERR_INVALID_ARGUMENT, "batch %d x %d (x %d micro-batches) outside the trainer's %d x %d",
                        B, T, n_micro, t->opts.max_batch, t->opts.max_seq);
    size_t n = (size_t)n_micro * B * T;
    SLC_TRY(check_tokens(inputs, n, t->config.vocab_size, "input"));
    return check_tokens(targets, n, t->config.vocab_size, "target");
}

/* Copy one micro-batch to the device and run forward (+ backward). */
static int run_batch(slc_trainer *t, const int32_t *inputs, const int32_t *targets, int B, int T, int backward) {
    size_t bytes = (size_t)B * T * sizeof(int32_t);
    SLC_CUDA_TRY(cudaMemcpy(t->a.inputs, inputs, bytes, cudaMemcpyHostToDevice), "uploading inputs");
    SLC_CUDA_TRY(cudaMemcpy(t->a.targets, targets, bytes, cudaMemcpyHostToDevice), "uploading targets");
    slc_model_forward(t, B, T);
    if (backward) slc_model_backward(t, B, T);
    SLC_CUDA_TRY(cudaGetLastError(), "launching the model's kernels");
    return SLC_OK;
}

static int read_scalar(float *out, const float *device, const char *what) {
    SLC_CUDA_TRY(cudaMemcpy(out, device, sizeof(float), cudaMemcpyDeviceToHost), what);
    return SLC_OK;
}

extern "C" SLC_API int slc_trainer_step(slc_trainer *t, const int32_t *inputs, const int32_t *targets,
                                        int n_micro, int B, int T, const slc_step_params *o,
                                        float *out_loss, float *out_grad_norm) {
    SLC_TRY(check_batch(t, inputs, targets, n_micro, B, T));
    if (!o) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_trainer_step: step params are NULL");
    if (o->t < 1) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "step must be >= 1 (1-based), got %lld", (long long)o->t);
    size_t n = t->layout.num_params, bt = (size_t)B * T;
    SLC_CUDA_TRY(cudaMemset(t->grads, 0, n * sizeof(float)), "zeroing gradients");
    SLC_CUDA_TRY(cudaMemset(t->scalars, 0, sizeof(float)), "zeroing the loss");
    for (int micro = 0; micro < n_micro; micro++)
        SLC_TRY(run_batch(t, inputs + micro * bt, targets + micro * bt, B, T, 1));

    float *norm = &t->scalars[1], *scale = &t->scalars[2];
    slc_sum_squares(t->sum_squares, t->grads, n, t->norm_partials);
    slc_clip_scale(scale, norm, t->sum_squares, n_micro, o->grad_clip);
    float m_correction = (float)(1.0 / (1.0 - pow(o->beta1, (double)o->t)));
    float v_correction = (float)(1.0 / (1.0 - pow(o->beta2, (double)o->t)));
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        size_t off = (size_t)(t->p[i] - t->params);
        slc_adamw_update(t->p[i], t->g[i], t->adam_m + off, t->adam_v + off, t->layout.sizes[i], scale, o->learning_rate,
                         o->beta1, o->beta2, o->eps, sl_param_layout_decays(i) ? o->weight_decay : 0.0f,
                         m_correction, v_correction);
    }
    SLC_TRY(finish("slc_trainer_step"));
    float loss = 0.0f, grad_norm = 0.0f;
    SLC_TRY(read_scalar(&loss, &t->scalars[0], "reading the loss"));
    SLC_TRY(read_scalar(&grad_norm, norm, "reading the gradient norm"));
    if (out_loss) *out_loss = loss / n_micro;
    if (out_grad_norm) *out_grad_norm = grad_norm;
    return SLC_OK;
}

extern "C" SLC_API int slc_trainer_forward_backward(slc_trainer *t, const int32_t *inputs,
                                                    const int32_t *targets, int B, int T, float *out_loss) {
    SLC_TRY(check_batch(t, inputs, targets, 1, B, T));
    SLC_CUDA_TRY(cudaMemset(t->grads, 0, t->layout.num_params * sizeof(float)), "zeroing gradients");
    SLC_CUDA_TRY(cudaMemset(t->scalars, 0, sizeof(float)), "zeroing the loss");
    SLC_TRY(run_batch(t, inputs, targets, B, T, 1));
    SLC_TRY(finish("slc_trainer_forward_backward"));
    float loss = 0.0f;
    SLC_TRY(read_scalar(&loss, &t->scalars[0], "reading the loss"));
    if (out_loss) *out_loss = loss;
    return SLC_OK;
}

extern "C" SLC_API int slc_trainer_loss(slc_trainer *t, const int32_t *inputs, const int32_t *targets,
                                        int B, int T, float *out_loss) {
    SLC_TRY(check_batch(t, inputs, targets, 1, B, T));
    if (!out_loss) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_trainer_loss: out_loss is NULL");
    SLC_CUDA_TRY(cudaMemset(t->scalars, 0, sizeof(float)), "zeroing the loss");
    SLC_TRY(run_batch(t, inputs, targets, B, T, 0));
    SLC_TRY(finish("slc_trainer_loss"));
    return read_scalar(out_loss, &t->scalars[0], "reading the loss");
}

static int copy_state(float *host, float *device, size_t n, cudaMemcpyKind kind, const char *what) {
    if (!host) return SLC_OK;
    void *dst = kind == cudaMemcpyHostToDevice ? (void *)device : (void *)host;
    const void *src = kind == cudaMemcpyHostToDevice ? (const void *)host : (const void *)device;
    SLC_CUDA_TRY(cudaMemcpy(dst, src, n * sizeof(float), kind), what);
    return SLC_OK;
}

extern "C" SLC_API int slc_trainer_download(slc_trainer *t, float *params, float *adam_m, float *adam_v) {
    if (!t) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "trainer is NULL");
    size_t n = t->layout.num_params;
    SLC_TRY(copy_state(params, t->params, n, cudaMemcpyDeviceToHost, "downloading parameters"));
    SLC_TRY(copy_state(adam_m, t->adam_m, n, cudaMemcpyDeviceToHost, "downloading AdamW moments"));
    return copy_state(adam_v, t->adam_v, n, cudaMemcpyDeviceToHost, "downloading AdamW moments");
}

extern "C" SLC_API int slc_trainer_upload(slc_trainer *t, const float *params, const float *adam_m,
                                          const float *adam_v) {
    if (!t) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "trainer is NULL");
    size_t n = t->layout.num_params;
    SLC_TRY(copy_state((float *)params, t->params, n, cudaMemcpyHostToDevice, "uploading parameters"));
    SLC_TRY(copy_state((float *)adam_m, t->adam_m, n, cudaMemcpyHostToDevice, "uploading AdamW moments"));
    return copy_state((float *)adam_v, t->adam_v, n, cudaMemcpyHostToDevice, "uploading AdamW moments");
}

extern "C" SLC_API int slc_trainer_download_grads(slc_trainer *t, float *grads) {
    if (!t || !grads) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_trainer_download_grads: NULL argument");
    return copy_state(grads, t->grads, t->layout.num_params, cudaMemcpyDeviceToHost, "downloading gradients");
}

/* ---------------------------------------------------------------------------------------------- */
/* Inference                                                                                       */

extern "C" SLC_API void slc_inference_free(slc_inference *inf) {
    if (!inf) return;
    cudaFree(inf->memory);
    free(inf);
}

static int inference_create(const slc_config *config, const float *params, int fp32, slc_inference *inf) {
    SLC_TRY(slc_check_config(config));
    if (!params) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_inference_create: params is NULL");
    inf->config = *config;
    inf->fp32 = fp32;
    slc_param_layout_of(config, &inf->layout);
    size_t n = inf->layout.num_params, ctx = (size_t)config->context_length, C = (size_t)config->d_model,
           L = (size_t)config->n_layers, V = (size_t)config->vocab_size;
    /* params | k_cache | v_cache | tokens | x ln atty branch | qkv | fch fch_gelu | logits */
    size_t total = n + 2 * L * ctx * C + ctx + 4 * ctx * C + 3 * ctx * C + 8 * ctx * C + V;
    SLC_CUDA_TRY(cudaMalloc(&inf->memory, total * sizeof(float)), "allocating the model and KV cache on the GPU");
    float *p = inf->memory;
    slc_point_tensors(inf->p, p, &inf->layout);
    p += n;
    inf->k_cache = p, p += L * ctx * C;
    inf->v_cache = p, p += L * ctx * C;
    inf->tokens = (int32_t *)p, p += ctx;
    inf->x = p, p += ctx * C;
    inf->ln = p, p += ctx * C;
    inf->atty = p, p += ctx * C;
    inf->branch = p, p += ctx * C;
    inf->qkv = p, p += 3 * ctx * C;
    inf->fch = p, p += 4 * ctx * C;
    inf->fch_gelu = p, p += 4 * ctx * C;
    inf->logits = p;
    SLC_CUDA_TRY(cudaMemcpy(inf->memory, params, n * sizeof(float), cudaMemcpyHostToDevice), "uploading parameters");
    return SLC_OK;
}

extern "C" SLC_API int slc_inference_create(const slc_config *config, const float *params, int fp32_matmul,
                                            slc_inference **out) {
    if (!out) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_inference_create: out is NULL");
    *out = NULL;
    slc_inference *inf = (slc_inference *)calloc(1, sizeof *inf);
    if (!inf) return slc_fail(SLC_ERR_OUT_OF_MEMORY, "slc_inference_create: out of host memory");
    int st = inference_create(config, params, fp32_matmul, inf);
    if (st != SLC_OK) {
        slc_inference_free(inf);
        return st;
    }
    *out = inf;
    return SLC_OK;
}

extern "C" SLC_API int slc_inference_logits(slc_inference *inf, const int32_t *tokens, int n, int pos0,
                                            float *out_logits) {
    if (!inf || !out_logits) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "slc_inference_logits: NULL argument");
    int ctx = inf->config.context_length;
    if (n < 1 || pos0 < 0 || pos0 + n > ctx)
        return slc_fail(SLC_ERR_INVALID_ARGUMENT, "positions %d..%d outside the context of %d", pos0, pos0 + n - 1, ctx);
    SLC_TRY(check_tokens(tokens, (size_t)n, inf->config.vocab_size, "prompt"));
    SLC_CUDA_TRY(cudaMemcpy(inf->tokens, tokens, (size_t)n * sizeof(int32_t), cudaMemcpyHostToDevice), "uploading tokens");
    slc_inference_forward(inf, n, pos0);
    SLC_TRY(finish("slc_inference_logits"));
    SLC_CUDA_TRY(cudaMemcpy(out_logits, inf->logits, (size_t)inf->config.vocab_size * sizeof(float),
                            cudaMemcpyDeviceToHost), "downloading logits");
    return SLC_OK;
}
