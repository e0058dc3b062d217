/* test_tokenizer.c: the byte-level BPE tokenizer. Round trips on arbitrary bytes and on real
 * source files, encoding checked against a naive BPE written here from the public blob format,
 * pre-token cuts on hand-picked cases, determinism, and hostile blobs (run it under
 * -DSL_SANITIZE=ON too). Runs from the repository root (CTest's working directory). */
#define _POSIX_C_SOURCE 200809L /* strdup, dirent, clock_gettime */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/platform.h"
#include "core/rng.h"
#include "seedling.h"

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct {
    char **docs;
    size_t *lens;
    size_t n;
    size_t total;
} corpus;

static void corpus_add(corpus *c, char *text, size_t len) {
    c->docs = realloc(c->docs, (c->n + 1) * sizeof *c->docs);
    c->lens = realloc(c->lens, (c->n + 1) * sizeof *c->lens);
    c->docs[c->n] = text;
    c->lens[c->n++] = len;
    c->total += len;
}

/* The engine's own sources (.c and .h files in native/src's concern folders: core, tokenizer, ...),
 * sorted by path so training sees them in a fixed order (readdir's order is not). */
static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the .c and .h files of dir (and, when depth > 0, of its subfolders) to names. */
static void collect_sources(const char *dir, int depth, char **names, size_t *n_names, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d)) && *n_names < cap) {
        const char *name = ent->d_name;
        size_t l = strlen(name);
        if (name[0] == '.') continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (l > 2 && (strcmp(name + l - 2, ".c") == 0 || strcmp(name + l - 2, ".h") == 0)) {
            names[(*n_names)++] = strdup(path);
        } else if (depth > 0 && !strchr(name, '.')) {
            collect_sources(path, depth - 1, names, n_names, cap); /* a folder (or a file opendir refuses) */
        }
    }
    closedir(d);
}

static corpus load_sources(void) {
    corpus c = {0};
    char *names[1024];
    size_t n_names = 0;
    collect_sources("native/src", 1, names, &n_names, 1024);
    qsort(names, n_names, sizeof *names, compare_names);
    for (size_t i = 0; i < n_names; i++) {
        FILE *f = fopen(names[i], "rb");
        free(names[i]);
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *text = malloc(size > 0 ? (size_t)size : 1);
        size_t got = size > 0 ? fread(text, 1, (size_t)size, f) : 0;
        fclose(f);
        corpus_add(&c, text, got);
    }
    return c;
}

static void corpus_free(corpus *c) {
    for (size_t i = 0; i < c->n; i++) free(c->docs[i]);
    free(c->docs);
    free(c->lens);
}

/* Encode then decode; CHECK the bytes come back. Returns the token count. */
static size_t round_trip(const sl_tokenizer *tok, const char *text, size_t len, const char *what) {
    int32_t *ids = NULL;
    size_t n = 0;
    sl_status st = sl_tokenizer_encode(tok, text, len, &ids, &n);
    CHECK(st == SL_OK, "encode %s: %s", what, sl_last_error());
    if (st != SL_OK) return 0;
    CHECK(n <= len, "%s: %zu tokens for %zu bytes", what, n, len);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= 256 && ids[i] < SL_NUM_BYTE_AND_SPECIAL_TOKENS) {
            CHECK(0, "%s: special id %d produced at %zu", what, ids[i], i);
            break;
        }
    }
    char *back = NULL;
    size_t back_len = 0;
    CHECK_OK(sl_tokenizer_decode(tok, ids, n, &back, &back_len));
    CHECK(back && back_len == len && memcmp(back, text, len) == 0 && back[back_len] == '\0',
          "%s: round trip of %zu bytes gave %zu bytes", what, len, back_len);
    sl_free(back);
    sl_free(ids);
    return n;
}

static char *random_bytes(sl_rng *rng, size_t len) {
    char *s = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) s[i] = (char)sl_rng_below(rng, 256);
    return s;
}

/* ---- a naive BPE from the blob, to check encode against --------------------------------- */

typedef struct {
    int32_t (*merges)[2];
    int32_t n_merges;
} naive_bpe;

static naive_bpe naive_from_blob(const uint8_t *blob, size_t len) {
    naive_bpe nb = {0};
    nb.n_merges = (int32_t)((len - 16) / 8);
    nb.merges = malloc((size_t)(nb.n_merges ? nb.n_merges : 1) * sizeof *nb.merges);
    for (int32_t k = 0; k < 2 * nb.n_merges; k++) {
        const uint8_t *p = blob + 16 + 4 * (size_t)k;
        nb.merges[k / 2][k % 2] = (int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
    }
    return nb;
}

static int32_t naive_rank(const naive_bpe *nb, int32_t a, int32_t b) {
    for (int32_t k = 0; k < nb->n_merges; k++)
        if (nb->merges[k][0] == a && nb->merges[k][1] == b) return k;
    return -1;
}

/* Encode one pre-token: merge the lowest-ranked pair (leftmost of equals) until none applies. */
static size_t naive_encode_piece(const naive_bpe *nb, const uint8_t *s, size_t n, int32_t *out) {
    size_t m = n;
    for (size_t i = 0; i < n; i++) out[i] = s[i];
    for (;;) {
        int32_t best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            int32_t r = naive_rank(nb, out[i], out[i + 1]);
            if (r >= 0 && (best < 0 || r < best)) best = r, at = i;
        }
        if (best < 0) return m;
        out[at] = SL_NUM_BYTE_AND_SPECIAL_TOKENS + best;
        memmove(out + at + 1, out + at + 2, (m - at - 2) * sizeof *out);
        m--;
    }
}

/* Encode text by cutting it into pre-tokens from the end with sl_pretoken_start. */
static size_t naive_encode(const naive_bpe *nb, const char *text, size_t len, int32_t *out) {
    size_t n = 0, end = len;
    int32_t *piece = malloc((len ? len : 1) * sizeof *piece);
    while (end > 0) {
        size_t start = sl_pretoken_start(text, end);
        size_t m = naive_encode_piece(nb, (const uint8_t *)text + start, end - start, piece);
        memmove(out + m, out, n * sizeof *out); /* prepend */
        memcpy(out, piece, m * sizeof *out);
        n += m;
        end = start;
    }
    free(piece);
    return n;
}

static void check_against_naive(const sl_tokenizer *tok, const naive_bpe *nb, const char *text,
                                size_t len, const char *what) {
    int32_t *ids = NULL, *expect = malloc((len ? len : 1) * sizeof *expect);
    size_t n = 0;
    CHECK_OK(sl_tokenizer_encode(tok, text, len, &ids, &n));
    size_t m = naive_encode(nb, text, len, expect);
    int same = ids && n == m && memcmp(ids, expect, n * sizeof *ids) == 0;
    CHECK(same, "%s: encode gave %zu tokens, naive BPE %zu (or different ids)", what, n, m);
    sl_free(ids);
    free(expect);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_pretoken_start(void) {
    struct { const char *text; size_t len; size_t expect; } cases[] = {
        {"foo.bar", 7, 4},            /* punct cuts the word; "bar" has no space to take */
        {"x = 12345", 9, 7},          /* " 123" then "45" */
        {"    ret", 7, 3},            /* "   " + " ret" */
        {"a  ", 3, 1},                /* trailing spaces stay one run */
        {"", 0, 0},
        {"x", 1, 0},
        {"\n    return", 11, 4},      /* "\n   " + " return" */
        {"\n\t\tfoo", 6, 3},          /* tabs never attach */
        {"foo()", 5, 3},
        {"a == b", 6, 4},
        {"x = naïve", 10, 3},         /* UTF-8 letters stay in the word: " naïve" */
        {"日本語", 9, 0},
        {"a+\xff\xfe", 4, 2},         /* invalid UTF-8 bytes count as letters */
        {"a\x80 \xc3", 4, 2},
        {"a\0b", 3, 2},               /* NUL is punctuation */
        {"foo123", 6, 0},             /* digits after a letter stay in the word */
        {"1234", 4, 3},
        {"x  \ty", 5, 4},
        {"a\r\n", 3, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = sl_pretoken_start(cases[i].text, cases[i].len);
        CHECK(got == cases[i].expect, "sl_pretoken_start(\"%s\") = %zu, expected %zu",
              cases[i].text, got, cases[i].expect);
    }
    /* Every byte value behaves as its class says: probe it next to a letter and a space. */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        char before[2] = {c, 'x'}, after[2] = {'x', c}, spaced[3] = {'a', c, ' '};
        size_t s1 = sl_pretoken_start(before, 2), s2 = sl_pretoken_start(after, 2);
        size_t s3 = sl_pretoken_start(spaced, 3);
        int letter = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_' || b >= 0x80;
        int digit = b >= '0' && b <= '9';
        int whitespace = b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r';
        size_t e1, e2, e3;
        if (letter) e1 = 0, e2 = 0, e3 = 2;           /* "cx" one word; "xc" one word; "ac" " " */
        else if (digit) e1 = 1, e2 = 0, e3 = 2;       /* "1" "x"; "x1" a word; "a1" " " */
        else if (b == ' ') e1 = 0, e2 = 1, e3 = 1;    /* " x"; "x" " "; "a" "  " */
        else if (whitespace) e1 = 1, e2 = 1, e3 = 1;  /* "\t" "x"; "x" "\t"; "a" "\t " */
        else e1 = 1, e2 = 1, e3 = 2;                  /* "+" "x"; "x" "+"; "a" "+" " " */
        CHECK(s1 == e1 && s2 == e2 && s3 == e3, "byte 0x%02x: starts %zu %zu %zu, expected %zu %zu %zu",
              b, s1, s2, s3, e1, e2, e3);
    }
    /* A long word is cut every 64 bytes. */
    char word[150];
    memset(word, 'a', sizeof word);
    CHECK(sl_pretoken_start(word, 150) == 128, "long word: %zu", sl_pretoken_start(word, 150));
    CHECK(sl_pretoken_start(NULL, 5) == 0, "NULL text");
}

static void test_bytes_tokenizer(sl_rng *rng) {
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(&tok));
    if (!tok) return;
    CHECK(sl_tokenizer_vocab_size(tok) == SL_NUM_BYTE_AND_SPECIAL_TOKENS, "vocab %d",
          sl_tokenizer_vocab_size(tok));
    for (int t = 0; t < 2000; t++) {
        size_t len = sl_rng_below(rng, 300);
        char *s = random_bytes(rng, len);
        size_t n = round_trip(tok, s, len, "bytes tokenizer, random bytes");
        CHECK(n == len, "bytes tokenizer gave %zu tokens for %zu bytes", n, len);
        free(s);
    }
    size_t l = 99;
    const char *b = sl_tokenizer_token_bytes(tok, 'A', &l);
    CHECK(b && l == 1 && b[0] == 'A', "token_bytes('A')");
    sl_tokenizer_free(tok);
}

static void test_special_tokens(const sl_tokenizer *tok) {
    size_t l = 99;
    for (int32_t id = 256; id < SL_NUM_BYTE_AND_SPECIAL_TOKENS; id++) {
        CHECK(sl_tokenizer_token_bytes(tok, id, &l) == NULL && l == 0, "special %d has bytes", id);
    }
    CHECK(sl_tokenizer_token_bytes(tok, -1, &l) == NULL, "id -1 has bytes");
    CHECK(sl_tokenizer_token_bytes(tok, sl_tokenizer_vocab_size(tok), &l) == NULL, "id V has bytes");
    const int32_t ids[] = {SL_TOKEN_EOT, 'h', SL_TOKEN_FIM_PREFIX, 'i', SL_TOKEN_FILE_SEP,
                           SL_TOKEN_FIM_SUFFIX, SL_TOKEN_FIM_MIDDLE};
    char *text = NULL;
    size_t len = 0;
    CHECK_OK(sl_tokenizer_decode(tok, ids, 7, &text, &len));
    CHECK(text && len == 2 && strcmp(text, "hi") == 0, "decode skipping specials gave %zu bytes", len);
    sl_free(text);
    const int32_t bad[] = {'a', sl_tokenizer_vocab_size(tok)};
    CHECK(sl_tokenizer_decode(tok, bad, 2, &text, &len) == SL_ERR_INVALID_ARGUMENT, "decode id V");
    const int32_t negative[] = {-5};
    CHECK(sl_tokenizer_decode(tok, negative, 1, &text, &len) == SL_ERR_INVALID_ARGUMENT, "decode -5");
    /* Text that looks like a special token is just bytes. */
    const char *lookalike = "<|endoftext|><fim_prefix><|fim_middle|>\x00\x01\x02\x03\x04";
    round_trip(tok, lookalike, strlen(lookalike) + 5, "special lookalike");
}

static void test_null_arguments(const sl_tokenizer *tok) {
    int32_t *ids = NULL;
    size_t n = 0;
    char *text = NULL;
    uint8_t *blob = NULL;
    sl_tokenizer *out = NULL;
    CHECK(sl_tokenizer_encode(NULL, "a", 1, &ids, &n) == SL_ERR_INVALID_ARGUMENT, "encode NULL tok");
    CHECK(sl_tokenizer_encode(tok, NULL, 1, &ids, &n) == SL_ERR_INVALID_ARGUMENT, "encode NULL text");
    CHECK(sl_tokenizer_encode(tok, "a", 1, NULL, &n) == SL_ERR_INVALID_ARGUMENT, "encode NULL out");
    CHECK(sl_tokenizer_decode(NULL, NULL, 0, &text, &n) == SL_ERR_INVALID_ARGUMENT, "decode NULL tok");
    CHECK(sl_tokenizer_decode(tok, NULL, 3, &text, &n) == SL_ERR_INVALID_ARGUMENT, "decode NULL ids");
    CHECK(sl_tokenizer_serialize(NULL, &blob, &n) == SL_ERR_INVALID_ARGUMENT, "serialize NULL");
    CHECK(sl_tokenizer_deserialize(NULL, 10, &out) == SL_ERR_INVALID_ARGUMENT, "deserialize NULL");
    CHECK(sl_tokenizer_deserialize((const uint8_t *)"x", 1, NULL) == SL_ERR_INVALID_ARGUMENT, "deserialize NULL out");
    CHECK(sl_tokenizer_train(NULL, NULL, 1, 300, &out) == SL_ERR_INVALID_ARGUMENT, "train NULL docs");
    const char *docs[] = {"abc"};
    size_t lens[] = {3};
    CHECK(sl_tokenizer_train(docs, lens, 1, 100, &out) == SL_ERR_INVALID_ARGUMENT, "train vocab 100");
    CHECK(sl_tokenizer_train(docs, lens, 1, 300, NULL) == SL_ERR_INVALID_ARGUMENT, "train NULL out");
    CHECK(sl_tokenizer_create_bytes(NULL) == SL_ERR_INVALID_ARGUMENT, "create_bytes NULL");
    CHECK(sl_tokenizer_vocab_size(NULL) == 0, "vocab_size(NULL)");
    sl_tokenizer_free(NULL);
    /* Empty text encodes to nothing but still hands out a buffer. */
    CHECK_OK(sl_tokenizer_encode(tok, "", 0, &ids, &n));
    CHECK(ids && n == 0, "empty encode");
    sl_free(ids);
}

/* Train on the engine's sources; round-trip them, check compression and encoding. */
static void test_trained(sl_rng *rng, const corpus *src) {
    const int32_t vocab = 1024;
    sl_tokenizer *tok = NULL, *again = NULL;
    CHECK_OK(sl_tokenizer_train((const char *const *)src->docs, src->lens, src->n, vocab, &tok));
    CHECK_OK(sl_tokenizer_train((const char *const *)src->docs, src->lens, src->n, vocab, &again));
    if (!tok || !again) return;
    CHECK(sl_tokenizer_vocab_size(tok) == vocab, "vocab %d", sl_tokenizer_vocab_size(tok));

    /* Determinism: two trainings serialize identically. */
    uint8_t *blob = NULL, *blob2 = NULL;
    size_t blob_len = 0, blob2_len = 0;
    CHECK_OK(sl_tokenizer_serialize(tok, &blob, &blob_len));
    CHECK_OK(sl_tokenizer_serialize(again, &blob2, &blob2_len));
    CHECK(blob && blob2 && blob_len == blob2_len && memcmp(blob, blob2, blob_len) == 0,
          "two trainings differ");
    sl_free(blob2);
    sl_tokenizer_free(again);

    /* Real files round-trip and compress. */
    size_t tokens = 0;
    for (size_t i = 0; i < src->n; i++) tokens += round_trip(tok, src->docs[i], src->lens[i], "source file");
    double bytes_per_token = (double)src->total / (double)(tokens ? tokens : 1);
    printf("trained vocab %d on %zu files, %zu bytes: %.2f bytes/token\n", vocab, src->n,
           src->total, bytes_per_token);
    CHECK(bytes_per_token > 2.5, "only %.2f bytes per token on code", bytes_per_token);

    /* Indentation and a word: "\n   " + " return". */
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(sl_tokenizer_encode(tok, "\n    return", 11, &ids, &n));
    CHECK(n == 2, "\"\\n    return\" took %zu tokens", n);
    sl_free(ids);

    /* Encoding matches a naive BPE built from the blob, on code, splices of code with noise,
     * and random bytes (the cache is warm from the files above, so hits are checked too). */
    naive_bpe nb = naive_from_blob(blob, blob_len);
    for (int t = 0; t < 300; t++) {
        const corpus *c = src;
        size_t d = sl_rng_below(rng, c->n);
        size_t len = sl_rng_below(rng, 400);
        if (len > c->lens[d]) len = c->lens[d];
        size_t start = sl_rng_below(rng, c->lens[d] - len + 1);
        char *s = malloc(len ? len : 1);
        memcpy(s, c->docs[d] + start, len);
        for (size_t k = 0; k < len / 50; k++) s[sl_rng_below(rng, len)] = (char)sl_rng_below(rng, 256);
        check_against_naive(tok, &nb, s, len, "spliced code");
        round_trip(tok, s, len, "spliced code");
        free(s);
    }
    for (int t = 0; t < 3000; t++) {
        size_t len = sl_rng_below(rng, 200);
        char *s = random_bytes(rng, len);
        round_trip(tok, s, len, "random bytes, trained tokenizer");
        if (t < 200) check_against_naive(tok, &nb, s, len, "random bytes");
        free(s);
    }
    free(nb.merges);

    /* The blob reloads to a tokenizer that encodes identically and re-serializes identically. */
    sl_tokenizer *loaded = NULL;
    CHECK_OK(sl_tokenizer_deserialize(blob, blob_len, &loaded));
    if (loaded) {
        for (size_t i = 0; i < src->n; i++) {
            int32_t *a = NULL, *b = NULL;
            size_t na = 0, nb2 = 0;
            CHECK_OK(sl_tokenizer_encode(tok, src->docs[i], src->lens[i], &a, &na));
            CHECK_OK(sl_tokenizer_encode(loaded, src->docs[i], src->lens[i], &b, &nb2));
            CHECK(a && b && na == nb2 && memcmp(a, b, na * sizeof *a) == 0,
                  "reloaded tokenizer encodes file %zu differently", i);
            sl_free(a);
            sl_free(b);
        }
        CHECK_OK(sl_tokenizer_serialize(loaded, &blob2, &blob2_len));
        CHECK(blob2 && blob2_len == blob_len && memcmp(blob, blob2, blob_len) == 0, "re-serialized blob differs");
        sl_free(blob2);
        sl_tokenizer_free(loaded);
    }

    test_special_tokens(tok);
    test_null_arguments(tok);
    sl_free(blob);
    sl_tokenizer_free(tok);
}

/* ---- training checked against a naive BPE trainer ----------------------------------------- */
/* Recount every pair from scratch at each step and merge the most frequent (ties: smallest
 * (left, right)); the engine's incremental counts and lazy heap must choose the same merges. */

typedef struct {
    const uint8_t *bytes;
    size_t len;
} piece;

static int compare_pieces(const void *a, const void *b) {
    const piece *x = a, *y = b;
    size_t l = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->bytes, y->bytes, l);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

typedef struct {
    uint64_t key;
    int64_t weight;
} pair_weight;

static int compare_pair_weights(const void *a, const void *b) {
    uint64_t x = ((const pair_weight *)a)->key, y = ((const pair_weight *)b)->key;
    return (x > y) - (x < y);
}

static void naive_train(const char *const *docs, const size_t *lens, size_t n_docs, int n_merges,
                        int32_t *merges, int *n_learned) {
    size_t total = 0;
    for (size_t d = 0; d < n_docs; d++) total += lens[d];
    piece *pieces = malloc((total + 1) * sizeof *pieces);
    size_t n_pieces = 0;
    for (size_t d = 0; d < n_docs; d++)
        for (size_t end = lens[d]; end > 0;) {
            size_t start = sl_pretoken_start(docs[d], end);
            pieces[n_pieces++] = (piece){(const uint8_t *)docs[d] + start, end - start};
            end = start;
        }
    qsort(pieces, n_pieces, sizeof *pieces, compare_pieces);
    /* Distinct pieces as words of symbol ids, with their counts. */
    int32_t *syms = malloc((total + 1) * sizeof *syms);
    size_t *start = malloc((n_pieces + 1) * sizeof *start), *wlen = malloc((n_pieces + 1) * sizeof *wlen);
    int64_t *count = malloc((n_pieces + 1) * sizeof *count);
    size_t n_words = 0, at = 0;
    for (size_t i = 0; i < n_pieces; i++) {
        if (n_words && compare_pieces(&pieces[i], &pieces[i - 1]) == 0) {
            count[n_words - 1]++;
            continue;
        }
        start[n_words] = at;
        wlen[n_words] = pieces[i].len;
        count[n_words++] = 1;
        for (size_t j = 0; j < pieces[i].len; j++) syms[at++] = pieces[i].bytes[j];
    }
    pair_weight *pw = malloc((total + 1) * sizeof *pw);
    *n_learned = 0;
    for (int k = 0; k < n_merges; k++) {
        size_t n_pw = 0;
        for (size_t w = 0; w < n_words; w++)
            for (size_t j = 0; j + 1 < wlen[w]; j++)
                pw[n_pw++] = (pair_weight){(uint64_t)syms[start[w] + j] << 32 | (uint32_t)syms[start[w] + j + 1], count[w]};
        if (!n_pw) break;
        qsort(pw, n_pw, sizeof *pw, compare_pair_weights);
        uint64_t best_key = 0;
        int64_t best = 0;
        for (size_t i = 0; i < n_pw;) {
            size_t j = i;
            int64_t sum = 0;
            while (j < n_pw && pw[j].key == pw[i].key) sum += pw[j++].weight;
            if (sum > best) best = sum, best_key = pw[i].key; /* ascending keys: first max wins */
            i = j;
        }
        int32_t a = (int32_t)(best_key >> 32), b = (int32_t)(uint32_t)best_key;
        int32_t c = SL_NUM_BYTE_AND_SPECIAL_TOKENS + k;
        merges[2 * k] = a;
        merges[2 * k + 1] = b;
        for (size_t w = 0; w < n_words; w++) {
            int32_t *s = syms + start[w];
            size_t out = 0;
            for (size_t j = 0; j < wlen[w];) {
                if (j + 1 < wlen[w] && s[j] == a && s[j + 1] == b) s[out++] = c, j += 2;
                else s[out++] = s[j++];
            }
            wlen[w] = out;
        }
        (*n_learned)++;
    }
    free(pieces);
    free(syms);
    free(start);
    free(wlen);
    free(count);
    free(pw);
}

static void test_training_matches_naive(const corpus *src) {
    /* The first 3 KB of a dozen files keeps the naive trainer (and its O(n^2) cutting) quick. */
    const char *docs[12];
    size_t lens[12], n = src->n < 12 ? src->n : 12;
    for (size_t i = 0; i < n; i++) {
        docs[i] = src->docs[i];
        lens[i] = src->lens[i] < 3000 ? src->lens[i] : 3000;
    }
    const int n_merges = 300;
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_train(docs, lens, n, SL_NUM_BYTE_AND_SPECIAL_TOKENS + n_merges, &tok));
    if (!tok) return;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    CHECK_OK(sl_tokenizer_serialize(tok, &blob, &blob_len));
    naive_bpe engine = naive_from_blob(blob, blob_len);
    int32_t *expect = malloc(2 * n_merges * sizeof *expect);
    int learned = 0;
    naive_train(docs, lens, n, n_merges, expect, &learned);
    CHECK(learned == n_merges, "naive trainer ran out of pairs after %d merges", learned);
    int first_diff = -1;
    for (int k = 0; k < learned && first_diff < 0; k++)
        if (engine.merges[k][0] != expect[2 * k] || engine.merges[k][1] != expect[2 * k + 1]) first_diff = k;
    CHECK(first_diff < 0, "merge %d: engine (%d, %d), naive (%d, %d)", first_diff,
          first_diff < 0 ? 0 : engine.merges[first_diff][0], first_diff < 0 ? 0 : engine.merges[first_diff][1],
          first_diff < 0 ? 0 : expect[2 * first_diff], first_diff < 0 ? 0 : expect[2 * first_diff + 1]);
    free(expect);
    free(engine.merges);
    sl_free(blob);
    sl_tokenizer_free(tok);
}

/* A small corpus cannot fill a big vocabulary with learned merges: the rest is filler. */
static void test_small_corpus(sl_rng *rng) {
    const char *docs[] = {"def f(x):\n    return x + 1\n", "", "aaaaaaaaaaaaaaaa"};
    size_t lens[] = {strlen(docs[0]), 0, strlen(docs[2])};
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_train(docs, lens, 3, 2000, &tok));
    if (!tok) return;
    CHECK(sl_tokenizer_vocab_size(tok) == 2000, "vocab %d", sl_tokenizer_vocab_size(tok));
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(sl_tokenizer_encode(tok, docs[0], lens[0], &ids, &n));
    /* Every one of its 11 pre-tokens ("def", " f", "(", "x", "):", "\n   ", " return", ...) is
     * merged whole: 1739 ids to learn from one short text leave no pair unmerged. */
    CHECK(n == 11, "training text took %zu tokens", n);
    sl_free(ids);
    for (int t = 0; t < 500; t++) {
        size_t len = sl_rng_below(rng, 100);
        char *s = random_bytes(rng, len);
        round_trip(tok, s, len, "random bytes, small-corpus tokenizer");
        free(s);
    }
    sl_tokenizer_free(tok);
    CHECK_OK(sl_tokenizer_train(NULL, NULL, 0, SL_NUM_BYTE_AND_SPECIAL_TOKENS, &tok));
    CHECK(tok && sl_tokenizer_vocab_size(tok) == SL_NUM_BYTE_AND_SPECIAL_TOKENS, "empty training");
    sl_tokenizer_free(tok);
}

static uint8_t *make_blob(uint32_t version, uint32_t vocab, const uint32_t *merges, size_t n_merges,
                          size_t *out_len) {
    *out_len = 16 + 8 * n_merges;
    uint8_t *b = malloc(*out_len);
    uint32_t header[4] = {0, version, 1, vocab};
    memcpy(b, "SLTK", 4);
    for (int i = 1; i < 4; i++)
        for (int k = 0; k < 4; k++) b[4 * i + k] = (uint8_t)(header[i] >> (8 * k));
    for (size_t i = 0; i < 2 * n_merges; i++)
        for (int k = 0; k < 4; k++) b[16 + 4 * i + k] = (uint8_t)(merges[i] >> (8 * k));
    return b;
}

static void expect_rejected(const uint8_t *b, size_t len, sl_status expect, const char *what) {
    sl_tokenizer *tok = NULL;
    sl_status st = sl_tokenizer_deserialize(b, len, &tok);
    CHECK(st == expect && tok == NULL, "%s: got %s (%s)", what, sl_status_name(st), sl_last_error());
    CHECK(st == SL_OK || strlen(sl_last_error()) > 10, "%s: no message", what);
    sl_tokenizer_free(tok);
}

static void test_hostile_blobs(sl_rng *rng, const corpus *src) {
    size_t len;
    uint8_t *b;
    uint32_t ok_merges[] = {'a', 'b', 261, 'c'};
    b = make_blob(1, 263, ok_merges, 2, &len);
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_deserialize(b, len, &tok));
    if (tok) {
        size_t l = 0;
        const char *bytes = sl_tokenizer_token_bytes(tok, 262, &l);
        CHECK(bytes && l == 3 && memcmp(bytes, "abc", 3) == 0, "hand-made merge");
        round_trip(tok, "abcabc", 6, "hand-made tokenizer");
        sl_tokenizer_free(tok);
    }
    expect_rejected(b, len - 1, SL_ERR_CORRUPT, "truncated by one");
    free(b);

    b = make_blob(1, 263, ok_merges, 2, &len);
    b = realloc(b, len + 1);
    b[len] = 0;
    expect_rejected(b, len + 1, SL_ERR_CORRUPT, "trailing byte");
    b[0] = 'X';
    expect_rejected(b, len, SL_ERR_CORRUPT, "bad magic");
    free(b);

    b = make_blob(2, 263, ok_merges, 2, &len);
    expect_rejected(b, len, SL_ERR_UNSUPPORTED, "newer version");
    free(b);
    b = make_blob(0, 263, ok_merges, 2, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "version 0");
    free(b);
    b = make_blob(1, 0xffffffffu, ok_merges, 2, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "huge vocab");
    free(b);
    b = make_blob(1, 100, NULL, 0, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "vocab below 261");
    free(b);
    uint32_t forward[] = {'a', 262, 'b', 'c'};
    b = make_blob(1, 263, forward, 2, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "forward reference");
    free(b);
    uint32_t self[] = {'a', 261};
    b = make_blob(1, 262, self, 1, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "self reference");
    free(b);
    uint32_t special[] = {SL_TOKEN_EOT, 'a'};
    b = make_blob(1, 262, special, 1, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "special token in a merge");
    free(b);
    uint32_t twice[] = {'a', 'b', 'a', 'b'};
    b = make_blob(1, 263, twice, 2, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "repeated merge");
    free(b);
    uint32_t huge_id[] = {0x80000000u, 'a'};
    b = make_blob(1, 262, huge_id, 1, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "id beyond int32");
    free(b);
    /* Self-doubling chain: token k+1 = token k twice, 2^k bytes; must stop at the length cap. */
    uint32_t doubling[2 * 20];
    doubling[0] = doubling[1] = 'a';
    for (int k = 1; k < 20; k++) doubling[2 * k] = doubling[2 * k + 1] = 261 + k - 1;
    b = make_blob(1, 261 + 20, doubling, 20, &len);
    expect_rejected(b, len, SL_ERR_CORRUPT, "doubling chain");
    free(b);

    /* A real blob: every truncation is rejected; random corruption is rejected or still safe. */
    sl_tokenizer *real = NULL;
    CHECK_OK(sl_tokenizer_train((const char *const *)src->docs, src->lens, src->n, 600, &real));
    if (!real) return;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    CHECK_OK(sl_tokenizer_serialize(real, &blob, &blob_len));
    sl_tokenizer_free(real);
    for (size_t cut = 0; cut < blob_len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, blob, cut);
        sl_tokenizer *t = NULL;
        sl_status st = sl_tokenizer_deserialize(copy, cut, &t);
        CHECK(st == SL_ERR_CORRUPT && !t, "truncated to %zu bytes: %s", cut, sl_status_name(st));
        sl_tokenizer_free(t);
        free(copy);
    }
    int accepted = 0, rejected = 0;
    const char *sample = src->n ? src->docs[0] : "int main(void) { return 0; }";
    size_t sample_len = src->n ? (src->lens[0] < 2000 ? src->lens[0] : 2000) : strlen(sample);
    for (int t = 0; t < 2000; t++) {
        uint8_t *copy = malloc(blob_len);
        memcpy(copy, blob, blob_len);
        int flips = 1 + (int)sl_rng_below(rng, 4);
        for (int f = 0; f < flips; f++) {
            size_t at = sl_rng_below(rng, blob_len);
            /* Half the time corrupt the high bytes of an id, half anywhere. */
            copy[at] = (t & 1) ? (uint8_t)sl_rng_below(rng, 256) : (uint8_t)(copy[at] ^ (1u << sl_rng_below(rng, 8)));
        }
        sl_tokenizer *t2 = NULL;
        sl_status st = sl_tokenizer_deserialize(copy, blob_len, &t2);
        if (st == SL_OK) {
            accepted++;
            round_trip(t2, sample, sample_len, "corrupted but valid blob");
        } else {
            rejected++;
            CHECK(st == SL_ERR_CORRUPT || st == SL_ERR_UNSUPPORTED, "corrupt blob gave %s", sl_status_name(st));
            CHECK(!t2, "failed deserialize left a tokenizer");
        }
        sl_tokenizer_free(t2);
        free(copy);
    }
    printf("corrupted blobs: %d rejected, %d structurally valid and safe\n", rejected, accepted);
    CHECK(rejected > 0, "no corruption was detected");
    sl_free(blob);
}

/* Two threads encoding with one tokenizer: one gets the cache, the other runs without; both
 * must still round-trip every file (ASan/TSan builds catch a shared-cache race). */
typedef struct {
    const sl_tokenizer *tok;
    const corpus *src;
    int mismatches;
} thread_job;

static void encode_all(void *arg) {
    thread_job *job = arg;
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < job->src->n; i++) {
            int32_t *ids = NULL;
            size_t n = 0;
            if (sl_tokenizer_encode(job->tok, job->src->docs[i], job->src->lens[i], &ids, &n) != SL_OK) {
                job->mismatches++;
                continue;
            }
            char *back = NULL;
            size_t back_len = 0;
            if (sl_tokenizer_decode(job->tok, ids, n, &back, &back_len) != SL_OK ||
                back_len != job->src->lens[i] || memcmp(back, job->src->docs[i], back_len) != 0)
                job->mismatches++;
            sl_free(back);
            sl_free(ids);
        }
}

static void test_concurrent_encode(const corpus *src) {
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_train((const char *const *)src->docs, src->lens, src->n, 512, &tok));
    if (!tok) return;
    thread_job jobs[2] = {{tok, src, 0}, {tok, src, 0}};
    sl_thread *th[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) CHECK(sl_thread_start(&th[i], encode_all, &jobs[i]) == 0, "sl_thread_start");
    for (int i = 0; i < 2; i++) sl_thread_join(th[i]);
    CHECK(jobs[0].mismatches == 0 && jobs[1].mismatches == 0, "concurrent encode: %d + %d bad",
          jobs[0].mismatches, jobs[1].mismatches);
    sl_tokenizer_free(tok);
}

int main(void) {
    sl_rng rng;
    sl_rng_seed(&rng, 20240601);
    test_pretoken_start();
    test_bytes_tokenizer(&rng);
    test_small_corpus(&rng);
    corpus src = load_sources();
    if (src.n < 5 || src.total < 20000) {
        printf("skipped: trained-tokenizer tests need native/src/*/*.c (run from the repo root; found %zu files)\n", src.n);
    } else {
        test_training_matches_naive(&src);
        test_trained(&rng, &src);
        test_hostile_blobs(&rng, &src);
        test_concurrent_encode(&src);
    }
    corpus_free(&src);
    return check_exit_code("test_tokenizer");
}
