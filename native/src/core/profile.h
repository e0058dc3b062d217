/* profile.h: a per-operation time breakdown of training, for finding hot spots without perf.
 * Off unless the environment has SEEDLING_PROFILE=1 (wall time) or SEEDLING_PROFILE=cpu (the
 * calling thread's CPU time: on a shared, overloaded machine it leaves out the time the thread
 * was descheduled; the caller takes part in every parallel region and spins while it waits, so
 * it still tracks the op's duration). The model and trainer time each op and sl_profile_report()
 * (called when a trainer is freed) prints ms per step to stderr. */
#ifndef SL_PROFILE_H
#define SL_PROFILE_H
#include <stdint.h>

typedef enum {
    SL_PROF_EMBEDDING,
    SL_PROF_LAYERNORM,
    SL_PROF_MATMUL_FWD,
    SL_PROF_MATMUL_BWD,
    SL_PROF_LM_HEAD_FWD, /* the [N, C] x [V, C]^T logits matmul */
    SL_PROF_LM_HEAD_BWD,
    SL_PROF_ATTENTION_FWD,
    SL_PROF_ATTENTION_BWD,
    SL_PROF_GELU,
    SL_PROF_RESIDUAL,
    SL_PROF_SOFTMAX_CE,
    SL_PROF_ZERO_GRAD,
    SL_PROF_GRAD_NORM,
    SL_PROF_ADAMW,
    SL_PROF_DATA,
    SL_PROF_COUNT
} sl_profile_op;

/* Nonzero when SEEDLING_PROFILE is 1 or cpu (read once). */
int sl_profile_enabled(void);
/* Monotonic nanoseconds (0 when profiling is off, so callers pay one branch). */
int64_t sl_profile_start(void);
/* Charge the time since start to op. */
void sl_profile_stop(sl_profile_op op, int64_t start);
/* Count one optimizer step (the report divides by it). */
void sl_profile_step(void);
/* Print the breakdown so far to stderr and reset it. */
void sl_profile_report(void);
/* Forget what was measured so far (benchmarks drop their warm-up steps). */
void sl_profile_reset(void);
#endif
