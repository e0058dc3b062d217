/* train_precision.c: does bf16 training learn as well as fp32? Trains the same model (same seed,
 * same data stream) once per precision on real text and prints both loss curves.
 *
 *   train_precision [--preset small] [--steps 300] [--batch 4] [--seq-len 512] [--threads 2]
 *                   [--every 25] [--lr 1e-3] [--precisions fp32,bf16] FILE...
 *
 * The files are the documents: every tenth one (by position) is held out for validation, the rest
 * train a BPE tokenizer of the preset's vocabulary and then the model. Prints one JSON line per
 * --every steps and precision ({"precision","step","train_loss","val_loss"}; train_loss is the mean
 * over those steps), then a summary line with the final validation losses and their relative gap.
 * Validation losses are always computed in fp32 (sl_trainer_evaluate), so the curves compare what
 * the two trainings learned, not how they evaluate. */
#include "seedling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PRECISIONS = 3, VAL_BATCHES = 8 };

typedef struct {
    char **texts;
    size_t *lens;
    size_t n;
} doc_list;

static int read_file(const char *path, char **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    *out_len = (size_t)n;
    return 1;
}

static int add_doc(doc_list *d, char *text, size_t len) {
    char **t = realloc(d->texts, (d->n + 1) * sizeof *t);
    if (t) d->texts = t;
    size_t *l = t ? realloc(d->lens, (d->n + 1) * sizeof *l) : NULL;
    if (l) d->lens = l;
    if (!t || !l) return 0;
    d->texts[d->n] = text;
    d->lens[d->n] = len;
    d->n++;
    return 1;
}

static int fail(const char *what) {
    fprintf(stderr, "train_precision: %s: %s\n", what, sl_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *preset = "small", *precisions = "fp32,bf16";
    int steps = 300, batch = 4, seq_len = 512, threads = 2, every = 25;
    float lr = 1e-3f;
    doc_list train = {0}, val = {0};
    size_t n_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(a, "--", 2) == 0) {
            if (!v) { fprintf(stderr, "train_precision: %s needs a value\n", a); return 2; }
            if (strcmp(a, "--preset") == 0) preset = v;
            else if (strcmp(a, "--steps") == 0) steps = atoi(v);
            else if (strcmp(a, "--batch") == 0) batch = atoi(v);
            else if (strcmp(a, "--seq-len") == 0) seq_len = atoi(v);
            else if (strcmp(a, "--threads") == 0) threads = atoi(v);
            else if (strcmp(a, "--every") == 0) every = atoi(v);
            else if (strcmp(a, "--lr") == 0) lr = (float)atof(v);
            else if (strcmp(a, "--precisions") == 0) precisions = v;
            else { fprintf(stderr, "train_precision: unknown option %s\n", a); return 2; }
            i++;
            continue;
        }
        char *text;
        size_t len;
        if (!read_file(a, &text, &len)) { fprintf(stderr, "train_precision: cannot read %s\n", a); return 1; }
        if (!add_doc(n_files++ % 10 == 9 ? &val : &train, text, len)) { fprintf(stderr, "train_precision: out of memory\n"); return 1; }
    }
    if (train.n == 0 || val.n == 0 || steps < 1 || every < 1) {
        fprintf(stderr, "usage: train_precision [options] FILE... (at least 10 files)\n");
        return 2;
    }

    sl_config cfg;
    sl_tokenizer *tok = NULL;
    sl_dataset *train_ds = NULL, *val_ds = NULL;
    if (sl_config_preset(preset, &cfg) != SL_OK) return fail("preset");
    if (sl_set_threads(threads) != SL_OK) return fail("threads");
    if (sl_tokenizer_train((const char *const *)train.texts, train.lens, train.n, cfg.vocab_size, &tok) != SL_OK)
        return fail("tokenizer");
    if (sl_dataset_create(tok, (const char *const *)train.texts, train.lens, train.n, &train_ds) != SL_OK ||
        sl_dataset_create(tok, (const char *const *)val.texts, val.lens, val.n, &val_ds) != SL_OK)
        return fail("dataset");
    fprintf(stderr, "train_precision: %zu training files (%zu tokens), %zu validation files (%zu tokens)\n", train.n,
            sl_dataset_num_tokens(train_ds), val.n, sl_dataset_num_tokens(val_ds));

    char list[64];
    snprintf(list, sizeof list, "%s", precisions);
    const char *names[MAX_PRECISIONS];
    float final_val[MAX_PRECISIONS];
    int n_prec = 0;
    for (char *s = strtok(list, ","); s && n_prec < MAX_PRECISIONS; s = strtok(NULL, ",")) names[n_prec++] = s;

    for (int p = 0; p < n_prec; p++) {
        sl_model *model = NULL;
        sl_trainer *trainer = NULL;
        sl_train_options o;
        sl_train_options_default(&o);
        o.batch_size = batch;
        o.seq_len = seq_len;
        o.learning_rate = lr;
        o.total_steps = steps;
        o.warmup_steps = steps / 10;
        if (sl_model_create(&cfg, 1, &model) != SL_OK || sl_trainer_create(model, &o, &trainer) != SL_OK)
            return fail("model");
        if (sl_trainer_set_precision(trainer, names[p]) != SL_OK) return fail(names[p]);
        double window = 0;
        for (int s = 1; s <= steps; s++) {
            sl_step_stats st;
            if (sl_trainer_step(trainer, train_ds, &st) != SL_OK) return fail("step");
            window += st.loss;
            if (s % every == 0 || s == steps) {
                float vl = 0;
                if (sl_trainer_evaluate(trainer, val_ds, VAL_BATCHES, &vl) != SL_OK) return fail("evaluate");
                int span = s % every ? s % every : every;
                printf("{\"precision\":\"%s\",\"step\":%d,\"train_loss\":%.4f,\"val_loss\":%.4f}\n", names[p], s,
                       window / span, vl);
                fflush(stdout);
                window = 0;
                final_val[p] = vl;
            }
        }
        sl_trainer_free(trainer);
        sl_model_free(model);
    }
    if (n_prec >= 2)
        printf("{\"summary\":true,\"%s_val_loss\":%.4f,\"%s_val_loss\":%.4f,\"relative_gap\":%.4f}\n", names[0],
               final_val[0], names[1], final_val[1], (final_val[1] - final_val[0]) / final_val[0]);
    sl_dataset_free(train_ds);
    sl_dataset_free(val_ds);
    sl_tokenizer_free(tok);
    for (size_t i = 0; i < train.n; i++) free(train.texts[i]);
    for (size_t i = 0; i < val.n; i++) free(val.texts[i]);
    free(train.texts);
    free(train.lens);
    free(val.texts);
    free(val.lens);
    return 0;
}
