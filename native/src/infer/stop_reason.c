/* stop_reason.c: the one spelling of each sl_stop_reason. The Node binding passes these strings
 * through as stoppedBy, and the TypeScript side matches on them: change one only with both. */
#include "seedling.h"

const char *sl_stop_reason_name(int32_t reason) {
    switch ((sl_stop_reason)reason) {
    case SL_STOP_BUDGET: return "budget";
    case SL_STOP_END_OF_TEXT: return "end-of-text";
    case SL_STOP_STOP_STRING: return "stop";
    case SL_STOP_CANCELLED: return "cancelled";
    case SL_NUM_STOP_REASONS: break;
    }
    return "unknown";
}
