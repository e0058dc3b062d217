/* bench_matmul.c: speed of the matmul kernels on the shapes of the small preset.
 *
 *   bench_matmul [--kernel avx512-bf16|avx512|avx2|generic] [--threads N] [--quick] [--json]
 *
 * Training shapes (N = 2048 rows = batch 4 x 512): qkv 256->768, attproj 256->256, fc 256->1024,
 * fcproj 1024->256, logits 256->4096, forward and backward (dinp + dweight + dbias). Decode shapes:
 * the same weights with N = 1 (one token). "avx512-bf16" is sl_matmul_*_bf16 (training shapes only).
 * One JSON line per (kernel, threads, shape), then a
 * summary line (last) with the matmul time of one small-preset training step and of one decode
 * token, and the machine's measured FMA peak as the anchor for "fast" (same run).
 *
 * Figures are best-of-runs wall time. These machines are shared: *_cpu_gflops divide by the
 * process CPU time per thread instead (roughly what the work would take with the cores to itself;
 * spinning and imbalance still count, but with 2+ threads it overstates when a descheduled
 * worker's share was run by the caller), and the summary prints the load average and a same-run
 * FMA peak, so a busy machine is visible in the numbers rather than mistaken for slow kernels. */
#include "seedling.h"
#include "matmul/matmul.h"
#include "matmul/matmul_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *name;
    int C, OC, has_bias;
    int per_step; /* how many times the small preset runs it per step (layers) */
} shape;

static const shape SHAPES[] = {
    {"qkv", 256, 768, 1, 4},     {"attproj", 256, 256, 1, 4}, {"fc", 256, 1024, 1, 4},
    {"fcproj", 1024, 256, 1, 4}, {"logits", 256, 4096, 0, 1},
};
enum { N_SHAPES = sizeof SHAPES / sizeof *SHAPES, TRAIN_ROWS = 2048 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *random_floats(size_t n, unsigned *seed) {
    float *p = malloc(n * sizeof *p);
    if (!p) { fprintf(stderr, "bench_matmul: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = ((*seed >> 8) / 16777216.0f - 0.5f) * 0.1f;
    }
    return p;
}

typedef struct {
    const sl_matmul_kernels *k;
    const shape *s;
    int N;
    float *inp, *w, *b, *out, *dout, *dinp, *dw, *db;
} case_data;

/* k == NULL: the bf16 entry points. */
static void run_forward(case_data *d) {
    const float *bias = d->s->has_bias ? d->b : NULL;
    if (d->k) sl_matmul_forward_with(d->k, d->out, d->inp, d->w, bias, d->N, d->s->C, d->s->OC);
    else sl_matmul_forward_bf16(d->out, d->inp, d->w, bias, d->N, d->s->C, d->s->OC);
}
static void run_backward(case_data *d) {
    float *dbias = d->s->has_bias ? d->db : NULL;
    if (d->k) sl_matmul_backward_with(d->k, d->dinp, d->dw, dbias, d->dout, d->inp, d->w, d->N, d->s->C, d->s->OC);
    else sl_matmul_backward_bf16(d->dinp, d->dw, dbias, d->dout, d->inp, d->w, d->N, d->s->C, d->s->OC);
}

typedef struct { double wall, cpu; } timing;

/* Best of several runs (these machines are shared: the minimum is the least disturbed). cpu is
 * process CPU seconds divided by the thread count. */
static timing best_time(void (*fn)(case_data *), case_data *d, double budget_s) {
    fn(d); /* warm caches, scratch and pool */
    timing best = {1e30, 1e30};
    double start = now_s();
    int reps = 0, threads = sl_get_threads();
    while (reps < 3 || (now_s() - start < budget_s && reps < 2000)) {
        double t = now_s(), c = cpu_s();
        fn(d);
        t = now_s() - t, c = (cpu_s() - c) / threads;
        if (t < best.wall) best.wall = t;
        if (c < best.cpu) best.cpu = c;
        reps++;
    }
    return best;
}

/* Peak fp32 FMA rate of one core: independent FMA chains, nothing else. */
#if defined(__x86_64__)
/* 8 independent 256-bit FMA chains in registers (asm, so the compiler cannot spill or fold them);
 * Zen 4 and recent Intel cores retire two per cycle, the same rate as one 512-bit FMA. */
static double fma_peak_gflops(void) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0.0;
    const long iters = 30000000;
    __asm__ volatile("vxorps %%ymm1, %%ymm1, %%ymm1\n\tvxorps %%ymm2, %%ymm2, %%ymm2" ::: "xmm1", "xmm2");
    double t = now_s();
    for (long i = 0; i < iters; i++)
        __asm__ volatile("vfmadd231ps %%ymm1, %%ymm2, %%ymm3\n\tvfmadd231ps %%ymm1, %%ymm2, %%ymm4\n\t"
                         "vfmadd231ps %%ymm1, %%ymm2, %%ymm5\n\tvfmadd231ps %%ymm1, %%ymm2, %%ymm6\n\t"
                         "vfmadd231ps %%ymm1, %%ymm2, %%ymm7\n\tvfmadd231ps %%ymm1, %%ymm2, %%ymm8\n\t"
                         "vfmadd231ps %%ymm1, %%ymm2, %%ymm9\n\tvfmadd231ps %%ymm1, %%ymm2, %%ymm10"
                         ::: "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10");
    t = now_s() - t;
    return iters * 8 * 16.0 / t / 1e9;
}
#else
static double fma_peak_gflops(void) { return 0.0; }
#endif

int main(int argc, char **argv) {
    const char *only_kernel = NULL;
    int only_threads = 0, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kernel") && i + 1 < argc) only_kernel = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) only_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--json")) {}
        else { fprintf(stderr, "usage: bench_matmul [--kernel NAME] [--threads N] [--quick] [--json]\n"); return 2; }
    }
    const double budget = quick ? 0.05 : 0.25;
    unsigned seed = 1234;
    const size_t maxN = TRAIN_ROWS, maxC = 1024, maxOC = 4096;
    float *inp = random_floats(maxN * maxC, &seed), *w = random_floats(maxOC * maxC, &seed);
    float *b = random_floats(maxOC, &seed), *dout = random_floats(maxN * maxOC, &seed);
    float *out = random_floats(maxN * maxOC, &seed), *dinp = random_floats(maxN * maxC, &seed);
    float *dw = random_floats(maxOC * maxC, &seed), *db = random_floats(maxOC, &seed);

    double peak1 = fma_peak_gflops();
    const char *kernels[] = {"avx512-bf16", "avx512", "avx2", "generic"};
    const int thread_counts[] = {1, 2};
    double step_ms[2] = {0, 0}, step_cpu_ms[2] = {0, 0}, decode_us[2] = {0, 0};
    double bf16_step_ms[2] = {0, 0};
    const char *summary_kernel = NULL;

    for (size_t ki = 0; ki < 4; ki++) {
        if (only_kernel && strcmp(only_kernel, kernels[ki])) continue;
        const int bf16 = ki == 0;
        const sl_matmul_kernels *k = bf16 ? NULL : sl_matmul_kernels_named(kernels[ki]);
        if (bf16 ? !sl_matmul_bf16_available() : !k) {
            printf("{\"kernel\":\"%s\",\"skipped\":\"not available on this CPU/build\"}\n", kernels[ki]);
            continue;
        }
        int is_summary = !bf16 && summary_kernel == NULL;
        if (is_summary) summary_kernel = k->name;
        for (int ti = 0; ti < 2; ti++) {
            int threads = only_threads ? only_threads : thread_counts[ti];
            if (only_threads && ti) break;
            if (sl_set_threads(threads) != SL_OK) { fprintf(stderr, "%s\n", sl_last_error()); return 1; }
            for (int si = 0; si < N_SHAPES; si++) {
                const shape *s = &SHAPES[si];
                case_data d = {k, s, TRAIN_ROWS, inp, w, b, out, dout, dinp, dw, db};
                timing f = best_time(run_forward, &d, budget);
                timing bw = best_time(run_backward, &d, budget);
                double tf = f.wall, tb = bw.wall;
                double fl = 2.0 * TRAIN_ROWS * s->C * s->OC;
                if (bf16) { /* training shapes only: decode runs the fp32 dot path */
                    printf("{\"kernel\":\"%s\",\"threads\":%d,\"shape\":\"%s\",\"N\":%d,\"C\":%d,\"OC\":%d,"
                           "\"fwd_ms\":%.3f,\"fwd_gflops\":%.1f,\"bwd_ms\":%.3f,\"bwd_gflops\":%.1f,"
                           "\"fwd_cpu_gflops\":%.1f,\"bwd_cpu_gflops\":%.1f}\n",
                           kernels[ki], threads, s->name, TRAIN_ROWS, s->C, s->OC, tf * 1e3, fl / tf / 1e9, tb * 1e3,
                           2 * fl / tb / 1e9, fl / f.cpu / 1e9, 2 * fl / bw.cpu / 1e9);
                    fflush(stdout);
                    if (ti < 2) bf16_step_ms[ti] += s->per_step * (tf + tb) * 1e3;
                    continue;
                }
                case_data d1 = d;
                d1.N = 1;
                timing f1 = best_time(run_forward, &d1, budget / 4);
                double t1 = f1.wall;
                printf("{\"kernel\":\"%s\",\"threads\":%d,\"shape\":\"%s\",\"N\":%d,\"C\":%d,\"OC\":%d,"
                       "\"fwd_ms\":%.3f,\"fwd_gflops\":%.1f,\"bwd_ms\":%.3f,\"bwd_gflops\":%.1f,"
                       "\"fwd_cpu_gflops\":%.1f,\"bwd_cpu_gflops\":%.1f,"
                       "\"decode_us\":%.2f,\"decode_gbps\":%.1f,\"decode_cpu_us\":%.2f}\n",
                       k->name, threads, s->name, TRAIN_ROWS, s->C, s->OC, tf * 1e3, fl / tf / 1e9, tb * 1e3,
                       2 * fl / tb / 1e9, fl / f.cpu / 1e9, 2 * fl / bw.cpu / 1e9, t1 * 1e6,
                       (double)s->C * s->OC * 4 / t1 / 1e9, f1.cpu * 1e6);
                fflush(stdout);
                if (is_summary && ti < 2) {
                    step_ms[ti] += s->per_step * (tf + tb) * 1e3;
                    step_cpu_ms[ti] += s->per_step * (f.cpu + bw.cpu) * 1e3;
                    decode_us[ti] += s->per_step * t1 * 1e6;
                }
            }
        }
    }
    /* Reference sanity (one shape, single thread): how far the naive loops are behind. */
    double ref_gflops = 0;
    if (!quick) {
        const shape *s = &SHAPES[1];
        double t = now_s();
        sl_matmul_forward_reference(out, inp, w, b, 512, s->C, s->OC);
        t = now_s() - t;
        ref_gflops = 2.0 * 512 * s->C * s->OC / t / 1e9;
    }
    double step_flops = 0;
    for (int si = 0; si < N_SHAPES; si++) step_flops += SHAPES[si].per_step * 6.0 * TRAIN_ROWS * SHAPES[si].C * SHAPES[si].OC;
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    printf("{\"bench\":\"matmul\",\"kernel\":\"%s\",\"fma_peak_gflops_per_core\":%.1f,\"load_avg_1m\":%.2f,"
           "\"train_step_matmul_ms_1t\":%.2f,\"train_step_matmul_ms_2t\":%.2f,"
           "\"train_step_gflops_1t\":%.1f,\"train_step_gflops_2t\":%.1f,"
           "\"train_step_cpu_gflops_1t\":%.1f,\"train_step_cpu_gflops_2t\":%.1f,"
           "\"matmul_only_tokens_per_s_2t\":%.0f,\"decode_token_matmul_us_1t\":%.1f,"
           "\"decode_token_matmul_us_2t\":%.1f,\"bf16_train_step_matmul_ms_1t\":%.2f,"
           "\"bf16_train_step_matmul_ms_2t\":%.2f,\"reference_fwd_gflops\":%.2f}\n",
           summary_kernel ? summary_kernel : "none", peak1, load, step_ms[0], step_ms[1],
           step_ms[0] > 0 ? step_flops / step_ms[0] / 1e6 : 0, step_ms[1] > 0 ? step_flops / step_ms[1] / 1e6 : 0,
           step_cpu_ms[0] > 0 ? step_flops / step_cpu_ms[0] / 1e6 : 0,
           step_cpu_ms[1] > 0 ? step_flops / step_cpu_ms[1] / 1e6 : 0,
           step_ms[1] > 0 ? TRAIN_ROWS / (step_ms[1] / 1e3) : 0, decode_us[0], decode_us[1], bf16_step_ms[0],
           bf16_step_ms[1], ref_gflops);
    free(inp); free(w); free(b); free(dout); free(out); free(dinp); free(dw); free(db);
    sl_set_threads(1);
    return 0;
}
