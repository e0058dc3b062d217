/* test_stop_reason: every way a generation ends has its own non-empty name, and the names are
 * exactly the strings the Node binding reports as stoppedBy (the TypeScript side has a test that
 * expects the same list). */
#include "check.h"
#include "seedling.h"

#include <string.h>

int main(void) {
    static const char *const expected[] = {"budget", "end-of-text", "stop", "cancelled"};
    const int n = (int)(sizeof expected / sizeof expected[0]);
    CHECK(SL_NUM_STOP_REASONS == n, "%d stop reasons, %d names expected", (int)SL_NUM_STOP_REASONS, n);
    CHECK(SL_STOP_BUDGET == 0 && SL_STOP_END_OF_TEXT == 1 && SL_STOP_STOP_STRING == 2 && SL_STOP_CANCELLED == 3,
          "the stopped_by numbers changed");
    for (int i = 0; i < SL_NUM_STOP_REASONS; i++) {
        const char *name = sl_stop_reason_name(i);
        CHECK(name && *name, "reason %d has no name", i);
        if (!name) continue;
        CHECK(i < n && strcmp(name, expected[i]) == 0, "reason %d is '%s', expected '%s'", i, name, i < n ? expected[i] : "?");
        for (int j = 0; j < i; j++) CHECK(strcmp(name, sl_stop_reason_name(j)) != 0, "reasons %d and %d share '%s'", j, i, name);
    }
    CHECK(strcmp(sl_stop_reason_name(-1), "unknown") == 0, "-1: %s", sl_stop_reason_name(-1));
    CHECK(strcmp(sl_stop_reason_name(SL_NUM_STOP_REASONS), "unknown") == 0, "past the end: %s",
          sl_stop_reason_name(SL_NUM_STOP_REASONS));
    return check_exit_code("test_stop_reason");
}
