/* check.h: the few assertions the native tests need. A failed CHECK prints where and why and
 * marks the test failed; the test's main returns check_exit_code() so CTest sees it. */
#ifndef SL_TEST_CHECK_H
#define SL_TEST_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_failures = 0;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            check_failures++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fprintf(stderr, "\n");                                                                \
        }                                                                                         \
    } while (0)

/* An engine call that must succeed; prints sl_last_error() if not. */
#define CHECK_OK(call)                                                                            \
    do {                                                                                          \
        sl_status check_status_ = (call);                                                         \
        CHECK(check_status_ == SL_OK, "%s -> %s: %s", #call, sl_status_name(check_status_),        \
              sl_last_error());                                                                   \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                     \
    CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%s = %.9g, %s = %.9g, tolerance %.3g", #a,   \
          (double)(a), #b, (double)(b), (double)(tol))

static inline int check_exit_code(const char *name) {
    if (check_failures) fprintf(stderr, "%s: %d check(s) FAILED\n", name, check_failures);
    else printf("%s: all checks passed\n", name);
    return check_failures ? 1 : 0;
}
#endif
