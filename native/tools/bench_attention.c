/* bench_attention.c: speed of the training attention kernels on one layer of the small preset
 * (batch 4 x 512 tokens, 4 heads of 64), forward and backward.
 *
 *   bench_attention [--threads N] [--batch B] [--seq-len T] [--reps R]
 *
 * Compares the reference that keeps the [B, NH, T, T] probabilities (attention.c) with the fused
 * kernels (attention_flash.c) in fp32 and, where the CPU has AVX512-BF16, bf16. Per kernel: the
 * best of R runs of the process CPU time divided by the thread count (this machine is shared:
 * CPU time is what the work costs when it runs, wall time adds whatever else the cores were doing)
 * and the wall time, and GFLOP/s on the causal multiply-adds (2 x B x NH x T(T+1)/2 x hs per
 * product; the forward has 2 products, the backward 4, the fused backward recomputes a 5th that is
 * not counted). One line per kernel, then the 1-minute load average. */
#include "seedling.h"
#include "model/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    float *qkv, *dout, *out, *att, *lse, *dqkv;
    int B, T, C, NH;
} buffers;

static void run(const buffers *b, int kernel, int backward) {
    if (kernel == 0) {
        if (!backward) sl_attention_forward(b->out, b->att, b->qkv, b->B, b->T, b->C, b->NH);
        else {
            memset(b->dqkv, 0, sizeof(float) * (size_t)b->B * b->T * 3 * b->C); /* it accumulates */
            sl_attention_backward(b->dqkv, b->dout, b->qkv, b->att, b->B, b->T, b->C, b->NH);
        }
    } else {
        int bf16 = kernel == 2;
        if (!backward) sl_attention_flash_forward(b->out, b->lse, b->qkv, b->B, b->T, b->C, b->NH, bf16);
        else sl_attention_flash_backward(b->dqkv, b->dout, b->qkv, b->out, b->lse, b->B, b->T, b->C, b->NH, bf16);
    }
}

int main(int argc, char **argv) {
    int threads = 1, B = 4, T = 512, C = 256, NH = 4, reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) B = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seq-len")) T = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    }
    if (sl_set_threads(threads) != SL_OK) return 1;
    buffers b = {.B = B, .T = T, .C = C, .NH = NH};
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
    b.qkv = malloc(n_qkv * sizeof(float));
    b.dqkv = malloc(n_qkv * sizeof(float));
    b.dout = malloc(n_out * sizeof(float));
    b.out = malloc(n_out * sizeof(float));
    b.att = malloc((size_t)B * NH * T * T * sizeof(float));
    b.lse = malloc((size_t)B * NH * T * sizeof(float));
    if (!b.qkv || !b.dqkv || !b.dout || !b.out || !b.att || !b.lse) return 1;
    unsigned seed = 1;
    for (size_t i = 0; i < n_qkv; i++) b.qkv[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
    for (size_t i = 0; i < n_out; i++) b.dout[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;

    double macs = (double)B * NH * T * (T + 1) / 2.0 * (C / NH);
    const char *names[] = {"reference", "flash-fp32", "flash-bf16"};
    for (int kernel = 0; kernel < 3; kernel++) {
        if (kernel == 2) { /* bf16 falls back to fp32 without AVX512-BF16: say so instead of timing it twice */
#if defined(__x86_64__) && defined(__GNUC__)
            __builtin_cpu_init();
            if (!__builtin_cpu_supports("avx512bf16")) break;
#else
            break;
#endif
        }
        for (int backward = 0; backward < 2; backward++) {
            double best_cpu = 1e30, best_wall = 1e30;
            for (int r = 0; r < reps; r++) {
                if (backward) run(&b, kernel, 0); /* the backward reads this forward's state */
                double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
                run(&b, kernel, backward);
                double c = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / threads, w = clock_s(CLOCK_MONOTONIC) - w0;
                if (c < best_cpu) best_cpu = c;
                if (w < best_wall) best_wall = w;
            }
            double flops = 2.0 * macs * (backward ? 4 : 2);
            printf("{\"kernel\":\"%s\",\"pass\":\"%s\",\"threads\":%d,\"B\":%d,\"T\":%d,\"cpu_ms\":%.2f,\"wall_ms\":%.2f,"
                   "\"cpu_gflops\":%.1f}\n",
                   names[kernel], backward ? "backward" : "forward", threads, B, T, best_cpu * 1e3, best_wall * 1e3,
                   flops / best_cpu * 1e-9);
        }
    }
    double load = 0.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = 0.0;
        fclose(f);
    }
    printf("{\"load_avg_1m\":%.2f}\n", load);
    free(b.qkv), free(b.dqkv), free(b.dout), free(b.out), free(b.att), free(b.lse);
    return 0;
}
