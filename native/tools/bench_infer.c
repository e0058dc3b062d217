/* bench_infer.c: inference speed of a random-weight model of a preset.
 *
 *   bench_infer [--preset small] [--threads 2] [--reps 7] [--json] [--cpu-time]
 *
 * Measures (median of --reps runs, each after a warm-up):
 *   prompt_tokens_per_s  a 512-token prompt from an empty cache (sl_session_logits)
 *   decode_tokens_per_s  64 greedy tokens after a 256-token prompt already in the cache
 *   cold_completion_ms   480-token prompt + 32 greedy tokens, empty cache, wall time
 *   warm_completion_ms   the same right after a prompt sharing all but its last 8 tokens
 *   attention_512_ms     sl_model_attention over 512 tokens (clamped to the context)
 * Also the best (minimum) of the runs, and the 1-minute load average when the run ended: on a
 * shared machine the median moves with other processes' load; the best shows what the code
 * does when it gets the CPUs. With --json prints one JSON line, otherwise a readable table. The model's end-of-text
 * embedding is zeroed so its logit is 0 and greedy decoding of random weights never stops early
 * (every measured run generates its full budget). */
#include "model/model.h"
#include "seedling.h"

#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --cpu-time: measure the process's CPU time instead of wall time. With one thread on a machine
 * other processes keep busy, that leaves out the time this process waited for a CPU (though not
 * what their cache traffic costs it). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The 1-minute load average (Linux), or -1. */
static double load_average(void) {
    double load = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = -1.0;
        fclose(f);
    }
    return load;
}

static int fail(const char *what) {
    fprintf(stderr, "bench_infer: %s: %s\n", what, sl_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *preset = "small";
    int threads = 2, reps = 7, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--preset") && i + 1 < argc) preset = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--cpu-time")) bench_clock = CLOCK_PROCESS_CPUTIME_ID;
        else {
            fprintf(stderr, "usage: bench_infer [--preset NAME] [--threads N] [--reps N] [--json] [--cpu-time]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 1000) reps = 7;
    sl_config cfg;
    sl_model *model = NULL;
    sl_tokenizer *tok = NULL;
    sl_session *s = NULL;
    if (sl_config_preset(preset, &cfg) != SL_OK) return fail("preset");
    if (sl_set_threads(threads) != SL_OK) return fail("threads");
    if (sl_model_create(&cfg, 1337, &model) != SL_OK) return fail("model");
    memset(model->params.wte + (size_t)SL_TOKEN_EOT * cfg.d_model, 0, sizeof(float) * cfg.d_model);
    if (sl_tokenizer_create_bytes(&tok) != SL_OK) return fail("tokenizer");
    if (sl_session_create(model, &s) != SL_OK) return fail("session");

    const int ctx = cfg.context_length;
    int32_t *prompt = malloc(sizeof(int32_t) * ctx), *edited = malloc(sizeof(int32_t) * ctx);
    float *logits = malloc(sizeof(float) * cfg.vocab_size);
    int T_att = ctx < 512 ? ctx : 512;
    float *att = malloc(sizeof(float) * cfg.n_layers * cfg.n_heads * (size_t)T_att * T_att);
    double *times = malloc(sizeof(double) * (reps + 1));
    if (!prompt || !edited || !logits || !att || !times) return fail("allocation");
    for (int i = 0; i < ctx; i++) prompt[i] = 32 + (i * 7919) % 95; /* printable bytes */

    /* prompt: a full-length prompt from an empty cache */
    int n_prompt = ctx < 512 ? ctx : 512;
    for (int r = 0; r <= reps; r++) {
        sl_session_reset(s);
        double t0 = now_ms();
        if (sl_session_logits(s, prompt, (size_t)n_prompt, logits) != SL_OK) return fail("prompt");
        if (r) times[r - 1] = now_ms() - t0; /* run 0 warms up */
    }
    double prompt_ms = median(times, reps), best_prompt_ms = times[0];

    sl_generate_options o;
    sl_generate_options_default(&o);
    char *text = NULL;
    sl_generate_stats st;
    int n_decode_prompt = ctx / 2 < 256 ? ctx / 2 : 256;
    o.max_tokens = 64;
    for (int r = 0; r <= reps; r++) {
        /* the prompt goes in first; the timed call reruns only its last token, then decodes */
        sl_session_reset(s);
        o.max_tokens = 0;
        if (sl_session_generate(s, tok, prompt, (size_t)n_decode_prompt, &o, &text, NULL, &st) != SL_OK) return fail("decode");
        sl_free(text);
        o.max_tokens = 64;
        double t0 = now_ms();
        if (sl_session_generate(s, tok, prompt, (size_t)n_decode_prompt, &o, &text, NULL, &st) != SL_OK) return fail("decode");
        double t = now_ms() - t0;
        sl_free(text);
        if (r) times[r - 1] = st.generated_tokens > 1 ? t / st.generated_tokens : 1e9;
    }
    double decode_ms_per_token = median(times, reps), best_decode_ms = times[0];

    int n_cold = ctx - 32 < 480 ? ctx - 32 : 480;
    o.max_tokens = 32;
    for (int r = 0; r <= reps; r++) {
        sl_session_reset(s);
        double t0 = now_ms();
        if (sl_session_generate(s, tok, prompt, (size_t)n_cold, &o, &text, NULL, &st) != SL_OK) return fail("cold");
        if (r) times[r - 1] = now_ms() - t0;
        sl_free(text);
    }
    double cold_ms = median(times, reps), best_cold_ms = times[0];

    /* typing: the previous request differs from this one only in its last 8 tokens */
    memcpy(edited, prompt, sizeof(int32_t) * n_cold);
    for (int i = n_cold - 8; i < n_cold; i++) edited[i] = 'a' + i % 26;
    int reused = 0;
    for (int r = 0; r <= reps; r++) {
        sl_session_reset(s);
        if (sl_session_generate(s, tok, prompt, (size_t)n_cold, &o, &text, NULL, &st) != SL_OK) return fail("warm setup");
        sl_free(text);
        double t0 = now_ms();
        if (sl_session_generate(s, tok, edited, (size_t)n_cold, &o, &text, NULL, &st) != SL_OK) return fail("warm");
        if (r) times[r - 1] = now_ms() - t0;
        reused = st.reused_tokens;
        sl_free(text);
    }
    double warm_ms = median(times, reps), best_warm_ms = times[0];

    for (int r = 0; r <= reps; r++) {
        double t0 = now_ms();
        if (sl_model_attention(model, prompt, T_att, att, logits, NULL) != SL_OK) return fail("attention");
        if (r) times[r - 1] = now_ms() - t0;
    }
    double attention_ms = median(times, reps), best_attention_ms = times[0];
    double load = load_average();

    if (json) {
        printf("{\"preset\":\"%s\",\"threads\":%d,\"prompt_tokens_per_s\":%.0f,\"decode_tokens_per_s\":%.0f,"
               "\"cold_completion_ms\":%.2f,\"warm_completion_ms\":%.2f,\"attention_512_ms\":%.2f,"
               "\"warm_reused_tokens\":%d,\"kernel\":\"%s\",\"best\":{\"prompt_tokens_per_s\":%.0f,"
               "\"decode_tokens_per_s\":%.0f,\"cold_completion_ms\":%.2f,\"warm_completion_ms\":%.2f,"
               "\"attention_512_ms\":%.2f},\"reps\":%d,\"clock\":\"%s\",\"load_average\":%.2f}\n",
               preset, sl_get_threads(), n_prompt / prompt_ms * 1e3, 1e3 / decode_ms_per_token, cold_ms,
               warm_ms, attention_ms, reused, sl_cpu_kernel_name(), n_prompt / best_prompt_ms * 1e3,
               1e3 / best_decode_ms, best_cold_ms, best_warm_ms, best_attention_ms, reps,
               bench_clock == CLOCK_MONOTONIC ? "wall" : "process-cpu", load);
    } else {
        printf("preset %s, %d threads, kernel %s\n", preset, sl_get_threads(), sl_cpu_kernel_name());
        printf("  prompt (%d tokens)          %8.0f tokens/s  (%.2f ms)\n", n_prompt, n_prompt / prompt_ms * 1e3, prompt_ms);
        printf("  decode (after %d)           %8.0f tokens/s  (%.3f ms/token)\n", n_decode_prompt, 1e3 / decode_ms_per_token, decode_ms_per_token);
        printf("  cold completion (%d + 32)   %8.2f ms\n", n_cold, cold_ms);
        printf("  warm completion (reused %d) %8.2f ms\n", reused, warm_ms);
        printf("  attention maps (%d tokens)  %8.2f ms\n", T_att, attention_ms);
        printf("  best of %d: prompt %.0f tokens/s, decode %.0f tokens/s, cold %.2f ms, warm %.2f ms, "
               "attention %.2f ms (load average %.2f)\n", reps, n_prompt / best_prompt_ms * 1e3,
               1e3 / best_decode_ms, best_cold_ms, best_warm_ms, best_attention_ms, load);
    }
    free(prompt); free(edited); free(logits); free(att); free(times);
    sl_session_free(s);
    sl_tokenizer_free(tok);
    sl_model_free(model);
    return 0;
}
