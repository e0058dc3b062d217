/* test_checkpoint_limits.c: a checkpoint path that a workspace or another local user controls
 * cannot make the loader read 10 GB, wait on a FIFO forever, or make a save write through a
 * planted link; saved checkpoints are readable by the user only.
 *
 * alarm() turns a hang into a failure (SIGALRM ends the test with a non-zero status).
 * On Windows (under Wine in CI) the size limit is checked; FIFOs, symbolic links planted by
 * another user and POSIX modes are POSIX matters, and CTest's timeout stands in for alarm(). */
#include "check.h"
#include "core/platform.h"
#include "seedling.h"
#include "test_os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/stat.h>
#include <unistd.h>
#endif

static char tmp_dir[260];

static void path_in_tmp(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", tmp_dir, name); }

static double seconds_since(int64_t start_ns) { return (double)(sl_monotonic_ns() - start_ns) * 1e-9; }

/* Write a small file (a previous file of that name is replaced). */
static int write_small(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(text, 1, strlen(text), f) == strlen(text);
    return fclose(f) == 0 && ok;
}

/* Save a tiny real checkpoint to path. */
static void save_tiny(const char *path) {
    static const sl_config config = {261, 4, 4, 1, 1};
    sl_tokenizer *tok = NULL;
    sl_model *model = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(&tok));
    CHECK_OK(sl_model_create(&config, 7, &model));
    CHECK_OK(sl_checkpoint_save(path, model, tok, NULL));
    sl_model_free(model);
    sl_tokenizer_free(tok);
}

/* Load path, expecting `status` with `needle` in the message, in well under a second. */
static void expect_refused(const char *path, sl_status status, const char *needle) {
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    int64_t start = sl_monotonic_ns();
    sl_status st = sl_checkpoint_load(path, &m, &t, NULL);
    double took = seconds_since(start);
    CHECK(st == status && strstr(sl_last_error(), needle), "%s: %s \"%s\" (wanted %s with \"%s\")", path,
          sl_status_name(st), sl_last_error(), sl_status_name(status), needle);
    CHECK(took < 1.0, "%s: refusing took %.2f s: the body was read first", path, took);
    CHECK(m == NULL && t == NULL, "outputs set after a refused load");
    sl_model_free(m);
    sl_tokenizer_free(t);
}

static void test_huge_files_are_refused_before_their_body(void) {
    char path[300];
    /* A real checkpoint's head, then a sparse 10 GB tail: the header is fine, the size is not. */
    path_in_tmp(path, sizeof path, "huge.ckpt");
    save_tiny(path);
    int err = test_truncate(path, (int64_t)10 << 30);
    CHECK(err == 0, "truncate: %s", strerror(err));
    expect_refused(path, SL_ERR_CORRUPT, "larger than any model");
    remove(path);

    /* Not a checkpoint at all, and 10 GB: the header says so first. */
    path_in_tmp(path, sizeof path, "huge-junk.bin");
    CHECK(write_small(path, "NOTASEEDLINGFILE"), "cannot write %s", path);
    err = test_truncate(path, (int64_t)10 << 30);
    CHECK(err == 0, "truncate: %s", strerror(err));
    expect_refused(path, SL_ERR_CORRUPT, "not a Seedling checkpoint");
    remove(path);
}

#ifndef _WIN32
static void test_a_fifo_does_not_block(void) {
    char path[300];
    path_in_tmp(path, sizeof path, "pipe.ckpt");
    CHECK(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
    expect_refused(path, SL_ERR_IO, "not a regular file");
    unlink(path);
}

static void test_saves_are_private_and_ignore_planted_names(void) {
    char path[300], victim[300], planted[400];
    path_in_tmp(path, sizeof path, "model.ckpt");
    path_in_tmp(victim, sizeof victim, "victim.txt");
    CHECK(write_small(victim, "keep me"), "cannot write the victim");
    /* The name an older engine would have used (pid-based), planted as a link to the victim. */
    snprintf(planted, sizeof planted, "%s.tmp-%ld", path, (long)getpid());
    CHECK(symlink(victim, planted) == 0, "symlink: %s", strerror(errno));
    save_tiny(path);
    struct stat sb;
    CHECK(stat(victim, &sb) == 0 && sb.st_size == 7, "the save wrote through a planted link (victim now %lld bytes)",
          (long long)sb.st_size);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "checkpoint mode %o, wanted 600", sb.st_mode & 0777);
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    CHECK_OK(sl_checkpoint_load(path, &m, &t, NULL));
    sl_model_free(m);
    sl_tokenizer_free(t);
    unlink(planted);
    unlink(victim);
    unlink(path);
}
#endif

int main(void) {
    int err = test_make_temp_dir(tmp_dir, sizeof tmp_dir, "sl_ckpt_limits_");
    if (err) {
        fprintf(stderr, "cannot make a temp folder: %s\n", strerror(err));
        return 1;
    }
#ifndef _WIN32
    alarm(60);
#endif
    test_huge_files_are_refused_before_their_body();
#ifdef _WIN32
    printf("skipped on Windows: FIFOs, planted symbolic links and POSIX file modes\n");
#else
    test_a_fifo_does_not_block();
    test_saves_are_private_and_ignore_planted_names();
#endif
    test_remove_dir(tmp_dir);
    return check_exit_code("test_checkpoint_limits");
}
