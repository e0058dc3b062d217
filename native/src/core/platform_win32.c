/* platform_win32.c: platform.h on Windows (Win32 threads and synchronisation, wide-character file
 * APIs, LoadLibrary). Built with MinGW-w64 here (and checked under Wine); written against the
 * documented Win32 API, so MSVC and clang-cl build it as well. */
#define _CRT_RAND_S /* rand_s: the temp file suffix */
#define WIN32_LEAN_AND_MEAN
#include "core/platform.h"

#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <malloc.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- threads ----------------------------------------------------------------------------------- */
struct sl_thread {
    HANDLE handle;
    void (*fn)(void *);
    void *arg;
};
struct sl_mutex { SRWLOCK lock; };
struct sl_cond { CONDITION_VARIABLE cv; };

/* _beginthreadex, not CreateThread: the C runtime sets up its per-thread state (errno, stdio). */
static unsigned __stdcall thread_main(void *p) {
    sl_thread *t = p;
    t->fn(t->arg);
    return 0;
}

int sl_thread_start(sl_thread **out, void (*fn)(void *), void *arg) {
    sl_thread *t = malloc(sizeof *t);
    if (!t) return ENOMEM;
    t->fn = fn;
    t->arg = arg;
    uintptr_t h = _beginthreadex(NULL, 0, thread_main, t, 0, NULL);
    if (!h) {
        int err = errno ? errno : EAGAIN;
        free(t);
        return err;
    }
    t->handle = (HANDLE)h;
    *out = t;
    return 0;
}

void sl_thread_join(sl_thread *t) {
    if (!t) return;
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
    free(t);
}

void sl_thread_yield(void) { SwitchToThread(); }

int sl_cpu_count(void) {
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n > 0 ? (int)n : 1;
}

sl_mutex *sl_mutex_new(void) {
    sl_mutex *m = malloc(sizeof *m);
    if (m) InitializeSRWLock(&m->lock);
    return m;
}
void sl_mutex_free(sl_mutex *m) { free(m); } /* an SRW lock holds no resources */
void sl_mutex_lock(sl_mutex *m) { AcquireSRWLockExclusive(&m->lock); }
void sl_mutex_unlock(sl_mutex *m) { ReleaseSRWLockExclusive(&m->lock); }

sl_cond *sl_cond_new(void) {
    sl_cond *c = malloc(sizeof *c);
    if (c) InitializeConditionVariable(&c->cv);
    return c;
}
void sl_cond_free(sl_cond *c) { free(c); }
void sl_cond_wait(sl_cond *c, sl_mutex *m) { SleepConditionVariableSRW(&c->cv, &m->lock, INFINITE, 0); }
void sl_cond_signal(sl_cond *c) { WakeConditionVariable(&c->cv); }

/* Fiber-local storage: unlike TlsAlloc it calls a destructor when a thread exits. The callback
 * type is NTAPI (__stdcall), which x64 and arm64 Windows ignore: there is one calling convention. */
int sl_tls_key_create(sl_tls_key *key, void (*destructor)(void *)) {
    DWORD index = FlsAlloc((PFLS_CALLBACK_FUNCTION)(void *)destructor);
    if (index == FLS_OUT_OF_INDEXES) return EAGAIN;
    *key = (sl_tls_key)index;
    return 0;
}
void sl_tls_set(sl_tls_key key, void *value) { FlsSetValue((DWORD)key, value); }

/* ---- clocks ------------------------------------------------------------------------------------ */
int64_t sl_monotonic_ns(void) {
    static LARGE_INTEGER freq; /* fixed at boot; a racing first call writes the same value */
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    /* seconds and remainder apart, so the multiplication cannot overflow */
    return (int64_t)(now.QuadPart / freq.QuadPart) * 1000000000 +
           (int64_t)(now.QuadPart % freq.QuadPart) * 1000000000 / freq.QuadPart;
}

int64_t sl_thread_cpu_ns(void) {
    FILETIME created, exited, kernel, user;
    if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user)) return 0;
    uint64_t k = ((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    uint64_t u = ((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (int64_t)(k + u) * 100; /* 100 ns units */
}

void sl_sleep_ns(int64_t ns) { Sleep((DWORD)((ns + 999999) / 1000000)); }

/* ---- memory ------------------------------------------------------------------------------------ */
void *sl_aligned_alloc(size_t alignment, size_t bytes) { return _aligned_malloc(bytes ? bytes : 1, alignment); }
void sl_aligned_free(void *p) { _aligned_free(p); }

/* ---- files ------------------------------------------------------------------------------------- */
/* A UTF-8 path as a wide string (malloc'd), or NULL with *err set. */
static wchar_t *wide_path(const char *path, int *err) {
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    if (n <= 0) {
        *err = EINVAL; /* not valid UTF-8 */
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (!w) {
        *err = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
    return w;
}

static int errno_of(DWORD error) {
    switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_MOD_NOT_FOUND:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return ENOSPC;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
        return EEXIST;
    default:
        return EIO;
    }
}

int sl_file_open_regular(const char *path, FILE **out, uint64_t *size) {
    int err = 0;
    wchar_t *w = wide_path(path, &err);
    if (!w) return err;
    /* _wfopen cannot open a directory at all (EACCES): say what it is instead. */
    DWORD attrs = GetFileAttributesW(w);
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        free(w);
        return EISDIR;
    }
    FILE *f = _wfopen(w, L"rbN"); /* N: not inherited by child processes */
    if (!f) err = errno ? errno : EIO;
    free(w);
    if (!f) return err;
    struct _stat64 sb;
    if (_fstat64(_fileno(f), &sb) != 0) err = errno;
    else if (!(sb.st_mode & _S_IFREG)) err = ENODEV; /* a device such as NUL or CON */
    if (err) {
        fclose(f);
        return err;
    }
    *size = (uint64_t)sb.st_size;
    *out = f;
    return 0;
}

int sl_file_create_temp(char *path_template, FILE **out) {
    size_t len = strlen(path_template);
    if (len < 6 || strcmp(path_template + len - 6, "XXXXXX") != 0) return EINVAL;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        for (int i = 0; i < 6; i++) {
            unsigned r = 0;
            if (rand_s(&r) != 0) return EIO;
            path_template[len - 6 + i] = alphabet[r % (sizeof alphabet - 1)];
        }
        int err = 0;
        wchar_t *w = wide_path(path_template, &err);
        if (!w) return err;
        /* _O_EXCL: never an existing file or link. The file inherits its folder's access list,
         * which under the user's profile (where VS Code keeps extension storage) is the user's
         * alone: Windows' counterpart of POSIX mode 0600. */
        int fd = _wopen(w, _O_CREAT | _O_EXCL | _O_WRONLY | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
        err = errno;
        free(w);
        if (fd < 0 && err == EEXIST) continue;
        if (fd < 0) return err;
        FILE *f = _fdopen(fd, "wb");
        if (!f) {
            err = errno;
            _close(fd);
            sl_file_remove(path_template);
            return err;
        }
        *out = f;
        return 0;
    }
    return EEXIST;
}

int sl_file_sync(FILE *f) {
    if (fflush(f) != 0) return errno;
    /* _commit is FlushFileBuffers on the file's handle. */
    return _commit(_fileno(f)) != 0 ? errno : 0;
}

int sl_file_replace(const char *from, const char *to) {
    int err = 0;
    wchar_t *wf = wide_path(from, &err), *wt = wf ? wide_path(to, &err) : NULL;
    /* WRITE_THROUGH: returns once the rename is on the disk, so the POSIX directory fsync has
     * nothing left to do here. */
    if (wf && wt && !MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        err = errno_of(GetLastError());
    free(wf);
    free(wt);
    return err;
}

int sl_file_sync_parent_dir(const char *path) {
    (void)path; /* NTFS journals the rename, and sl_file_replace waited for it (WRITE_THROUGH) */
    return 0;
}

int sl_file_remove(const char *path) {
    int err = 0;
    wchar_t *w = wide_path(path, &err);
    if (!w) return err;
    if (_wunlink(w) != 0) err = errno;
    free(w);
    return err;
}

/* ---- shared libraries -------------------------------------------------------------------------- */
void sl_library_file_name(const char *base, char *out, size_t out_len) { snprintf(out, out_len, "%s.dll", base); }

void *sl_library_open(const char *path, int *missing, char *why, size_t why_len) {
    int err = 0;
    *missing = 0;
    wchar_t *w = wide_path(path, &err);
    if (!w) {
        snprintf(why, why_len, "%s: %s", path, strerror(err));
        return NULL;
    }
    /* No error dialog box for a file that is not a library: a message is enough. */
    DWORD old_mode = 0;
    SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, &old_mode);
    HMODULE h = LoadLibraryExW(w, NULL, 0);
    DWORD error = GetLastError();
    SetThreadErrorMode(old_mode, NULL);
    free(w);
    if (!h) {
        char msg[512] = "";
        FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error, 0, msg,
                       sizeof msg, NULL);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' ')) msg[--n] = '\0';
        snprintf(why, why_len, "%s: %s (error %lu)", path, n ? msg : "cannot load", (unsigned long)error);
        *missing = error == ERROR_MOD_NOT_FOUND || error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
    }
    return h;
}

void *sl_library_symbol(void *library, const char *name) {
    FARPROC f = GetProcAddress((HMODULE)library, name);
    void *p;
    memcpy(&p, &f, sizeof p); /* a function pointer as data, without a cast warning */
    return p;
}

int sl_module_dir(const void *address, char *out, size_t out_len) {
    HMODULE h = NULL;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)address, &h))
        return ENOENT;
    wchar_t w[4096];
    DWORD n = GetModuleFileNameW(h, w, sizeof w / sizeof *w);
    if (n == 0 || n >= sizeof w / sizeof *w) return ENAMETOOLONG;
    if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)out_len, NULL, NULL)) return ENAMETOOLONG;
    char *slash = strrchr(out, '\\'), *fwd = strrchr(out, '/');
    if (fwd > slash) slash = fwd;
    if (!slash) return ENOENT;
    *slash = '\0';
    return 0;
}
