/* bench_cuda_train: training throughput of the CUDA backend on random tokens, as one JSON line.
 *
 *   bench_cuda_train --preset large --batch 8 --seq 1024 --steps 20 --json
 *   bench_cuda_train --vocab 50304 --ctx 1024 --d 768 --layers 12 --heads 12 ...   (GPT-2 124M)
 *
 * Model FLOPs utilisation counts 6 FLOPs per parameter per token (forward + backward, the tied
 * embedding included as the LM head) plus 12 * L * C * T per token for attention scores and
 * values (PaLM's accounting, not halved for the causal mask), against the GPU's dense bf16 peak. */
#define _POSIX_C_SOURCE 200809L
#include "seedling.h"
#include "seedling_cuda.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *arg_value(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

/* An integer option, or fallback when it is absent or 0. */
static int int_arg(int argc, char **argv, const char *name, int fallback) {
    int v = atoi(arg_value(argc, argv, name, "0"));
    return v ? v : fallback;
}

static int has_flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *preset = arg_value(argc, argv, "--preset", "large");
    sl_config config;
    if (sl_config_preset(preset, &config) != SL_OK) {
        fprintf(stderr, "bench_cuda_train: %s\n", sl_last_error());
        return 2;
    }
    config.vocab_size = int_arg(argc, argv, "--vocab", config.vocab_size);
    config.context_length = int_arg(argc, argv, "--ctx", config.context_length);
    config.d_model = int_arg(argc, argv, "--d", config.d_model);
    config.n_layers = int_arg(argc, argv, "--layers", config.n_layers);
    config.n_heads = int_arg(argc, argv, "--heads", config.n_heads);
    int B = int_arg(argc, argv, "--batch", 8);
    int T = int_arg(argc, argv, "--seq", config.context_length);
    int steps = int_arg(argc, argv, "--steps", 20);
    int warmup = atoi(arg_value(argc, argv, "--warmup", "3"));
    int fp32 = has_flag(argc, argv, "--fp32");
    const char *label = has_flag(argc, argv, "--vocab") ? "custom" : preset;

    if (slc_device_count() < 1) {
        printf("{\"bench\":\"train\",\"device\":\"cuda\",\"skipped\":\"no CUDA device: %s\"}\n", slc_last_error());
        return 0;
    }
    char name[256] = "";
    double peak_tflops = 0.0;
    slc_device_name(name, sizeof name, &peak_tflops);

    sl_model *model = NULL;
    if (sl_model_create(&config, 1337, &model) != SL_OK || B < 1 || T < 1 || T > config.context_length ||
        steps < 1) {
        fprintf(stderr, "bench_cuda_train: bad model or batch: %s\n", sl_last_error());
        return 2;
    }
    slc_train_options opts = {B, T, fp32};
    slc_trainer *trainer = NULL;
    int st = slc_trainer_create((const slc_config *)&config, model->params_memory, &opts, &trainer);
    if (st != 0) {
        fprintf(stderr, "bench_cuda_train: %s\n", slc_last_error());
        return 1;
    }
    size_t bt = (size_t)B * T;
    int32_t *tokens = malloc(sizeof(int32_t) * (bt + 1));
    if (!tokens) return 1;
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i <= bt; i++) { /* xorshift: cheap tokens that are not all alike */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        tokens[i] = (int32_t)(x % (uint64_t)config.vocab_size);
    }
    slc_step_params hp = {3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, 1};
    float loss = 0.0f, norm = 0.0f, first_loss = 0.0f;
    double t0 = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) t0 = now_seconds();
        hp.t = s + 1;
        st = slc_trainer_step(trainer, tokens, tokens + 1, 1, B, T, &hp, &loss, &norm);
        if (st != 0) {
            fprintf(stderr, "bench_cuda_train: step %d: %s\n", s, slc_last_error());
            return 1;
        }
        if (s == 0) first_loss = loss;
    }
    double seconds = now_seconds() - t0;
    double tokens_per_s = (double)bt * steps / seconds;
    double flops_per_token = 6.0 * (double)model->num_params +
                             12.0 * config.n_layers * (double)config.d_model * T;
    double achieved_tflops = flops_per_token * tokens_per_s / 1e12;
    printf("{\"bench\":\"train\",\"device\":\"cuda\",\"gpu\":\"%s\",\"preset\":\"%s\",\"vocab\":%d,\"ctx\":%d,"
           "\"d_model\":%d,\"layers\":%d,\"heads\":%d,\"params\":%zu,\"batch\":%d,\"seq\":%d,\"matmul\":\"%s\","
           "\"steps\":%d,\"ms_per_step\":%.2f,\"tokens_per_s\":%.0f,\"model_tflops\":%.1f,"
           "\"bf16_peak_tflops\":%.1f,\"mfu\":%.4f,\"first_loss\":%.4f,\"last_loss\":%.4f}\n",
           name, label, config.vocab_size, config.context_length, config.d_model, config.n_layers,
           config.n_heads, model->num_params, B, T, fp32 ? "fp32-simt" : "bf16-tensor-core", steps,
           1e3 * seconds / steps, tokens_per_s, achieved_tflops, peak_tflops,
           peak_tflops > 0 ? achieved_tflops / peak_tflops : 0.0, first_loss, loss);
    free(tokens);
    slc_trainer_free(trainer);
    sl_model_free(model);
    return 0;
}
