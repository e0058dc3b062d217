/* test_backend_probe: the engine's side of the CUDA backend without a GPU, through a CPU-backed
 * stand-in library (fake_cuda/fake_seedling_cuda.c) loaded the way the product loads the real one.
 * A backend that agrees with the CPU on the probe batch is used; one that disagrees is refused
 * with the reason ("cuda": a clear error; "auto": the CPU), and stays refused. */
#include "check.h"
#include "test_os.h"
#include "seedling.h"
#include "model/model.h"
#include "train/dataset.h"

#include <stdlib.h>
#include <string.h>

static sl_model *tiny_model(void) {
    sl_config config;
    sl_model *model = NULL;
    CHECK_OK(sl_config_preset("tiny", &config));
    CHECK_OK(sl_model_create(&config, 11, &model));
    return model;
}

/* tokens 0, 1, 2, ... as one document: enough for a few windows of the tiny model. */
static sl_dataset *counting_tokens(size_t n, int vocab) {
    sl_dataset *ds = calloc(1, sizeof *ds);
    ds->n_docs = 1;
    ds->n_tokens = n;
    ds->tokens = malloc(n * sizeof(int32_t));
    ds->doc_starts = malloc(2 * sizeof(size_t));
    for (size_t i = 0; i < n; i++) ds->tokens[i] = (int32_t)(i % (size_t)vocab);
    ds->doc_starts[0] = 0;
    ds->doc_starts[1] = n;
    return ds;
}

/* Evaluation runs on the stand-in's loss; a larger batch than its buffers hold rebuilds them; a
 * failing step (the stand-in has none) changes nothing. */
static void check_backend_routing(sl_trainer *trainer, const sl_model *model) {
    sl_dataset *ds = counting_tokens(400, model->config.vocab_size);
    float loss = 0.0f;
    CHECK_OK(sl_trainer_evaluate(trainer, ds, 2, &loss));
    CHECK(loss > 0.0f, "evaluation loss %g", loss);
    sl_train_options bigger = sl_trainer_options(trainer);
    bigger.batch_size = 6;
    CHECK_OK(sl_trainer_set_options(trainer, &bigger));
    CHECK_OK(sl_trainer_evaluate(trainer, ds, 2, &loss));
    CHECK(strcmp(sl_trainer_device(trainer), "cuda") == 0, "after a resize: %s", sl_trainer_device(trainer));
    sl_step_stats stats;
    CHECK(sl_trainer_step(trainer, ds, &stats) == SL_ERR_UNSUPPORTED, "the stand-in's step failed");
    CHECK(sl_trainer_step_count(trainer) == 0, "a failed step counted");
    sl_dataset_free(ds);
}

int main(void) {
    test_setenv("SEEDLING_CUDA_LIB", FAKE_CUDA_LIB, 1);
    sl_train_options opts;
    sl_train_options_default(&opts);
    opts.batch_size = 2;
    opts.seq_len = 32;

    /* An agreeing backend: "cuda" attaches, and the trainer moves back to the CPU on request. */
    char name[1024] = "";
    CHECK(sl_cuda_available(name, sizeof name) == 1, "the stand-in loads: %s", name);
    CHECK(strcmp(name, "Fake GPU") == 0, "device name %s", name);
    sl_model *model = tiny_model();
    sl_trainer *trainer = NULL;
    test_setenv("FAKE_CUDA_LOSS_OFFSET", "0.001", 1); /* within bf16's tolerance */
    CHECK_OK(sl_trainer_create_on(model, &opts, "cuda", &trainer));
    if (trainer) {
        CHECK(strcmp(sl_trainer_device(trainer), "cuda") == 0, "runs on %s", sl_trainer_device(trainer));
        check_backend_routing(trainer, model);
        CHECK_OK(sl_trainer_set_device(trainer, "cpu"));
        CHECK(strcmp(sl_trainer_device(trainer), "cpu") == 0, "moved back: %s", sl_trainer_device(trainer));
    }
    sl_trainer_free(trainer);

    /* A disagreeing backend: "auto" keeps the trainer on the CPU... */
    test_setenv("FAKE_CUDA_LOSS_OFFSET", "1.5", 1);
    CHECK_OK(sl_trainer_create_on(model, &opts, "auto", &trainer));
    if (trainer) CHECK(strcmp(sl_trainer_device(trainer), "cpu") == 0, "auto runs on %s", sl_trainer_device(trainer));
    sl_trainer_free(trainer);

    /* ...and the backend stays refused, with the reason, even once it would agree again; asking for
     * "cuda" is then a clear error, and no trainer is handed out. */
    test_setenv("FAKE_CUDA_LOSS_OFFSET", "0", 1);
    CHECK(sl_cuda_available(name, sizeof name) == 0, "refused backend reported available");
    CHECK(strstr(name, "disagrees with the CPU engine") != NULL, "reason: %s", name);
    trainer = (sl_trainer *)1;
    sl_status st = sl_trainer_create_on(model, &opts, "cuda", &trainer);
    CHECK(st == SL_ERR_UNSUPPORTED, "refused backend -> %s", sl_status_name(st));
    CHECK(trainer == NULL, "no trainer on failure");
    CHECK(strstr(sl_last_error(), "disagrees with the CPU engine") != NULL, "message: %s", sl_last_error());
    sl_model_free(model);
    return check_exit_code("test_backend_probe");
}
