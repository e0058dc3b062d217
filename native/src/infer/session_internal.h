/* session_internal.h: session settings the public API does not expose (tests and benchmarks). */
#ifndef SL_SESSION_INTERNAL_H
#define SL_SESSION_INTERNAL_H
#include "seedling.h"

/* Whether few-row matrix products (decode steps, short prompt tails, the logits) read
 * half-precision copies of the weights (the default where the CPU converts halves fast) or the
 * model's fp32 weights (bit-for-bit the math of the training forward, up to summation order).
 * Drops the cache. */
sl_status sl_session_set_half_weights(sl_session *session, int enabled);
/* Whether the session currently uses half-precision weights. */
int sl_session_half_weights(const sl_session *session);
#endif
