/* cancel_flag.c: the flag one thread raises to stop a long call running on another (the JS thread
 * cancels a generation or an attention map that a worker thread computes). A C11 atomic: a plain
 * `volatile int` store and load on two threads is a data race in C11, which the compiler may turn
 * into a read that never sees the store. Release on raise, acquire on the check: what the raiser did
 * before raising is visible to the thread that stops. */
#include "seedling.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdlib.h>

struct sl_cancel_flag {
    atomic_int raised;
};

sl_status sl_cancel_flag_create(sl_cancel_flag **out) {
    if (!out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_cancel_flag_create: NULL argument");
    sl_cancel_flag *flag = malloc(sizeof *flag);
    if (!flag) return sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory for a cancel flag");
    atomic_init(&flag->raised, 0);
    *out = flag;
    return SL_OK;
}

void sl_cancel_flag_free(sl_cancel_flag *flag) {
    free(flag);
}

void sl_cancel_flag_set(sl_cancel_flag *flag, int raised) {
    if (flag) atomic_store_explicit(&flag->raised, raised ? 1 : 0, memory_order_release);
}

int sl_cancel_flag_is_set(const sl_cancel_flag *flag) {
    /* atomic_load takes a non-const pointer in C11; the load does not modify the flag. */
    return flag ? atomic_load_explicit((atomic_int *)&flag->raised, memory_order_acquire) != 0 : 0;
}
