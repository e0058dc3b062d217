/* bench_checkpoint.c: how long saving (with fsync) and loading a checkpoint takes, as JSON.
 *
 *   bench_checkpoint [PRESET] [DIR]      (defaults: small, $TMPDIR or /tmp)
 *
 * Saves the preset's model with a trainer (weights + AdamW moments, the size a resumable
 * training checkpoint has), then loads it back with the trainer; best of 3 each. */
#define _POSIX_C_SOURCE 200809L
#include "seedling.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int fail(const char *what) {
    fprintf(stderr, "bench_checkpoint: %s: %s\n", what, sl_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *preset = argc > 1 ? argv[1] : "small";
    const char *dir = argc > 2 ? argv[2] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_checkpoint_%ld.ckpt", dir, (long)getpid());
    sl_config config;
    sl_model *model = NULL;
    sl_tokenizer *tok = NULL;
    sl_trainer *trainer = NULL;
    sl_train_options opts;
    sl_train_options_default(&opts);
    if (sl_config_preset(preset, &config) != SL_OK) return fail("preset");
    if (sl_model_create(&config, 1, &model) != SL_OK) return fail("model");
    if (sl_tokenizer_create_bytes(&tok) != SL_OK) return fail("tokenizer");
    if (sl_trainer_create(model, &opts, &trainer) != SL_OK) return fail("trainer");

    double best_save = 1e30, best_load = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_ms();
        if (sl_checkpoint_save(path, model, tok, trainer) != SL_OK) return fail("save");
        double t1 = now_ms();
        sl_model *m = NULL;
        sl_tokenizer *t = NULL;
        sl_trainer *tr = NULL;
        if (sl_checkpoint_load(path, &m, &t, &tr) != SL_OK) return fail("load");
        double t2 = now_ms();
        sl_trainer_free(tr);
        sl_model_free(m);
        sl_tokenizer_free(t);
        if (t1 - t0 < best_save) best_save = t1 - t0;
        if (t2 - t1 < best_load) best_load = t2 - t1;
    }
    struct stat sb;
    long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    unlink(path);
    printf("{\"bench\": \"checkpoint\", \"preset\": \"%s\", \"params\": %zu, \"file_bytes\": %lld, "
           "\"save_ms\": %.2f, \"load_ms\": %.2f, \"save_MBps\": %.0f, \"load_MBps\": %.0f}\n",
           preset, sl_model_num_params(model), bytes, best_save, best_load, bytes / 1e3 / best_save,
           bytes / 1e3 / best_load);
    sl_trainer_free(trainer);
    sl_model_free(model);
    sl_tokenizer_free(tok);
    return 0;
}
