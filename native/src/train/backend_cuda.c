/* backend_cuda.c: the engine's side of the CUDA backend.
 *
 * libseedling_cuda.so is opened with dlopen only when someone asks for CUDA (or "auto"), so the
 * engine links no CUDA library and one package runs on machines with and without a GPU. It is
 * looked for, in order: $SEEDLING_CUDA_LIB; next to the module that contains this engine (the
 * Node addon's directory, or a test's build directory) and in its cuda/ subdirectory (the CMake
 * build layout); then the dynamic loader's search path.
 *
 * A trainer on CUDA keeps the authoritative weights and AdamW moments on the GPU; the host copies
 * (model->params_memory, trainer->adam_m/v) are refreshed by sl_trainer_sync, which the checkpoint
 * writer calls itself. Data sampling, the learning-rate schedule and the step bookkeeping stay on
 * the CPU, shared with trainer.c, so both devices see the same windows in the same order. */
#define _GNU_SOURCE
#include "train/backend_cuda.h"
#include "train/dataset.h"
#include "core/error.h"
#include "model/model.h"
#include "core/rng.h"
#include "train/trainer.h"
#include "../../../cuda/seedling_cuda.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------- */
/* Loading the library                                                                             */

typedef struct {
    int (*abi_version)(void);
    const char *(*last_error)(void);
    int (*device_count)(void);
    int (*device_name)(char *, size_t, double *);
    int (*trainer_create)(const slc_config *, const float *, const slc_train_options *, slc_trainer **);
    void (*trainer_free)(slc_trainer *);
    int (*trainer_step)(slc_trainer *, const int32_t *, const int32_t *, int, int, int,
                        const slc_step_params *, float *, float *);
    int (*trainer_loss)(slc_trainer *, const int32_t *, const int32_t *, int, int, float *);
    int (*trainer_download)(slc_trainer *, float *, float *, float *);
    int (*trainer_upload)(slc_trainer *, const float *, const float *, const float *);
} cuda_api;

static cuda_api api;
static int api_ready;               /* library loaded and a device present */
static char api_problem[1024];      /* why not, otherwise */
static char api_device[256];
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static const char LIB_NAME[] = "libseedling_cuda.so";

static void *open_candidate(const char *path, char *tried, size_t tried_len) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        size_t used = strlen(tried);
        snprintf(tried + used, tried_len - used, "%s%s", used ? "; " : "", dlerror());
    }
    return h;
}

static void *open_library(char *tried, size_t tried_len) {
    const char *env = getenv("SEEDLING_CUDA_LIB");
    if (env && *env) return open_candidate(env, tried, tried_len);
    Dl_info info;
    if (dladdr((void *)&sl_cuda_trainer_attach, &info) && info.dli_fname) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", info.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            const char *subdirs[] = {"", "/cuda"};
            for (int i = 0; i < 2; i++) {
                char path[4200];
                snprintf(path, sizeof path, "%s%s/%s", dir, subdirs[i], LIB_NAME);
                void *h = open_candidate(path, tried, tried_len);
                if (h) return h;
            }
        }
    }
    return open_candidate(LIB_NAME, tried, tried_len);
}

static int bind_symbols(void *h) {
#define BIND(field, symbol)                                             \
    do {                                                                \
        *(void **)&api.field = dlsym(h, symbol);                        \
        if (!api.field) {                                               \
            snprintf(api_problem, sizeof api_problem, "%s lacks %s", LIB_NAME, symbol); \
            return 0;                                                   \
        }                                                               \
    } while (0)
    BIND(abi_version, "slc_abi_version");
    BIND(last_error, "slc_last_error");
    BIND(device_count, "slc_device_count");
    BIND(device_name, "slc_device_name");
    BIND(trainer_create, "slc_trainer_create");
    BIND(trainer_free, "slc_trainer_free");
    BIND(trainer_step, "slc_trainer_step");
    BIND(trainer_loss, "slc_trainer_loss");
    BIND(trainer_download, "slc_trainer_download");
    BIND(trainer_upload, "slc_trainer_upload");
#undef BIND
    return 1;
}

/* Whether every "; "-separated loader message in `tried` says the file does not exist. */
static int only_missing_files(const char *tried) {
    static const char missing[] = "No such file or directory";
    const size_t n = sizeof missing - 1;
    for (const char *segment = tried;;) {
        const char *end = strstr(segment, "; ");
        size_t len = end ? (size_t)(end - segment) : strlen(segment);
        if (len < n || strncmp(segment + len - n, missing, n) != 0) return 0;
        if (!end) return 1;
        segment = end + 2;
    }
}

static void load_api(void) {
    char tried[2048] = "";
    void *h = open_library(tried, sizeof tried);
    if (!h) {
        /* Absent (the usual case on a machine built without nvcc) is said briefly; a library that is
         * there but will not load keeps the loader's words. */
        if (only_missing_files(tried))
            snprintf(api_problem, sizeof api_problem, "%s is not installed next to the engine", LIB_NAME);
        else
            snprintf(api_problem, sizeof api_problem, "%s not loadable: %s", LIB_NAME, tried);
        return;
    }
    if (!bind_symbols(h)) return; /* keep the handle: dlclose of a CUDA runtime is not worth the risk */
    if (api.abi_version() != SLC_ABI_VERSION) {
        snprintf(api_problem, sizeof api_problem, "%s has ABI version %d, the engine needs %d", LIB_NAME,
                 api.abi_version(), SLC_ABI_VERSION);
        return;
    }
    if (api.device_count() < 1) {
        snprintf(api_problem, sizeof api_problem, "%s", api.last_error());
        return;
    }
    api.device_name(api_device, sizeof api_device, NULL);
    api_ready = 1;
}

static int cuda_ready(void) {
    pthread_once(&api_once, load_api);
    return api_ready;
}

SL_API int sl_cuda_available(char *name, size_t name_len) {
    int ok = cuda_ready();
    if (name && name_len) snprintf(name, name_len, "%s", ok ? api_device : api_problem);
    return ok;
}

/* The library's failure as an engine error. */
static sl_status cuda_error(int code, const char *what) {
    sl_status st = code >= SL_ERR_INVALID_ARGUMENT && code <= SL_ERR_INTERNAL ? (sl_status)code : SL_ERR_INTERNAL;
    return sl_fail(st, "%s (CUDA): %s", what, api.last_error());
}

/* ---------------------------------------------------------------------------------------------- */
/* Trainers on the GPU                                                                             */

typedef struct {
    slc_trainer *gpu;
    int max_batch, max_seq; /* what gpu's activations were sized for */
} cuda_trainer_state;

static sl_status create_gpu_trainer(sl_trainer *t, cuda_trainer_state *s) {
    const sl_model *m = t->model;
    /* Exact fp32 matmuls instead of bf16 tensor cores: a debugging switch for parity hunts. */
    const char *fp32 = getenv("SEEDLING_CUDA_FP32");
    slc_train_options o = {t->opts.batch_size, t->opts.seq_len, fp32 && strcmp(fp32, "1") == 0};
    slc_trainer *gpu = NULL;
    int code = api.trainer_create((const slc_config *)&m->config, m->params_memory, &o, &gpu);
    if (code == 0) code = api.trainer_upload(gpu, NULL, t->adam_m, t->adam_v);
    if (code != 0) {
        sl_status st = cuda_error(code, "creating the GPU trainer");
        if (gpu) api.trainer_free(gpu);
        return st;
    }
    s->gpu = gpu;
    s->max_batch = o.max_batch;
    s->max_seq = o.max_seq;
    return SL_OK;
}

/* The probe's batch: one window of this many tokens (or the context, if shorter). */
#define PROBE_TOKENS 64

/* A GPU, driver or build this backend has never run on must agree with the CPU engine on one batch
 * before the user's training is trusted to it. bf16 matmuls move a loss by well under 1%; a broken
 * kernel or an unsupported architecture moves it far more, or to NaN. On disagreement the backend
 * is marked unusable for the rest of the process, with the reason that sl_cuda_available reports,
 * so "auto" trains on the CPU. */
static sl_status probe_parity(sl_trainer *t, const cuda_trainer_state *s) {
    const sl_config *c = &t->model->config;
    int T = PROBE_TOKENS;
    if (T > c->context_length) T = c->context_length;
    if (T > s->max_seq) T = s->max_seq;
    int32_t tokens[PROBE_TOKENS + 1];
    sl_rng rng;
    sl_rng_seed(&rng, 0x5eed);
    for (int i = 0; i <= T; i++) tokens[i] = (int32_t)sl_rng_below(&rng, (uint64_t)c->vocab_size);
    float cpu = 0.0f, gpu = 0.0f;
    sl_status st = sl_model_loss(t->model, tokens, tokens + 1, 1, T, &cpu);
    if (st != SL_OK) return st;
    int code = api.trainer_loss(s->gpu, tokens, tokens + 1, 1, T, &gpu);
    if (code != 0) return cuda_error(code, "the parity probe");
    if (fabsf(gpu - cpu) <= 0.05f + 0.02f * fabsf(cpu)) return SL_OK;
    snprintf(api_problem, sizeof api_problem,
             "the CUDA backend on %s disagrees with the CPU engine on a probe batch (loss %.4f vs %.4f)",
             api_device, gpu, cpu);
    api_ready = 0;
    return sl_fail(SL_ERR_UNSUPPORTED, "%s", api_problem);
}

sl_status sl_cuda_trainer_attach(sl_trainer *t) {
    if (!cuda_ready())
        return sl_fail(SL_ERR_UNSUPPORTED, "CUDA requested but no CUDA device is available (%s)", api_problem);
    if (t->device_state) return SL_OK;
    cuda_trainer_state *s = sl_calloc_or_fail(1, sizeof *s, "CUDA trainer state");
    if (!s) return SL_ERR_OUT_OF_MEMORY;
    sl_status st = create_gpu_trainer(t, s);
    if (st == SL_OK) {
        st = probe_parity(t, s);
        if (st != SL_OK) api.trainer_free(s->gpu);
    }
    if (st != SL_OK) {
        free(s);
        return st;
    }
    t->device_state = s;
    return SL_OK;
}

void sl_cuda_trainer_detach(sl_trainer *t) {
    if (!t || !t->device_state) return;
    cuda_trainer_state *s = t->device_state;
    api.trainer_free(s->gpu);
    free(s);
    t->device_state = NULL;
}

sl_status sl_cuda_trainer_sync(const sl_trainer *t) {
    if (!t || !t->device_state) return SL_OK;
    const cuda_trainer_state *s = t->device_state;
    int code = api.trainer_download(s->gpu, t->model->params_memory, t->adam_m, t->adam_v);
    return code == 0 ? SL_OK : cuda_error(code, "copying the trained weights from the GPU");
}

/* New options may ask for a larger batch than the GPU's buffers hold: rebuild them around the
 * current state. */
static sl_status ensure_capacity(sl_trainer *t) {
    cuda_trainer_state *s = t->device_state;
    if (t->opts.batch_size <= s->max_batch && t->opts.seq_len <= s->max_seq) return SL_OK;
    sl_status st = sl_cuda_trainer_sync(t);
    if (st != SL_OK) return st;
    api.trainer_free(s->gpu);
    s->gpu = NULL;
    st = create_gpu_trainer(t, s);
    if (st != SL_OK) { /* the host copies are current: fall back to the CPU rather than fail later */
        free(s);
        t->device_state = NULL;
    }
    return st;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

sl_status sl_cuda_trainer_step(sl_trainer *t, const sl_dataset *data, sl_step_stats *out) {
    double t_start = now_seconds();
    const sl_train_options *o = &t->opts;
    int B = o->batch_size, T = o->seq_len, accum = o->grad_accum_steps;
    if (!data) return sl_fail(SL_ERR_INVALID_ARGUMENT, "training data is NULL");
    if (data->n_tokens < (size_t)T + 1)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "training data has %zu tokens; need at least seq_len+1 = %d",
                       data->n_tokens, T + 1);
    sl_status st = ensure_capacity(t);
    if (st != SL_OK) return st;

    /* The same windows, in the same order, as trainer.c draws for the CPU. */
    size_t bt = (size_t)B * T, n = bt * (size_t)accum;
    int32_t *inputs = sl_calloc_or_fail(2 * n, sizeof(int32_t), "training batch");
    if (!inputs) return SL_ERR_OUT_OF_MEMORY;
    int32_t *targets = inputs + n;
    sl_rng rng = {t->rng_state};
    for (size_t w = 0; w < (size_t)B * accum; w++)
        sl_dataset_sample_window(data, o, &rng, T, inputs + w * T, targets + w * T);

    float lr = sl_learning_rate_at(o, t->step);
    slc_step_params hp = {lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->grad_clip, t->step + 1};
    float loss = 0.0f, norm = 0.0f;
    cuda_trainer_state *s = t->device_state;
    int code = api.trainer_step(s->gpu, inputs, targets, accum, B, T, &hp, &loss, &norm);
    free(inputs);
    if (code != 0) return cuda_error(code, "training step");

    t->rng_state = rng.state;
    t->step++;
    t->tokens_seen += (int64_t)n;
    if (out) {
        out->step = t->step;
        out->tokens_seen = t->tokens_seen;
        out->loss = loss;
        out->grad_norm = norm;
        out->learning_rate = lr;
        out->seconds = now_seconds() - t_start;
    }
    return SL_OK;
}

sl_status sl_cuda_trainer_loss(sl_trainer *t, const int32_t *inputs, const int32_t *targets, int B,
                               int T, float *out_loss) {
    sl_status st = ensure_capacity(t);
    if (st != SL_OK) return st;
    cuda_trainer_state *s = t->device_state;
    int code = api.trainer_loss(s->gpu, inputs, targets, B, T, out_loss);
    return code == 0 ? SL_OK : cuda_error(code, "evaluation");
}

/* ---------------------------------------------------------------------------------------------- */
/* Public API                                                                                      */

static int is_auto(const char *device) { return !device || strcmp(device, "auto") == 0; }

/* "cpu" -> 0, "cuda" -> 1, "auto" -> whichever is present. */
static sl_status resolve_device(const char *device, int *use_cuda) {
    if (is_auto(device)) {
        *use_cuda = cuda_ready();
        return SL_OK;
    }
    if (strcmp(device, "cpu") == 0) {
        *use_cuda = 0;
        return SL_OK;
    }
    if (strcmp(device, "cuda") == 0) {
        *use_cuda = 1;
        return SL_OK;
    }
    return sl_fail(SL_ERR_INVALID_ARGUMENT, "unknown device '%s' (expected auto, cpu or cuda)", device);
}

SL_API sl_status sl_trainer_set_device(sl_trainer *trainer, const char *device) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_set_device: trainer is NULL");
    int use_cuda = 0;
    sl_status st = resolve_device(device, &use_cuda);
    if (st != SL_OK) return st;
    if (use_cuda) {
        st = sl_cuda_trainer_attach(trainer);
        /* "auto" settles for the CPU when the GPU cannot be used after all (the reason: sl_cuda_available). */
        return st != SL_OK && is_auto(device) ? SL_OK : st;
    }
    st = sl_cuda_trainer_sync(trainer); /* back to the CPU with everything learnt so far */
    if (st == SL_OK) sl_cuda_trainer_detach(trainer);
    return st;
}

SL_API sl_status sl_trainer_create_on(sl_model *model, const sl_train_options *opts, const char *device,
                                      sl_trainer **out) {
    int use_cuda = 0;
    if (out) *out = NULL;
    sl_status st = resolve_device(device, &use_cuda);
    if (st == SL_OK && use_cuda && !cuda_ready())
        st = sl_fail(SL_ERR_UNSUPPORTED, "CUDA requested but no CUDA device is available (%s)", api_problem);
    if (st == SL_OK) st = sl_trainer_create(model, opts, out);
    if (st == SL_OK && use_cuda) {
        st = sl_cuda_trainer_attach(*out);
        if (st != SL_OK && is_auto(device)) st = SL_OK; /* the CPU trainer stands */
        if (st != SL_OK) {
            sl_trainer_free(*out);
            *out = NULL;
        }
    }
    return st;
}

SL_API const char *sl_trainer_device(const sl_trainer *trainer) {
    return trainer && trainer->device_state ? "cuda" : "cpu";
}

SL_API sl_status sl_trainer_sync(sl_trainer *trainer) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_sync: trainer is NULL");
    return sl_cuda_trainer_sync(trainer);
}
