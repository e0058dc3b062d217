/* platform_posix.c: platform.h on Linux and macOS (pthreads, POSIX files, dlopen). */
#define _GNU_SOURCE /* dladdr, O_CLOEXEC, O_DIRECTORY */
#include "core/platform.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- threads ----------------------------------------------------------------------------------- */
struct sl_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
};
struct sl_mutex { pthread_mutex_t m; };
struct sl_cond { pthread_cond_t c; };

static void *thread_main(void *p) {
    sl_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

int sl_thread_start(sl_thread **out, void (*fn)(void *), void *arg) {
    sl_thread *t = malloc(sizeof *t);
    if (!t) return ENOMEM;
    t->fn = fn;
    t->arg = arg;
    int err = pthread_create(&t->id, NULL, thread_main, t);
    if (err) {
        free(t);
        return err;
    }
    *out = t;
    return 0;
}

void sl_thread_join(sl_thread *t) {
    if (!t) return;
    pthread_join(t->id, NULL);
    free(t);
}

void sl_thread_yield(void) { sched_yield(); }

int sl_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

sl_mutex *sl_mutex_new(void) {
    sl_mutex *m = malloc(sizeof *m);
    if (m && pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}
void sl_mutex_free(sl_mutex *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->m);
    free(m);
}
void sl_mutex_lock(sl_mutex *m) { pthread_mutex_lock(&m->m); }
void sl_mutex_unlock(sl_mutex *m) { pthread_mutex_unlock(&m->m); }

sl_cond *sl_cond_new(void) {
    sl_cond *c = malloc(sizeof *c);
    if (c && pthread_cond_init(&c->c, NULL) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}
void sl_cond_free(sl_cond *c) {
    if (!c) return;
    pthread_cond_destroy(&c->c);
    free(c);
}
void sl_cond_wait(sl_cond *c, sl_mutex *m) { pthread_cond_wait(&c->c, &m->m); }
void sl_cond_signal(sl_cond *c) { pthread_cond_signal(&c->c); }

int sl_tls_key_create(sl_tls_key *key, void (*destructor)(void *)) {
    pthread_key_t k;
    int err = pthread_key_create(&k, destructor);
    if (!err) *key = (sl_tls_key)k;
    return err;
}
void sl_tls_set(sl_tls_key key, void *value) { pthread_setspecific((pthread_key_t)key, value); }

/* ---- clocks ------------------------------------------------------------------------------------ */
static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
int64_t sl_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t sl_thread_cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

void sl_sleep_ns(int64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* ---- memory ------------------------------------------------------------------------------------ */
void *sl_aligned_alloc(size_t alignment, size_t bytes) {
    void *p = NULL;
    return posix_memalign(&p, alignment, bytes ? bytes : 1) == 0 ? p : NULL;
}
void sl_aligned_free(void *p) { free(p); }

/* ---- files ------------------------------------------------------------------------------------- */
int sl_file_open_regular(const char *path, FILE **out, uint64_t *size) {
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno;
    struct stat sb;
    int err = 0;
    if (fstat(fd, &sb) != 0) err = errno;
    else if (!S_ISREG(sb.st_mode)) err = S_ISDIR(sb.st_mode) ? EISDIR : ENODEV;
    /* Back to blocking reads for the regular file. */
    if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) err = errno;
    FILE *f = err ? NULL : fdopen(fd, "rb");
    if (!f) {
        if (!err) err = errno;
        close(fd);
        return err;
    }
    *size = (uint64_t)sb.st_size;
    *out = f;
    return 0;
}

int sl_file_create_temp(char *path_template, FILE **out) {
    /* mkstemp: O_EXCL with mode 0600. */
    int fd = mkstemp(path_template);
    if (fd < 0) return errno;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int err = errno;
        close(fd);
        unlink(path_template);
        return err;
    }
    *out = f;
    return 0;
}

int sl_file_sync(FILE *f) {
    if (fflush(f) != 0) return errno;
    return fsync(fileno(f)) != 0 ? errno : 0;
}

int sl_file_replace(const char *from, const char *to) { return rename(from, to) != 0 ? errno : 0; }

int sl_file_sync_parent_dir(const char *path) {
    /* Without this a power cut can forget the new directory entry of a rename. */
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir) return ENOMEM;
    if (!slash) memcpy(dir, ".", 2);
    else if (slash == path) memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
    free(dir);
    if (fd < 0) return errno;
    /* Some file systems cannot fsync a directory (EINVAL); the data itself is already safe. */
    if (fsync(fd) != 0 && errno != EINVAL) err = errno;
    close(fd);
    return err;
}

int sl_file_remove(const char *path) { return unlink(path) != 0 ? errno : 0; }

/* ---- shared libraries -------------------------------------------------------------------------- */
void sl_library_file_name(const char *base, char *out, size_t out_len) {
#if defined(__APPLE__)
    snprintf(out, out_len, "lib%s.dylib", base);
#else
    snprintf(out, out_len, "lib%s.so", base);
#endif
}

void *sl_library_open(const char *path, int *missing, char *why, size_t why_len) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *msg = dlerror();
        snprintf(why, why_len, "%s", msg ? msg : "unknown error");
        /* dlerror says "<path>: cannot open shared object file: No such file or directory". */
        *missing = msg && strstr(msg, "No such file or directory") != NULL;
    } else {
        *missing = 0;
    }
    return h;
}

void *sl_library_symbol(void *library, const char *name) { return dlsym(library, name); }

int sl_module_dir(const void *address, char *out, size_t out_len) {
    Dl_info info;
    if (!dladdr((void *)address, &info) || !info.dli_fname) return ENOENT;
    snprintf(out, out_len, "%s", info.dli_fname);
    char *slash = strrchr(out, '/');
    if (!slash) return ENOENT;
    *slash = '\0';
    return 0;
}
