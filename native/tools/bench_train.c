/* bench_train.c: training throughput of the CPU engine on random tokens.
 *
 *   bench_train --preset small --threads 2 --batch 4 [--seq-len 512] [--steps 10] [--warmup 2]
 *               [--precision auto|fp32|bf16] --json
 *
 * Runs full optimizer steps (forward, backward, clipping, AdamW, data sampling with FIM) and
 * prints one JSON line: tokens/s and ms/step are medians over the steps after the warm-up ones;
 * peak RSS is the process's high-water mark. SEEDLING_PROFILE=1 adds a per-op breakdown on stderr. */
#include "train/dataset.h"
#include "core/profile.h"
#include "seedling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usage(void) {
    fprintf(stderr, "usage: bench_train [--preset tiny|small|medium|large] [--threads N] [--batch B] "
                    "[--seq-len T] [--steps S] [--warmup W] [--precision auto|fp32|bf16] [--json]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *preset = "small", *precision = "auto";
    int threads = 2, batch = 4, seq_len = 0, steps = 10, warmup = 2, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (!v) return usage();
        if (strcmp(a, "--preset") == 0) preset = v;
        else if (strcmp(a, "--threads") == 0) threads = atoi(v);
        else if (strcmp(a, "--batch") == 0) batch = atoi(v);
        else if (strcmp(a, "--seq-len") == 0) seq_len = atoi(v);
        else if (strcmp(a, "--steps") == 0) steps = atoi(v);
        else if (strcmp(a, "--warmup") == 0) warmup = atoi(v);
        else if (strcmp(a, "--precision") == 0) precision = v;
        else return usage();
        i++;
    }
    if (steps < 1 || warmup < 0) return usage();

    sl_config cfg;
    sl_model *model = NULL;
    sl_trainer *trainer = NULL;
    if (sl_config_preset(preset, &cfg) != SL_OK || sl_set_threads(threads) != SL_OK ||
        sl_model_create(&cfg, 1, &model) != SL_OK) {
        fprintf(stderr, "bench_train: %s\n", sl_last_error());
        return 1;
    }
    sl_train_options opts;
    sl_train_options_default(&opts);
    opts.batch_size = batch;
    opts.seq_len = seq_len;
    if (sl_trainer_create(model, &opts, &trainer) != SL_OK || sl_trainer_set_precision(trainer, precision) != SL_OK) {
        fprintf(stderr, "bench_train: %s\n", sl_last_error());
        return 1;
    }
    seq_len = sl_trainer_options(trainer).seq_len;

    /* Random tokens in 64 "documents" (the FIM transform needs document bounds). */
    size_t n_tokens = (size_t)1 << 20, n_docs = 64;
    sl_dataset data = {malloc(n_tokens * sizeof(int32_t)), n_tokens, malloc((n_docs + 1) * sizeof(size_t)), n_docs};
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n_tokens; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        data.tokens[i] = (int32_t)(x % (uint64_t)cfg.vocab_size);
    }
    for (size_t d = 0; d <= n_docs; d++) data.doc_starts[d] = d * (n_tokens / n_docs);
    for (size_t d = 1; d <= n_docs; d++) data.tokens[data.doc_starts[d] - 1] = SL_TOKEN_FILE_SEP;

    double *ms = malloc(sizeof(double) * (size_t)steps);
    for (int s = 0; s < warmup + steps; s++) {
        sl_step_stats st;
        if (sl_trainer_step(trainer, &data, &st) != SL_OK) {
            fprintf(stderr, "bench_train: %s\n", sl_last_error());
            return 1;
        }
        if (s >= warmup) ms[s - warmup] = st.seconds * 1e3;
        if (s + 1 == warmup) sl_profile_reset(); /* first-touch page faults are not the ops' cost */
        if (!json) fprintf(stderr, "step %d: loss %.4f, %.1f ms\n", s, st.loss, st.seconds * 1e3);
    }
    qsort(ms, (size_t)steps, sizeof(double), compare_doubles);
    double median = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"preset\":\"%s\",\"threads\":%d,\"batch\":%d,\"seq_len\":%d,\"tokens_per_s\":%.1f,"
           "\"ms_per_step\":%.2f,\"peak_rss_mb\":%.1f,\"kernel\":\"%s\",\"precision\":\"%s\"}\n",
           preset, sl_get_threads(), batch, seq_len, (double)batch * seq_len / (median / 1e3), median,
           ru.ru_maxrss / 1024.0, sl_cpu_kernel_name(), sl_trainer_precision(trainer));
    sl_trainer_free(trainer); /* prints the SEEDLING_PROFILE breakdown, if asked */
    sl_model_free(model);
    free(data.tokens);
    free(data.doc_starts);
    free(ms);
    return 0;
}
