/* error.h: the thread-local "last error" every failing API call leaves behind. */
#ifndef SL_ERROR_H
#define SL_ERROR_H
#include "seedling.h"

/* Record a formatted message for this thread and return status (so: return sl_fail(...);).
 * gnu_printf: the C99 formats (%zu), also on MinGW, whose plain "printf" means msvcrt's. */
sl_status sl_fail(sl_status status, const char *fmt, ...) __attribute__((format(gnu_printf, 2, 3)));

/* Allocation helpers that record SL_ERR_OUT_OF_MEMORY with what was being allocated. Zeroed. */
void *sl_calloc_or_fail(size_t count, size_t size, const char *what);

#endif
