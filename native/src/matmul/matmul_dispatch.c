/* matmul_dispatch.c: which matmul kernels run on this CPU.
 *
 * Best available wins (AVX-512 > AVX2+FMA > portable C on x86-64; NEON > portable C on arm64);
 * SEEDLING_KERNEL=generic|avx2|avx512|neon forces a set for comparisons and tests (a set the CPU
 * or build cannot run is ignored). */
#include "matmul/matmul_kernels.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma");
}
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const sl_matmul_kernels *sl_matmul_kernels_named(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "generic") == 0) return &sl_matmul_kernels_generic;
#if defined(__x86_64__) || defined(_M_X64)
    if (strcmp(name, "avx2") == 0 && cpu_has_avx2()) return &sl_matmul_kernels_avx2;
    if (strcmp(name, "avx512") == 0 && cpu_has_avx512()) return &sl_matmul_kernels_avx512;
    if (strcmp(name, "avx512-bf16") == 0 && cpu_has_avx512() && __builtin_cpu_supports("avx512bf16"))
        return &sl_matmul_kernels_avx512_bf16;
#endif
#if defined(__aarch64__)
    /* NEON is part of base AArch64: every arm64 CPU has it, no run-time probe needed. */
    if (strcmp(name, "neon") == 0) return &sl_matmul_kernels_neon;
#endif
    return NULL;
}

static const sl_matmul_kernels *best_kernels(void) {
    const sl_matmul_kernels *forced = sl_matmul_kernels_named(getenv("SEEDLING_KERNEL"));
    if (forced && forced->k_per_slot == 1) return forced;
    static const char *const preference[] = {"avx512", "avx2", "neon", "generic"}; /* fp32 sets only */
    for (size_t i = 0; i < sizeof preference / sizeof *preference; i++) {
        const sl_matmul_kernels *k = sl_matmul_kernels_named(preference[i]);
        if (k) return k;
    }
    return &sl_matmul_kernels_generic;
}

static _Atomic(const sl_matmul_kernels *) active = NULL;

const sl_matmul_kernels *sl_matmul_active_kernels(void) {
    const sl_matmul_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
    if (!k) {
        k = best_kernels(); /* idempotent: racing first calls agree */
        atomic_store_explicit(&active, k, memory_order_release);
    }
    return k;
}

sl_status sl_matmul_use_kernels(const char *name) {
    const sl_matmul_kernels *k = sl_matmul_kernels_named(name);
    if (k && k->k_per_slot != 1)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "matmul kernels '%s' are not fp32 kernels", name);
    if (!k) return sl_fail(SL_ERR_UNSUPPORTED, "matmul kernels '%s' are not available on this CPU/build", name ? name : "(null)");
    atomic_store_explicit(&active, k, memory_order_release);
    return SL_OK;
}

const char *sl_cpu_kernel_name(void) { return sl_matmul_active_kernels()->name; }
