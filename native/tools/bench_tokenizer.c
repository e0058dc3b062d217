/* bench_tokenizer.c: how fast the BPE trains and encodes, on files you name.
 *
 *   bench_tokenizer [--vocab N] [--ext .py] [--max-mb M] PATH...
 *
 * PATH is a file or a directory (its regular files, not recursive; --ext filters by suffix).
 * Trains a vocabulary (default 4096) on all of it, then encodes all of it on one thread: once
 * with a fresh cache, then twice more warm. Prints one JSON line:
 *   {"train_bytes", "files", "vocab", "train_s", "encode_cold_mb_per_s", "encode_mb_per_s",
 *    "pretokenize_mb_per_s", "bytes_per_token"}
 * pretokenize_mb_per_s (cutting only, no BPE) is the anchor encoding cannot beat. */
#define _POSIX_C_SOURCE 200809L /* strdup, dirent, clock_gettime */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "seedling.h"

typedef struct {
    char **docs;
    size_t *lens;
    size_t n, cap, total, max_total;
} corpus;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void add_file(corpus *c, const char *path) {
    if (c->total >= c->max_total) return;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0) {
        fclose(f);
        return;
    }
    char *text = malloc((size_t)size);
    size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!got) {
        free(text);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->docs = realloc(c->docs, c->cap * sizeof *c->docs);
        c->lens = realloc(c->lens, c->cap * sizeof *c->lens);
    }
    c->docs[c->n] = text;
    c->lens[c->n++] = got;
    c->total += got;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(corpus *c, const char *path, const char *ext) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench_tokenizer: cannot read %s\n", path);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_file(c, path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(dir))) {
        size_t l = strlen(ent->d_name), el = ext ? strlen(ext) : 0;
        if (ent->d_name[0] == '.' || (ext && (l < el || strcmp(ent->d_name + l - el, ext) != 0)))
            continue;
        if (n == cap) names = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
        names[n++] = strdup(ent->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, compare_names); /* a fixed order: runs are comparable */
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) add_file(c, full);
        free(names[i]);
    }
    free(names);
}

/* Encode every document once; returns seconds, adds the token count. */
static double encode_pass(const sl_tokenizer *tok, const corpus *c, size_t *tokens) {
    double t0 = now_s();
    for (size_t i = 0; i < c->n; i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        if (sl_tokenizer_encode(tok, c->docs[i], c->lens[i], &ids, &n) != SL_OK) {
            fprintf(stderr, "bench_tokenizer: encode failed: %s\n", sl_last_error());
            exit(1);
        }
        *tokens += n;
        sl_free(ids);
    }
    return now_s() - t0;
}

int main(int argc, char **argv) {
    int32_t vocab = 4096;
    const char *ext = NULL;
    corpus c = {.max_total = SIZE_MAX};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc) vocab = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc) ext = argv[++i];
        else if (strcmp(argv[i], "--max-mb") == 0 && i + 1 < argc)
            c.max_total = (size_t)(atof(argv[++i]) * 1e6);
        else add_path(&c, argv[i], ext);
    }
    if (c.n == 0) {
        fprintf(stderr, "usage: bench_tokenizer [--vocab N] [--ext .py] [--max-mb M] PATH...\n");
        return 2;
    }

    sl_tokenizer *tok = NULL;
    double t0 = now_s();
    if (sl_tokenizer_train((const char *const *)c.docs, c.lens, c.n, vocab, &tok) != SL_OK) {
        fprintf(stderr, "bench_tokenizer: training failed: %s\n", sl_last_error());
        return 1;
    }
    double train_s = now_s() - t0;

    size_t tokens = 0, warm_tokens = 0;
    double cold_s = encode_pass(tok, &c, &tokens);
    double warm_s = encode_pass(tok, &c, &warm_tokens) + encode_pass(tok, &c, &warm_tokens);

    t0 = now_s();
    /* sl_pretoken_start walks every cut from the start of the text: on a whole document it
     * times the cutting alone. */
    volatile size_t sink = 0;
    for (size_t i = 0; i < c.n; i++) sink += sl_pretoken_start(c.docs[i], c.lens[i]);
    double cut_s = now_s() - t0;

    double mb = (double)c.total / 1e6;
    printf("{\"train_bytes\":%zu,\"files\":%zu,\"vocab\":%d,\"train_s\":%.3f,"
           "\"encode_cold_mb_per_s\":%.1f,\"encode_mb_per_s\":%.1f,\"pretokenize_mb_per_s\":%.1f,"
           "\"bytes_per_token\":%.3f}\n",
           c.total, c.n, sl_tokenizer_vocab_size(tok), train_s, mb / cold_s, 2 * mb / warm_s,
           cut_s > 0 ? mb / cut_s : 0.0, (double)c.total / (double)tokens);
    sl_tokenizer_free(tok);
    for (size_t i = 0; i < c.n; i++) free(c.docs[i]);
    free(c.docs);
    free(c.lens);
    return 0;
}
