/* test_bf16_training.c: bf16 training (sl_trainer_set_precision) learns as well as fp32.
 *
 * - The precision setting: names, errors, and "bf16" refused where the CPU has no AVX512-BF16.
 * - The training matmuls with weights converted once (sl_bf16_weight) give exactly what the
 *   per-call bf16 products give, and the SET flags write exactly what accumulating into zero does.
 * - A tiny model trained on real source files (this repository's) from the same seed in fp32 and
 *   in bf16: the loss curves stay within a few percent of each other, bf16 really differs from
 *   fp32 (the bf16 path ran), and two bf16 runs are bit-identical. */
#include "check.h"
#include "matmul/matmul.h"
#include "matmul/matmul_kernels.h"
#include "seedling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *random_floats(size_t n, unsigned seed) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = ((seed >> 8) / 16777216.0f - 0.5f) * 2.0f;
    }
    return p;
}

static void test_precision_setting(void) {
    sl_config cfg;
    sl_model *model = NULL;
    sl_trainer *tr = NULL;
    sl_train_options o;
    sl_train_options_default(&o);
    CHECK_OK(sl_config_preset("tiny", &cfg));
    CHECK_OK(sl_model_create(&cfg, 1, &model));
    CHECK_OK(sl_trainer_create(model, &o, &tr));
    CHECK_OK(sl_trainer_set_precision(tr, "fp32"));
    CHECK(strcmp(sl_trainer_precision(tr), "fp32") == 0, "precision %s after fp32", sl_trainer_precision(tr));
    CHECK(sl_trainer_set_precision(tr, "fp16") == SL_ERR_INVALID_ARGUMENT, "fp16 accepted");
    CHECK(sl_trainer_set_precision(tr, NULL) == SL_ERR_INVALID_ARGUMENT, "NULL accepted");
    CHECK(sl_trainer_set_precision(NULL, "fp32") == SL_ERR_INVALID_ARGUMENT, "NULL trainer accepted");
    CHECK(strcmp(sl_trainer_precision(tr), "fp32") == 0, "a refused name changed the precision");
    if (sl_matmul_bf16_available()) {
        CHECK_OK(sl_trainer_set_precision(tr, "bf16"));
        CHECK(strcmp(sl_trainer_precision(tr), "bf16") == 0, "precision %s after bf16", sl_trainer_precision(tr));
    } else {
        CHECK(sl_trainer_set_precision(tr, "bf16") == SL_ERR_UNSUPPORTED, "bf16 accepted without AVX512-BF16");
    }
    CHECK_OK(sl_trainer_set_precision(tr, "auto"));
    const char *p = sl_trainer_precision(tr);
    CHECK(strcmp(p, "fp32") == 0 || (strcmp(p, "bf16") == 0 && sl_matmul_bf16_available()), "auto chose %s", p);
    sl_trainer_free(tr);
    sl_model_free(model);
}

/* Odd sizes on purpose: odd C and OC pad a pair slot, N spans several row strips. */
static void test_converted_weights_match(int N, int C, int OC) {
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    float *inp = random_floats(nc, 1), *w = random_floats(oc, 2), *b = random_floats((size_t)OC, 3);
    float *dout = random_floats(no, 4);
    float *out_a = malloc(no * sizeof(float)), *out_b = malloc(no * sizeof(float));
    float *dinp_a = calloc(nc, sizeof(float)), *dinp_b = random_floats(nc, 5);
    float *dw_a = calloc(oc, sizeof(float)), *dw_b = random_floats(oc, 6);
    float *db_a = calloc((size_t)OC, sizeof(float)), *db_b = random_floats((size_t)OC, 7);
    float *converted = malloc(sl_bf16_weight_slots(OC, C) * sizeof(float));
    sl_bf16_weight w16;
    int have = sl_bf16_weight_convert(converted, w, OC, C, &w16);
    CHECK(have == sl_matmul_bf16_available(), "convert returned %d", have);

    /* Forward: converted once == converted per call (bf16), or the fp32 product (no bf16). */
    sl_matmul_forward_bf16(out_a, inp, w, b, N, C, OC);
    sl_matmul_train_forward(out_b, inp, w, have ? &w16 : NULL, b, N, C, OC);
    CHECK(memcmp(out_a, out_b, no * sizeof(float)) == 0, "forward N=%d C=%d OC=%d differs", N, C, OC);

    /* Backward: accumulating into zeroed gradients == writing over garbage with the SET flags. */
    sl_matmul_backward_bf16(dinp_a, dw_a, db_a, dout, inp, w, N, C, OC);
    sl_matmul_train_backward(dinp_b, dw_b, db_b, dout, inp, w, have ? &w16 : NULL,
                             SL_MATMUL_SET_DINP | SL_MATMUL_SET_DWEIGHT, N, C, OC);
    int same_dinp = 1, same_dw = 1, same_db = 1;
    for (size_t i = 0; i < nc; i++) same_dinp &= dinp_a[i] == dinp_b[i];
    for (size_t i = 0; i < oc; i++) same_dw &= dw_a[i] == dw_b[i];
    for (int i = 0; i < OC; i++) same_db &= db_a[i] == db_b[i];
    CHECK(same_dinp && same_dw && same_db, "backward N=%d C=%d OC=%d: dinp %d dweight %d dbias %d", N, C, OC,
          same_dinp, same_dw, same_db);

    /* The fp32 path with the flags: the same against sl_matmul_backward into zeros. */
    memset(dinp_a, 0, nc * sizeof(float));
    memset(dw_a, 0, oc * sizeof(float));
    memset(db_a, 0, (size_t)OC * sizeof(float));
    sl_matmul_backward(dinp_a, dw_a, db_a, dout, inp, w, N, C, OC);
    sl_matmul_train_backward(dinp_b, dw_b, db_b, dout, inp, w, NULL, SL_MATMUL_SET_DINP | SL_MATMUL_SET_DWEIGHT, N, C, OC);
    CHECK(memcmp(dinp_a, dinp_b, nc * sizeof(float)) == 0 && memcmp(dw_a, dw_b, oc * sizeof(float)) == 0 &&
              memcmp(db_a, db_b, (size_t)OC * sizeof(float)) == 0,
          "fp32 backward with SET flags differs (N=%d C=%d OC=%d)", N, C, OC);
    free(inp); free(w); free(b); free(dout); free(out_a); free(out_b); free(dinp_a); free(dinp_b);
    free(dw_a); free(dw_b); free(db_a); free(db_b); free(converted);
}

/* ---------------------------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

enum { STEPS = 80, TAIL = 10 };

/* Train the tiny model for STEPS steps; losses[s] per step, *val the held-out loss at the end. */
static void train(const char *precision, const sl_dataset *train_ds, const sl_dataset *val_ds, float *losses, float *val) {
    sl_config cfg;
    sl_model *model = NULL;
    sl_trainer *tr = NULL;
    sl_train_options o;
    sl_train_options_default(&o);
    o.batch_size = 4;
    o.seq_len = 128;
    o.learning_rate = 2e-3f;
    o.warmup_steps = 8;
    o.total_steps = STEPS;
    CHECK_OK(sl_config_preset("tiny", &cfg));
    CHECK_OK(sl_model_create(&cfg, 7, &model));
    CHECK_OK(sl_trainer_create(model, &o, &tr));
    CHECK_OK(sl_trainer_set_precision(tr, precision));
    for (int s = 0; s < STEPS; s++) {
        sl_step_stats st = {0};
        CHECK_OK(sl_trainer_step(tr, train_ds, &st));
        losses[s] = st.loss;
    }
    CHECK_OK(sl_trainer_evaluate(tr, val_ds, 8, val));
    sl_trainer_free(tr);
    sl_model_free(model);
}

static double tail_mean(const float *losses) {
    double s = 0;
    for (int i = STEPS - TAIL; i < STEPS; i++) s += losses[i];
    return s / TAIL;
}

static void test_loss_curves(void) {
    if (!sl_matmul_bf16_available()) {
        printf("loss curves: skipped: this CPU has no AVX512-BF16\n");
        return;
    }
    const char *train_files[] = {"native/src/model/model.c", "native/src/model/ops.c", "native/src/train/trainer.c",
                                 "native/src/model/attention.c", "native/src/io/checkpoint.c"};
    const char *val_file = "native/src/matmul/matmul.c";
    char *texts[5];
    size_t lens[5];
    for (int i = 0; i < 5; i++) {
        texts[i] = read_file(train_files[i], &lens[i]);
        if (!texts[i]) {
            CHECK(0, "cannot read %s (run from the repository root)", train_files[i]);
            return;
        }
    }
    size_t val_len = 0;
    char *val_text = read_file(val_file, &val_len);
    CHECK(val_text != NULL, "cannot read %s", val_file);
    if (!val_text) return;

    sl_tokenizer *tok = NULL;
    sl_dataset *train_ds = NULL, *val_ds = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(&tok));
    CHECK_OK(sl_dataset_create(tok, (const char *const *)texts, lens, 5, &train_ds));
    CHECK_OK(sl_dataset_create(tok, (const char *const *)&val_text, &val_len, 1, &val_ds));

    float fp32[STEPS], bf16[STEPS], bf16_again[STEPS], val32 = 0, val16 = 0, val16_again = 0;
    train("fp32", train_ds, val_ds, fp32, &val32);
    train("bf16", train_ds, val_ds, bf16, &val16);
    train("bf16", train_ds, val_ds, bf16_again, &val16_again);

    double t32 = tail_mean(fp32), t16 = tail_mean(bf16);
    printf("loss curves: step 1 fp32 %.4f bf16 %.4f; last %d steps fp32 %.4f bf16 %.4f (%.2f%%); held out fp32 %.4f bf16 %.4f (%.2f%%)\n",
           fp32[0], bf16[0], TAIL, t32, t16, 100 * (t16 - t32) / t32, val32, val16, 100 * (val16 - val32) / val32);
    CHECK(t32 < 0.75 * fp32[0], "fp32 did not learn: %.4f -> %.4f", fp32[0], t32);
    CHECK(fabs(t16 - t32) <= 0.03 * t32, "bf16 training loss %.4f vs fp32 %.4f", t16, t32);
    CHECK(fabs(val16 - val32) <= 0.03 * val32, "bf16 held-out loss %.4f vs fp32 %.4f", val16, val32);
    int differs = 0;
    for (int s = 0; s < STEPS; s++) differs |= fp32[s] != bf16[s];
    CHECK(differs, "bf16 losses equal fp32's bit for bit: the bf16 path did not run");
    CHECK(memcmp(bf16, bf16_again, sizeof bf16) == 0 && val16 == val16_again, "two bf16 runs differ");

    sl_dataset_free(train_ds);
    sl_dataset_free(val_ds);
    sl_tokenizer_free(tok);
    for (int i = 0; i < 5; i++) free(texts[i]);
    free(val_text);
}

int main(void) {
    CHECK_OK(sl_set_threads(2));
    sl_matmul_set_min_work_per_thread(1); /* split even small products across the pool */
    test_precision_setting();
    test_converted_weights_match(67, 33, 45);
    test_converted_weights_match(130, 64, 256);
    test_converted_weights_match(1100, 96, 40); /* dweight: 550 row pairs, two K blocks */
    sl_matmul_set_min_work_per_thread(1 << 20);
    test_loss_curves();
    return check_exit_code("test_bf16_training");
}
