/* platform.h: everything the engine asks of the operating system, in one small interface with
 * one implementation per platform: platform_posix.c (Linux, macOS) and platform_win32.c
 * (Windows). Nothing else in native/src includes an OS header (pthread.h, unistd.h, dlfcn.h,
 * windows.h), so a port is one file, and the rest of the engine is the same C on every platform.
 *
 * Paths are UTF-8 everywhere (what the Node binding passes); the Windows file turns them into
 * wide strings, so a user name with accents in the storage path still works there.
 * Functions that can fail return 0 or an errno value (ENOENT, EACCES, ...), so callers format one
 * kind of message with strerror(). */
#ifndef SL_PLATFORM_H
#define SL_PLATFORM_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- threads ----------------------------------------------------------------------------------- */
typedef struct sl_thread sl_thread;
typedef struct sl_mutex sl_mutex;
typedef struct sl_cond sl_cond;

/* Start fn(arg) on a new thread; 0 or an errno value. */
int sl_thread_start(sl_thread **out, void (*fn)(void *), void *arg);
/* Wait for the thread to finish and free it. */
void sl_thread_join(sl_thread *t);
/* Give the CPU to another runnable thread, if any (returns at once when there is none). */
void sl_thread_yield(void);
/* Online logical CPUs (>= 1). */
int sl_cpu_count(void);

/* A mutex and a condition variable (NULL when out of memory). */
sl_mutex *sl_mutex_new(void);
void sl_mutex_free(sl_mutex *m);
void sl_mutex_lock(sl_mutex *m);
void sl_mutex_unlock(sl_mutex *m);
sl_cond *sl_cond_new(void);
void sl_cond_free(sl_cond *c);
void sl_cond_wait(sl_cond *c, sl_mutex *m); /* may wake spuriously: wait in a loop */
void sl_cond_signal(sl_cond *c);

/* A thread-local slot whose destructor runs with the slot's value when a thread that set it exits
 * (per-thread scratch memory). 0 or an errno value. */
typedef uintptr_t sl_tls_key;
int sl_tls_key_create(sl_tls_key *key, void (*destructor)(void *));
void sl_tls_set(sl_tls_key key, void *value);

/* Run init exactly once across threads; later callers wait until it has returned. Portable C on
 * atomics (no OS call needed), so it lives here: static sl_once o = SL_ONCE_INIT. */
typedef struct { _Atomic int state; } sl_once; /* 0 new, 1 running, 2 done */
#define SL_ONCE_INIT {0}
static inline void sl_call_once(sl_once *once, void (*init)(void)) {
    if (atomic_load_explicit(&once->state, memory_order_acquire) == 2) return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&once->state, &expected, 1)) {
        init();
        atomic_store_explicit(&once->state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&once->state, memory_order_acquire) != 2) sl_thread_yield();
}

/* ---- clocks ------------------------------------------------------------------------------------ */
int64_t sl_monotonic_ns(void);  /* steady wall clock, arbitrary origin */
int64_t sl_thread_cpu_ns(void); /* CPU time the calling thread has used */
void sl_sleep_ns(int64_t ns);

/* ---- memory ------------------------------------------------------------------------------------ */
/* bytes aligned to `alignment` (a power of two, >= sizeof(void *)), or NULL; free with
 * sl_aligned_free (on Windows it is not plain free). */
void *sl_aligned_alloc(size_t alignment, size_t bytes);
void sl_aligned_free(void *p);

/* ---- files ------------------------------------------------------------------------------------- */
/* Open an existing regular file for binary reading: *size gets its length. Fails with EISDIR for a
 * directory and with ENODEV for anything else that is not a regular file (device, FIFO: opening
 * one never blocks waiting for a writer). */
int sl_file_open_regular(const char *path, FILE **out, uint64_t *size);
/* Create and open for binary writing a new file named by `path_template`, whose last six
 * characters "XXXXXX" are replaced (in place) by an unpredictable suffix: exclusively (never an
 * existing file or link), readable by the user only, not inherited by child processes. */
int sl_file_create_temp(char *path_template, FILE **out);
/* Flush f's buffer and the OS's cache of it to the disk (fsync). */
int sl_file_sync(FILE *f);
/* Rename from over to, atomically replacing any file at to. */
int sl_file_replace(const char *from, const char *to);
/* Make a completed sl_file_replace durable (POSIX: fsync the parent directory; a file system that
 * cannot sync directories is not an error). */
int sl_file_sync_parent_dir(const char *path);
int sl_file_remove(const char *path);

/* ---- shared libraries -------------------------------------------------------------------------- */
/* The platform's shared-library file name for a base name: "seedling_cuda" -> libseedling_cuda.so,
 * libseedling_cuda.dylib or seedling_cuda.dll. */
void sl_library_file_name(const char *base, char *out, size_t out_len);
/* Load a shared library; NULL on failure, with the loader's message in why and *missing set when
 * the file simply is not there (said briefly by callers; a library present but broken is not). */
void *sl_library_open(const char *path, int *missing, char *why, size_t why_len);
void *sl_library_symbol(void *library, const char *name);
/* The directory of the module (executable or shared library) holding address; 0 or an errno. */
int sl_module_dir(const void *address, char *out, size_t out_len);
#endif
