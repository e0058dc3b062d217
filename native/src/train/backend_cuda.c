/* backend_cuda.c: the engine's side of the CUDA backend: the training backend (train_backend.h)
 * that runs the steps in libseedling_cuda.so.
 *
 * libseedling_cuda.so is opened with dlopen only when someone asks for CUDA (or "auto"), so the
 * engine links no CUDA library and one package runs on machines with and without a GPU. It is
 * looked for, in order: $SEEDLING_CUDA_LIB; next to the module that contains this engine (the
 * Node addon's directory, or a test's build directory) and in its cuda/ subdirectory (the CMake
 * build layout); then the dynamic loader's search path.
 *
 * On CUDA the authoritative weights and AdamW moments live on the GPU; the host copies
 * (model->params_memory, the trainer's adam_m/v) are refreshed by the backend's sync, which
 * sl_trainer_sync and the checkpoint writer call. Data sampling, the learning-rate schedule and the
 * step bookkeeping stay in trainer.c, so both devices see the same windows in the same order. */
#include "core/error.h"
#include "core/platform.h"
#include "core/rng.h"
#include "model/model.h"
#include "train/train_backend.h"
#include "../../../cuda/seedling_cuda.h"

#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library takes the engine's sl_config as its slc_config (a cast, below): the two must agree
 * field by field. */
#define SAME_FIELD(field)                                                                         \
    _Static_assert(offsetof(slc_config, field) == offsetof(sl_config, field) &&                   \
                       sizeof(((slc_config *)0)->field) == sizeof(((sl_config *)0)->field),       \
                   "slc_config." #field " differs from sl_config." #field)
SAME_FIELD(vocab_size);
SAME_FIELD(context_length);
SAME_FIELD(d_model);
SAME_FIELD(n_layers);
SAME_FIELD(n_heads);
#undef SAME_FIELD
_Static_assert(sizeof(slc_config) == sizeof(sl_config), "slc_config and sl_config differ in size");

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
static sl_once api_once = SL_ONCE_INIT;

static char lib_name[64]; /* libseedling_cuda.so, seedling_cuda.dll, ... */

/* Try one path; a failure's message is appended to tried, and *all_missing cleared unless the
 * file simply is not there. */
static void *open_candidate(const char *path, char *tried, size_t tried_len, int *all_missing) {
    char why[1024];
    int missing = 0;
    void *h = sl_library_open(path, &missing, why, sizeof why);
    if (!h) {
        size_t used = strlen(tried);
        snprintf(tried + used, tried_len - used, "%s%s", used ? "; " : "", why);
        if (!missing) *all_missing = 0;
    }
    return h;
}

static void *open_library(char *tried, size_t tried_len, int *all_missing) {
    const char *env = getenv("SEEDLING_CUDA_LIB");
    if (env && *env) return open_candidate(env, tried, tried_len, all_missing);
    char dir[4096];
    if (sl_module_dir((const void *)&sl_cuda_backend_create, dir, sizeof dir) == 0) {
        const char *subdirs[] = {"", "/cuda"};
        for (int i = 0; i < 2; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s%s/%s", dir, subdirs[i], lib_name);
            void *h = open_candidate(path, tried, tried_len, all_missing);
            if (h) return h;
        }
    }
    return open_candidate(lib_name, tried, tried_len, all_missing);
}

static int bind_symbols(void *h) {
#define BIND(field, symbol)                                             \
    do {                                                                \
        *(void **)&api.field = sl_library_symbol(h, symbol);            \
        if (!api.field) {                                               \
            snprintf(api_problem, sizeof api_problem, "%s lacks %s", lib_name, symbol); \
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

static void load_api(void) {
    sl_library_file_name("seedling_cuda", lib_name, sizeof lib_name);
    char tried[2048] = "";
    int all_missing = 1;
    void *h = open_library(tried, sizeof tried, &all_missing);
    if (!h) {
        /* Absent (the usual case on a machine built without nvcc) is said briefly; a library that is
         * there but will not load keeps the loader's words. */
        if (all_missing)
            snprintf(api_problem, sizeof api_problem, "%s is not installed next to the engine", lib_name);
        else
            snprintf(api_problem, sizeof api_problem, "%s not loadable: %s", lib_name, tried);
        return;
    }
    if (!bind_symbols(h)) return; /* keep the handle: dlclose of a CUDA runtime is not worth the risk */
    if (api.abi_version() != SLC_ABI_VERSION) {
        snprintf(api_problem, sizeof api_problem, "%s has ABI version %d, the engine needs %d", lib_name,
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
    sl_call_once(&api_once, load_api);
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
/* The training backend                                                                            */

typedef struct {
    sl_train_backend base; /* first, so the vtable's self is this struct */
    sl_host_state host;
    slc_trainer *gpu; /* sized for base.max_batch x base.max_seq */
} cuda_backend;

static sl_status create_gpu_trainer(cuda_backend *b, int max_batch, int max_seq) {
    const sl_model *m = b->host.model;
    /* Exact fp32 matmuls instead of bf16 tensor cores: a debugging switch for parity hunts. */
    const char *fp32 = getenv("SEEDLING_CUDA_FP32");
    slc_train_options o = {max_batch, max_seq, fp32 && strcmp(fp32, "1") == 0};
    slc_trainer *gpu = NULL;
    int code = api.trainer_create((const slc_config *)&m->config, m->params_memory, &o, &gpu);
    if (code == 0) code = api.trainer_upload(gpu, NULL, b->host.adam_m, b->host.adam_v);
    if (code != 0) {
        sl_status st = cuda_error(code, "creating the GPU trainer");
        if (gpu) api.trainer_free(gpu);
        return st;
    }
    b->gpu = gpu;
    b->base.max_batch = o.max_batch;
    b->base.max_seq = o.max_seq;
    return SL_OK;
}

/* The probe's batch: one window of this many tokens (or the context, if shorter). */
#define PROBE_TOKENS 64

/* A GPU, driver or build this backend has never run on must agree with the CPU engine on one batch
 * before the user's training is trusted to it. bf16 matmuls move a loss by well under 1%; a broken
 * kernel or an unsupported architecture moves it far more, or to NaN. On disagreement the backend
 * is marked unusable for the rest of the process, with the reason that sl_cuda_available reports,
 * so "auto" trains on the CPU. */
static sl_status probe_parity(const cuda_backend *b) {
    const sl_config *c = &b->host.model->config;
    int T = PROBE_TOKENS;
    if (T > c->context_length) T = c->context_length;
    if (T > b->base.max_seq) T = b->base.max_seq;
    int32_t tokens[PROBE_TOKENS + 1];
    sl_rng rng;
    sl_rng_seed(&rng, 0x5eed);
    for (int i = 0; i <= T; i++) tokens[i] = (int32_t)sl_rng_below(&rng, (uint64_t)c->vocab_size);
    float cpu = 0.0f, gpu = 0.0f;
    sl_status st = sl_model_loss(b->host.model, tokens, tokens + 1, 1, T, &cpu);
    if (st != SL_OK) return st;
    int code = api.trainer_loss(b->gpu, tokens, tokens + 1, 1, T, &gpu);
    if (code != 0) return cuda_error(code, "the parity probe");
    if (fabsf(gpu - cpu) <= 0.05f + 0.02f * fabsf(cpu)) return SL_OK;
    snprintf(api_problem, sizeof api_problem,
             "the CUDA backend on %s disagrees with the CPU engine on a probe batch (loss %.4f vs %.4f)",
             api_device, gpu, cpu);
    api_ready = 0;
    return sl_fail(SL_ERR_UNSUPPORTED, "%s", api_problem);
}

static sl_status cuda_step(sl_train_backend *self, const sl_train_batch *batch, const sl_step_params *p,
                           sl_step_result *out) {
    cuda_backend *b = (cuda_backend *)self;
    slc_step_params hp = {p->learning_rate, p->beta1, p->beta2, p->eps, p->weight_decay, p->grad_clip, p->t};
    int code = api.trainer_step(b->gpu, batch->inputs, batch->targets, batch->n_micro, batch->B, batch->T, &hp,
                                &out->loss, &out->grad_norm);
    if (code != 0) return cuda_error(code, "training step");
    out->applied = 1; /* the GPU applies its update in the same call */
    return SL_OK;
}

static sl_status cuda_loss(sl_train_backend *self, const int32_t *inputs, const int32_t *targets, int B, int T,
                           float *out_loss) {
    int code = api.trainer_loss(((cuda_backend *)self)->gpu, inputs, targets, B, T, out_loss);
    return code == 0 ? SL_OK : cuda_error(code, "evaluation");
}

/* The GPU holds the authoritative weights and moments: copy them into the host state. */
static sl_status cuda_sync(sl_train_backend *self) {
    cuda_backend *b = (cuda_backend *)self;
    int code = api.trainer_download(b->gpu, b->host.model->params_memory, b->host.adam_m, b->host.adam_v);
    return code == 0 ? SL_OK : cuda_error(code, "copying the trained weights from the GPU");
}

static sl_status cuda_resize(sl_train_backend *self, int max_batch, int max_seq) {
    cuda_backend *b = (cuda_backend *)self;
    api.trainer_free(b->gpu);
    b->gpu = NULL;
    return create_gpu_trainer(b, max_batch, max_seq);
}

static void cuda_free(sl_train_backend *self) {
    if (!self) return;
    api.trainer_free(((cuda_backend *)self)->gpu);
    free(self);
}

sl_status sl_cuda_backend_create(sl_host_state host, int max_batch, int max_seq, sl_train_backend **out) {
    *out = NULL;
    if (!cuda_ready())
        return sl_fail(SL_ERR_UNSUPPORTED, "CUDA requested but no CUDA device is available (%s)", api_problem);
    cuda_backend *b = sl_calloc_or_fail(1, sizeof *b, "CUDA training backend");
    if (!b) return SL_ERR_OUT_OF_MEMORY;
    b->base = (sl_train_backend){.name = "cuda", .step = cuda_step, .loss = cuda_loss, .sync = cuda_sync,
                                 .resize = cuda_resize, .free = cuda_free};
    b->host = host;
    sl_status st = create_gpu_trainer(b, max_batch, max_seq);
    if (st == SL_OK) st = probe_parity(b);
    if (st != SL_OK) {
        cuda_free(&b->base);
        return st;
    }
    *out = &b->base;
    return SL_OK;
}
