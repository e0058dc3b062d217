/* profile.c: see profile.h. The accumulators are process-wide and touched only by the thread
 * that drives training (parallel regions are timed from outside), so plain doubles suffice. */
#include "core/profile.h"
#include "core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int enabled = -1; /* 0 off, 1 wall clock, 2 the calling thread's CPU clock */
static int64_t total_ns[SL_PROF_COUNT];
static int64_t steps;

static const char *const names[SL_PROF_COUNT] = {
    "embedding", "layernorm", "matmul_fwd", "matmul_bwd", "lm_head_fwd", "lm_head_bwd",
    "attention_fwd", "attention_bwd", "gelu", "residual", "softmax_ce", "zero_grad",
    "grad_norm", "adamw", "data"};

int sl_profile_enabled(void) {
    if (enabled < 0) {
        const char *s = getenv("SEEDLING_PROFILE");
        enabled = !s ? 0 : strcmp(s, "1") == 0 ? 1 : strcmp(s, "cpu") == 0 ? 2 : 0;
    }
    return enabled;
}

int64_t sl_profile_start(void) {
    if (!sl_profile_enabled()) return 0;
    return enabled == 2 ? sl_thread_cpu_ns() : sl_monotonic_ns();
}

void sl_profile_stop(sl_profile_op op, int64_t start) {
    if (!enabled || op < 0 || op >= SL_PROF_COUNT) return;
    total_ns[op] += sl_profile_start() - start;
}

void sl_profile_step(void) {
    if (sl_profile_enabled()) steps++;
}

void sl_profile_report(void) {
    if (!sl_profile_enabled() || steps == 0) return;
    int64_t sum = 0;
    for (int i = 0; i < SL_PROF_COUNT; i++) sum += total_ns[i];
    fprintf(stderr, "seedling profile (%s): %lld steps, %.2f ms/step in timed ops\n",
            enabled == 2 ? "calling thread's CPU time" : "wall time", (long long)steps, sum / 1e6 / steps);
    for (int i = 0; i < SL_PROF_COUNT; i++) {
        if (!total_ns[i]) continue;
        fprintf(stderr, "  %-14s %9.2f ms/step %5.1f%%\n", names[i], total_ns[i] / 1e6 / steps,
                sum ? 100.0 * total_ns[i] / sum : 0.0);
    }
    sl_profile_reset();
}

void sl_profile_reset(void) {
    memset(total_ns, 0, sizeof total_ns);
    steps = 0;
}
