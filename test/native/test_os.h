/* test_os.h: the few OS calls the native tests make and the engine does not (environment
 * variables, a private temp folder, growing a file), on POSIX and on Windows, where the tests run
 * under Wine in CI. Threads, sleeps and clocks come from the engine's own core/platform.h. */
#ifndef SL_TEST_OS_H
#define SL_TEST_OS_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <process.h>

static inline int test_setenv(const char *name, const char *value, int overwrite) {
    if (!overwrite && getenv(name)) return 0;
    return _putenv_s(name, value);
}
static inline int test_unsetenv(const char *name) { return _putenv_s(name, ""); /* "" removes it */ }

/* A new folder under the temp folder, named prefix + a unique suffix, into dir; 0 or errno. */
static inline int test_make_temp_dir(char *dir, size_t cap, const char *prefix) {
    const char *base = getenv("TEMP") ? getenv("TEMP") : ".";
    for (int i = 0; i < 100; i++) {
        snprintf(dir, cap, "%s/%s%d_%d", base, prefix, _getpid(), i);
        if (_mkdir(dir) == 0) return 0;
        if (errno != EEXIST) return errno;
    }
    return EEXIST;
}
static inline int test_remove_dir(const char *dir) { return _rmdir(dir) == 0 ? 0 : errno; }

/* Set a file's length (a longer file reads as zeros past the old end). */
static inline int test_truncate(const char *path, int64_t size) {
    FILE *f = fopen(path, "r+b");
    if (!f) return errno;
    int err = _chsize_s(_fileno(f), size);
    fclose(f);
    return err;
}
#else
#include <sys/stat.h>
#include <unistd.h>

int setenv(const char *name, const char *value, int overwrite); /* POSIX, hidden by strict C11 */
int unsetenv(const char *name);
char *mkdtemp(char *template_path);
int truncate(const char *path, off_t length);

static inline int test_setenv(const char *name, const char *value, int overwrite) {
    return setenv(name, value, overwrite);
}
static inline int test_unsetenv(const char *name) { return unsetenv(name); }

static inline int test_make_temp_dir(char *dir, size_t cap, const char *prefix) {
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, cap, "%s/%sXXXXXX", base, prefix);
    return mkdtemp(dir) ? 0 : errno;
}
static inline int test_remove_dir(const char *dir) { return rmdir(dir) == 0 ? 0 : errno; }

static inline int test_truncate(const char *path, int64_t size) {
    return truncate(path, (off_t)size) == 0 ? 0 : errno;
}
#endif
#endif
