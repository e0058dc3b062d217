/* error.c: per-thread error messages and status names. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char last_error[1024];

sl_status sl_fail(sl_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}

const char *sl_last_error(void) { return last_error; }

void *sl_calloc_or_fail(size_t count, size_t size, const char *what) {
    void *p = (count && size) ? calloc(count, size) : calloc(1, 1);
    if (!p) sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory allocating %s (%zu x %zu bytes)", what, count, size);
    return p;
}

const char *sl_status_name(sl_status status) {
    switch (status) {
    case SL_OK: return "ok";
    case SL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SL_ERR_OUT_OF_MEMORY: return "out of memory";
    case SL_ERR_IO: return "i/o error";
    case SL_ERR_CORRUPT: return "corrupt data";
    case SL_ERR_CANCELLED: return "cancelled";
    case SL_ERR_UNSUPPORTED: return "unsupported";
    case SL_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

void sl_free(void *ptr) { free(ptr); }

const char *sl_version(void) { return "0.1.0"; }
