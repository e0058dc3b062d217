/* trainer_device.c: which device a trainer's steps run on ("cpu", "cuda" or "auto"), and moving a
 * trainer between them with everything it has learnt. */
#include "core/error.h"
#include "train/train_backend.h"
#include "train/trainer.h"

#include <string.h>

static int is_auto(const char *device) { return !device || strcmp(device, "auto") == 0; }

/* "cpu" -> 0, "cuda" -> 1, "auto" -> whichever is present. */
static sl_status resolve_device(const char *device, int *use_cuda) {
    if (is_auto(device)) {
        *use_cuda = sl_cuda_available(NULL, 0);
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

/* Copy the host state to the GPU and route the steps there; the host copies then go stale until
 * the next sync. */
static sl_status move_to_cuda(sl_trainer *t) {
    if (t->backend != t->cpu) return SL_OK; /* already there */
    sl_train_backend *gpu = NULL;
    sl_status st = sl_cuda_backend_create(sl_trainer_host_state(t), t->opts.batch_size, t->opts.seq_len, &gpu);
    if (st == SL_OK) t->backend = gpu;
    return st;
}

SL_API sl_status sl_trainer_set_device(sl_trainer *trainer, const char *device) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_set_device: trainer is NULL");
    int use_cuda = 0;
    sl_status st = resolve_device(device, &use_cuda);
    if (st != SL_OK) return st;
    if (use_cuda) {
        st = move_to_cuda(trainer);
        /* "auto" settles for the CPU when the GPU cannot be used after all (the reason: sl_cuda_available). */
        return st != SL_OK && is_auto(device) ? SL_OK : st;
    }
    st = trainer->backend->sync(trainer->backend); /* back to the CPU with everything learnt so far */
    if (st == SL_OK) sl_trainer_use_cpu(trainer);
    return st;
}

SL_API sl_status sl_trainer_create_on(sl_model *model, const sl_train_options *opts, const char *device,
                                      sl_trainer **out) {
    int use_cuda = 0;
    if (out) *out = NULL;
    sl_status st = resolve_device(device, &use_cuda);
    char why[1024];
    if (st == SL_OK && use_cuda && !sl_cuda_available(why, sizeof why))
        st = sl_fail(SL_ERR_UNSUPPORTED, "CUDA requested but no CUDA device is available (%s)", why);
    if (st == SL_OK) st = sl_trainer_create(model, opts, out);
    if (st == SL_OK && use_cuda) {
        st = move_to_cuda(*out);
        if (st != SL_OK && is_auto(device)) st = SL_OK; /* the CPU trainer stands */
        if (st != SL_OK) {
            sl_trainer_free(*out);
            *out = NULL;
        }
    }
    return st;
}

SL_API const char *sl_trainer_device(const sl_trainer *trainer) {
    return trainer ? trainer->backend->name : "cpu";
}

SL_API sl_status sl_trainer_sync(sl_trainer *trainer) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_sync: trainer is NULL");
    return trainer->backend->sync(trainer->backend);
}
