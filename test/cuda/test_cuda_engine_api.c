/* test_cuda_engine_api: CUDA training through the engine's public API, the way the extension
 * uses it (the backend is dlopen()ed): one full step CPU vs GPU (loss, gradient norm, weights),
 * 50-step loss curves of the tiny and small presets, and a checkpoint round trip
 * GPU -> file -> CPU -> GPU -> CPU.
 *
 * Tolerances:
 *  - one step, fp32 matmuls (SEEDLING_CUDA_FP32=1): loss 1e-4 and gradient norm 1e-3 relative.
 *    Adam's first update is +-lr for nearly every weight whatever the gradient's size, so weights
 *    are compared by the update's direction: at most 1% of them may differ by more than lr/10
 *    (a wrong gradient disagrees on about half).
 *  - 50 steps, bf16 tensor cores, same windows in the same order: each step's loss within 3% of
 *    the CPU's, the final loss within 2% (bf16 rounding perturbs every update a little and the
 *    trajectories drift apart slowly; a real bug separates them by far more), and both curves
 *    must fall. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "model/model.h"
#include "seedling.h"
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Some C-like text to train on: deterministic, varied enough to have something to learn. */
static sl_dataset *make_dataset(sl_tokenizer *tok) {
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    for (int i = 0; len + 200 < cap; i++)
        len += (size_t)snprintf(text + len, cap - len, "int f%d(int x) {\n    return x * %d + %d;\n}\n\n", i,
                                (i * 7) % 13, (i * 31) % 97);
    const char *docs[] = {text};
    size_t lens[] = {len};
    sl_dataset *ds = NULL;
    CHECK_OK(sl_dataset_create(tok, docs, lens, 1, &ds));
    free(text);
    return ds;
}

static sl_train_options options(int B, int T, float lr, int warmup) {
    sl_train_options o;
    sl_train_options_default(&o);
    o.batch_size = B;
    o.seq_len = T;
    o.learning_rate = lr;
    o.warmup_steps = warmup;
    o.total_steps = 50;
    o.fim_rate = 0.0f;
    return o;
}

static void test_one_step(sl_dataset *ds) {
    printf("one step, fp32 matmuls: tiny\n");
    setenv("SEEDLING_CUDA_FP32", "1", 1);
    sl_config config;
    CHECK_OK(sl_config_preset("tiny", &config));
    sl_model *mc = NULL, *mg = NULL;
    CHECK_OK(sl_model_create(&config, 21, &mc));
    CHECK_OK(sl_model_create(&config, 21, &mg));
    sl_train_options o = options(4, 64, 1e-3f, 0);
    sl_trainer *tc = NULL, *tg = NULL;
    CHECK_OK(sl_trainer_create_on(mc, &o, "cpu", &tc));
    CHECK_OK(sl_trainer_create_on(mg, &o, "cuda", &tg));
    unsetenv("SEEDLING_CUDA_FP32");
    if (!tc || !tg) return;
    CHECK(strcmp(sl_trainer_device(tg), "cuda") == 0, "device %s", sl_trainer_device(tg));
    float *before = malloc(sizeof(float) * mc->num_params);
    memcpy(before, mc->params_memory, sizeof(float) * mc->num_params);
    sl_step_stats sc, sg;
    CHECK_OK(sl_trainer_step(tc, ds, &sc));
    CHECK_OK(sl_trainer_step(tg, ds, &sg));
    printf("  loss GPU %.6f CPU %.6f; grad norm GPU %.6f CPU %.6f\n", sg.loss, sc.loss, sg.grad_norm, sc.grad_norm);
    CHECK_NEAR(sg.loss, sc.loss, 1e-4 * sc.loss);
    CHECK_NEAR(sg.grad_norm, sc.grad_norm, 1e-3 * sc.grad_norm);
    CHECK(sg.step == 1 && sg.tokens_seen == sc.tokens_seen, "bookkeeping");
    CHECK_OK(sl_trainer_sync(tg));
    size_t disagree = 0;
    for (size_t i = 0; i < mc->num_params; i++) {
        float dc = mc->params_memory[i] - before[i], dg = mg->params_memory[i] - before[i];
        if (fabsf(dc - dg) > 0.1f * sc.learning_rate) disagree++;
    }
    printf("  weights whose update differs by > lr/10: %zu of %zu\n", disagree, mc->num_params);
    CHECK(disagree <= mc->num_params / 100, "%zu of %zu updates disagree", disagree, mc->num_params);
    free(before);
    sl_trainer_free(tc);
    sl_trainer_free(tg);
    sl_model_free(mc);
    sl_model_free(mg);
}

static void test_curves(sl_dataset *ds, const char *preset, int B, int T) {
    printf("50 steps, bf16: %s B=%d T=%d\n", preset, B, T);
    sl_config config;
    CHECK_OK(sl_config_preset(preset, &config));
    sl_model *mc = NULL, *mg = NULL;
    CHECK_OK(sl_model_create(&config, 8, &mc));
    CHECK_OK(sl_model_create(&config, 8, &mg));
    sl_train_options o = options(B, T, 2e-3f, 5);
    sl_trainer *tc = NULL, *tg = NULL;
    CHECK_OK(sl_trainer_create_on(mc, &o, "cpu", &tc));
    CHECK_OK(sl_trainer_create_on(mg, &o, "cuda", &tg));
    if (!tc || !tg) return;
    float first_c = 0, first_g = 0, last_c = 0, last_g = 0, worst = 0;
    for (int s = 0; s < 50; s++) {
        sl_step_stats sc, sg;
        CHECK_OK(sl_trainer_step(tc, ds, &sc));
        CHECK_OK(sl_trainer_step(tg, ds, &sg));
        float rel = fabsf(sg.loss - sc.loss) / sc.loss;
        if (rel > worst) worst = rel;
        if (s % 10 == 0 || s == 49) printf("  step %2d loss CPU %.4f GPU %.4f (%.2f%%)\n", s, sc.loss, sg.loss, 100 * rel);
        CHECK(rel <= 0.03f, "step %d: loss GPU %.4f vs CPU %.4f", s, sg.loss, sc.loss);
        if (s == 0) first_c = sc.loss, first_g = sg.loss;
        last_c = sc.loss, last_g = sg.loss;
    }
    printf("  worst per-step difference %.2f%%\n", 100 * worst);
    CHECK(fabsf(last_g - last_c) <= 0.02f * last_c, "final loss GPU %.4f vs CPU %.4f", last_g, last_c);
    CHECK(last_c < first_c - 0.5f && last_g < first_g - 0.5f, "curves must fall: CPU %.3f->%.3f GPU %.3f->%.3f",
          first_c, last_c, first_g, last_g);
    float eval_c = 0, eval_g = 0;
    CHECK_OK(sl_trainer_evaluate(tc, ds, 4, &eval_c));
    CHECK_OK(sl_trainer_evaluate(tg, ds, 4, &eval_g));
    printf("  evaluation loss CPU %.4f GPU %.4f\n", eval_c, eval_g);
    CHECK(fabsf(eval_g - eval_c) <= 0.03f * eval_c, "evaluation GPU %.4f vs CPU %.4f", eval_g, eval_c);
    sl_trainer_free(tc);
    sl_trainer_free(tg);
    sl_model_free(mc);
    sl_model_free(mg);
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i] - b[i]) > worst) worst = fabs((double)a[i] - b[i]);
    return worst;
}

static void test_checkpoint_round_trip(sl_dataset *ds, sl_tokenizer *tok) {
    printf("checkpoint round trip GPU -> file -> CPU -> GPU -> CPU\n");
    char path[256];
    snprintf(path, sizeof path, "/tmp/seedling_cuda_roundtrip_%d.ckpt", (int)getpid());
    sl_config config;
    CHECK_OK(sl_config_preset("tiny", &config));
    sl_model *ma = NULL, *mb = NULL;
    sl_tokenizer *tok_b = NULL;
    sl_trainer *ta = NULL, *tb = NULL;
    CHECK_OK(sl_model_create(&config, 4, &ma));
    sl_train_options o = options(2, 64, 1e-3f, 2);
    CHECK_OK(sl_trainer_create_on(ma, &o, "cuda", &ta));
    if (!ta) return;
    for (int s = 0; s < 3; s++) CHECK_OK(sl_trainer_step(ta, ds, NULL));
    CHECK_OK(sl_checkpoint_save(path, ma, tok, ta)); /* syncs the GPU state to the host first */
    CHECK_OK(sl_checkpoint_load(path, &mb, &tok_b, &tb));
    if (!tb) return;
    size_t n = ma->num_params;
    CHECK(memcmp(ma->params_memory, mb->params_memory, n * sizeof(float)) == 0, "weights differ after the round trip");
    CHECK(memcmp(ta->adam_m, tb->adam_m, n * sizeof(float)) == 0, "AdamW m differs after the round trip");
    CHECK(memcmp(ta->adam_v, tb->adam_v, n * sizeof(float)) == 0, "AdamW v differs after the round trip");
    CHECK(sl_trainer_step_count(tb) == 3 && strcmp(sl_trainer_device(tb), "cpu") == 0, "restored trainer state");

    /* Back onto the GPU: both trainers continue identically (same state, same data stream). */
    CHECK_OK(sl_trainer_set_device(tb, "cuda"));
    sl_step_stats sa, sb;
    CHECK_OK(sl_trainer_step(ta, ds, &sa));
    CHECK_OK(sl_trainer_step(tb, ds, &sb));
    printf("  step 4 loss original %.6f restored %.6f\n", sa.loss, sb.loss);
    CHECK_NEAR(sb.loss, sa.loss, 1e-5 * sa.loss);
    /* And back to the CPU: the restored trainer's host copy now holds what the GPU learnt. */
    CHECK_OK(sl_trainer_set_device(tb, "cpu"));
    CHECK_OK(sl_trainer_sync(ta));
    double diff = max_abs_diff(ma->params_memory, mb->params_memory, n);
    printf("  weights after one more step on each GPU: max difference %.3e\n", diff);
    CHECK(diff <= 1e-5, "weights differ by %.3e", diff);
    CHECK(strcmp(sl_trainer_device(tb), "cpu") == 0, "device after moving back");
    CHECK_OK(sl_trainer_step(tb, ds, NULL)); /* and it trains on the CPU */
    remove(path);
    sl_trainer_free(ta);
    sl_trainer_free(tb);
    sl_model_free(ma);
    sl_model_free(mb);
    sl_tokenizer_free(tok_b);
}

int main(void) {
    char name[1024];
    if (!sl_cuda_available(name, sizeof name)) {
        printf("test_cuda_engine_api: skipped: no CUDA device (%s)\n", name);
        return 0;
    }
    printf("device: %s\n", name);
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(&tok));
    sl_dataset *ds = make_dataset(tok);
    if (ds) {
        test_one_step(ds);
        test_curves(ds, "tiny", 4, 64);
        test_curves(ds, "small", 2, 128);
        test_checkpoint_round_trip(ds, tok);
    }
    sl_dataset_free(ds);
    sl_tokenizer_free(tok);
    return check_exit_code("test_cuda_engine_api");
}
