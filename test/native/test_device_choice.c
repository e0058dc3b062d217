/* test_device_choice: choosing where a trainer runs. Without a usable CUDA device (this test
 * forces that by pointing SEEDLING_CUDA_LIB at a file that is not a library), "cuda" must be a
 * clear SL_ERR_UNSUPPORTED and "auto" must fall back to the CPU and train exactly like
 * sl_trainer_create. */
#include "check.h"
#include "core/platform.h"
#include "test_os.h"
#include "seedling.h"

#include <stdlib.h>
#include <string.h>

static sl_dataset *make_dataset(sl_tokenizer **tok) {
    static const char text[] =
        "int add(int a, int b) { return a + b; }\nint sub(int a, int b) { return a - b; }\n"
        "int mul(int a, int b) { return a * b; }\nint div(int a, int b) { return a / b; }\n";
    const char *docs[] = {text, text};
    size_t lens[] = {sizeof text - 1, sizeof text - 1};
    sl_dataset *ds = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(tok));
    CHECK_OK(sl_dataset_create(*tok, docs, lens, 2, &ds));
    return ds;
}

int main(void) {
    /* A path that exists but is no shared library: loading fails however the machine is equipped. */
    test_setenv("SEEDLING_CUDA_LIB", "test/native/test_device_choice.c", 1);

    char why[1024] = "";
    CHECK(sl_cuda_available(why, sizeof why) == 0, "CUDA reported available through a non-library");
    char lib[64];
    sl_library_file_name("seedling_cuda", lib, sizeof lib); /* libseedling_cuda.so, seedling_cuda.dll */
    CHECK(strstr(why, lib) != NULL, "the reason names the library %s: '%s'", lib, why);
    CHECK(sl_cuda_available(NULL, 0) == 0, "NULL name buffer");

    sl_config config;
    CHECK_OK(sl_config_preset("tiny", &config));
    sl_model *model = NULL, *twin = NULL;
    CHECK_OK(sl_model_create(&config, 7, &model));
    CHECK_OK(sl_model_create(&config, 7, &twin));
    sl_train_options opts;
    sl_train_options_default(&opts);
    opts.batch_size = 2;
    opts.seq_len = 32;
    opts.warmup_steps = 2;

    sl_trainer *trainer = (sl_trainer *)1;
    sl_status st = sl_trainer_create_on(model, &opts, "cuda", &trainer);
    CHECK(st == SL_ERR_UNSUPPORTED, "cuda without a device -> %s", sl_status_name(st));
    CHECK(trainer == NULL, "no trainer is handed out on failure");
    CHECK(strstr(sl_last_error(), "CUDA requested but no CUDA device is available") != NULL, "message: %s",
          sl_last_error());

    st = sl_trainer_create_on(model, &opts, "tpu", &trainer);
    CHECK(st == SL_ERR_INVALID_ARGUMENT, "unknown device -> %s", sl_status_name(st));
    CHECK(strstr(sl_last_error(), "tpu") != NULL, "message names the device: %s", sl_last_error());

    /* "auto" falls back to the CPU and trains bit-identically to the plain CPU trainer. */
    sl_tokenizer *tok = NULL;
    sl_dataset *ds = make_dataset(&tok);
    sl_trainer *cpu = NULL;
    CHECK_OK(sl_trainer_create_on(model, &opts, "auto", &trainer));
    CHECK_OK(sl_trainer_create(twin, &opts, &cpu));
    if (trainer && cpu && ds) {
        CHECK(strcmp(sl_trainer_device(trainer), "cpu") == 0, "auto without CUDA runs on %s", sl_trainer_device(trainer));
        st = sl_trainer_set_device(trainer, "cuda");
        CHECK(st == SL_ERR_UNSUPPORTED, "moving to cuda without a device -> %s", sl_status_name(st));
        CHECK(strcmp(sl_trainer_device(trainer), "cpu") == 0, "a failed move leaves the trainer on the CPU");
        CHECK_OK(sl_trainer_set_device(trainer, "cpu"));
        CHECK_OK(sl_trainer_sync(trainer));
        for (int i = 0; i < 3; i++) {
            sl_step_stats a, b;
            CHECK_OK(sl_trainer_step(trainer, ds, &a));
            CHECK_OK(sl_trainer_step(cpu, ds, &b));
            CHECK(a.loss == b.loss, "step %d: loss %.9g vs %.9g", i, a.loss, b.loss);
        }
    }
    sl_trainer_free(trainer);
    sl_trainer_free(cpu);
    sl_dataset_free(ds);
    sl_tokenizer_free(tok);
    sl_model_free(model);
    sl_model_free(twin);
    CHECK(sl_trainer_sync(NULL) == SL_ERR_INVALID_ARGUMENT, "sync(NULL)");
    CHECK(strcmp(sl_trainer_device(NULL), "cpu") == 0, "device(NULL)");
    return check_exit_code("test_device_choice");
}
