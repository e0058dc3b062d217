/* test_checkpoint.c: checkpoints survive a round trip bit for bit, resume training exactly, and
 * every damaged or hostile file is refused with a clear error rather than a crash.
 *
 * Also replays test/native/corpus/ (hand-made hostile files and fuzzer finds): valid_* must load,
 * everything else must fail cleanly. `test_checkpoint --write-corpus DIR` regenerates the
 * hostile files there from the same mutations this test checks. */
#include "check.h"
#include "test_os.h"
#include "io/checkpoint_format.h"
#include "core/crc32.h"
#include "model/model.h"
#include "seedling.h"
#include "train/trainer.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif

/* ---- fixtures -------------------------------------------------------------------------------- */

static const char *const docs[] = {
    "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n",
    "for (int i = 0; i < n; i++) { total += values[i]; }\n",
    "const answer = compute(40, 2);\nconsole.log(answer);\n",
};

typedef struct {
    sl_model *model;
    sl_tokenizer *tok;
    sl_dataset *data;
    sl_trainer *trainer;
} fixture;

static sl_train_options small_options(int seq_len) {
    sl_train_options o;
    sl_train_options_default(&o);
    o.batch_size = 2;
    o.seq_len = seq_len;
    o.grad_accum_steps = 1;
    o.learning_rate = 3e-3f;
    o.warmup_steps = 2;
    o.total_steps = 20;
    o.seed = 1234;
    return o;
}

/* A model, a trained tokenizer of tok_vocab tokens (bytes only when 261), and optionally a
 * trainer with data. */
static fixture make_fixture(sl_config config, int32_t tok_vocab, int with_trainer) {
    fixture f = {0};
    size_t lens[3];
    for (int i = 0; i < 3; i++) lens[i] = strlen(docs[i]);
    if (tok_vocab > SL_NUM_BYTE_AND_SPECIAL_TOKENS) CHECK_OK(sl_tokenizer_train(docs, lens, 3, tok_vocab, &f.tok));
    else CHECK_OK(sl_tokenizer_create_bytes(&f.tok));
    CHECK_OK(sl_model_create(&config, 42, &f.model));
    if (with_trainer) {
        sl_train_options o = small_options(config.context_length < 8 ? config.context_length : 8);
        CHECK_OK(sl_dataset_create(f.tok, docs, lens, 3, &f.data));
        CHECK_OK(sl_trainer_create(f.model, &o, &f.trainer));
    }
    return f;
}

static void free_fixture(fixture *f) {
    sl_trainer_free(f->trainer);
    sl_dataset_free(f->data);
    sl_model_free(f->model);
    sl_tokenizer_free(f->tok);
    memset(f, 0, sizeof *f);
}

static const sl_config test_config = {300, 16, 16, 2, 2};
/* Small enough that the corpus files stay a few kilobytes. */
static const sl_config corpus_config = {261, 4, 4, 1, 1};

typedef struct {
    uint8_t *data;
    size_t len;
} bytes;

static bytes read_file(const char *path) {
    bytes b = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc(n > 0 ? (size_t)n : 1);
    b.len = fread(b.data, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static int write_file(const char *path, const bytes *b) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

static bytes copy_bytes(bytes b) {
    bytes c = {malloc(b.len ? b.len : 1), b.len};
    memcpy(c.data, b.data, b.len);
    return c;
}

static char tmp_dir[260];

static void path_in_tmp(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", tmp_dir, name); }

/* Save f to a file in tmp_dir and return its bytes. */
static bytes save_bytes(const fixture *f, int with_trainer) {
    char path[128];
    path_in_tmp(path, sizeof path, "fixture.ckpt");
    CHECK_OK(sl_checkpoint_save(path, f->model, f->tok, with_trainer ? f->trainer : NULL));
    bytes b = read_file(path);
    remove(path);
    return b;
}

/* ---- reading the layout independently of checkpoint.c ---------------------------------------- */

static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void set_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void set_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

static size_t first_section_offset(const bytes *b) { return SL_CHECKPOINT_PREAMBLE_BYTES + get_u32(b->data + 12); }

/* Offset of the section header with this tag (the file must be well formed up to it), or 0. */
static size_t find_section(const bytes *b, uint32_t tag) {
    size_t off = first_section_offset(b);
    uint32_t n = get_u32(b->data + 20);
    for (uint32_t i = 0; i < n && off + SL_CHECKPOINT_SECTION_HEADER_BYTES <= b->len; i++) {
        if (get_u32(b->data + off) == tag) return off;
        off += SL_CHECKPOINT_SECTION_HEADER_BYTES + get_u64(b->data + off + 8);
    }
    return 0;
}

static void fix_crc(bytes *b, uint32_t tag) {
    size_t off = find_section(b, tag);
    uint64_t len = get_u64(b->data + off + 8);
    set_u32(b->data + off + 4, sl_crc32(0, b->data + off + 16, (size_t)len));
}

/* Replace a section's payload (length and CRC updated). */
static void replace_section(bytes *b, uint32_t tag, const uint8_t *payload, size_t len) {
    size_t off = find_section(b, tag);
    size_t old_len = (size_t)get_u64(b->data + off + 8), tail = off + 16 + old_len;
    bytes out = {malloc(b->len - old_len + len + 1), b->len - old_len + len};
    memcpy(out.data, b->data, off + 16);
    memcpy(out.data + off + 16, payload, len);
    memcpy(out.data + off + 16 + len, b->data + tail, b->len - tail);
    set_u64(out.data + off + 8, len);
    free(b->data);
    *b = out;
    fix_crc(b, tag);
}

static void remove_section(bytes *b, uint32_t tag) {
    size_t off = find_section(b, tag);
    size_t end = off + 16 + (size_t)get_u64(b->data + off + 8);
    memmove(b->data + off, b->data + end, b->len - end);
    b->len -= end - off;
    set_u32(b->data + 20, get_u32(b->data + 20) - 1);
}

static sl_status load_bytes(const bytes *b, int want_trainer) {
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    sl_trainer *tr = NULL;
    sl_status st = sl_checkpoint_load_memory(b->data, b->len, &m, &t, want_trainer ? &tr : NULL);
    if (st != SL_OK) CHECK(!m && !t && !tr, "a failed load left outputs set");
    sl_trainer_free(tr);
    sl_model_free(m);
    sl_tokenizer_free(t);
    return st;
}

/* ---- hostile variants: shared by the checks below and --write-corpus ------------------------- */

/* Each turns a valid checkpoint (with trainer state) into a file that must be refused with
 * `expect`, with `message` somewhere in the error. */
typedef struct {
    const char *name;
    void (*mutate)(bytes *b, const fixture *f);
    sl_status expect;
    const char *message;
} hostile_case;

static void m_empty(bytes *b, const fixture *f) { b->len = 0; }
static void m_bad_magic(bytes *b, const fixture *f) { memcpy(b->data, "SEEDLINX", 8); }
static void m_newer_version(bytes *b, const fixture *f) { set_u32(b->data + 8, SL_CHECKPOINT_VERSION + 1); }
static void m_version_zero(bytes *b, const fixture *f) { set_u32(b->data + 8, 0); }
static void m_header_only(bytes *b, const fixture *f) { b->len = first_section_offset(b); }
static void m_huge_header_length(bytes *b, const fixture *f) { set_u32(b->data + 12, 0xFFFFFFF0u); }
static void m_huge_section_count(bytes *b, const fixture *f) { set_u32(b->data + 20, 0xFFFFFFFFu); }
static void m_unknown_dtype(bytes *b, const fixture *f) { set_u32(b->data + 16, 77); }
static void m_bf16_dtype_f32_payload(bytes *b, const fixture *f) { set_u32(b->data + 16, SL_CHECKPOINT_DTYPE_BF16); }
static void m_huge_weights_length(bytes *b, const fixture *f) {
    set_u64(b->data + find_section(b, SL_TAG_WEIGHTS) + 8, (uint64_t)1 << 62);
}
static void m_weights_length_wraps(bytes *b, const fixture *f) {
    set_u64(b->data + find_section(b, SL_TAG_WEIGHTS) + 8, UINT64_MAX);
}
static void m_truncated_weights(bytes *b, const fixture *f) { b->len = find_section(b, SL_TAG_WEIGHTS) + 16 + 100; }
static void m_flipped_weight_byte(bytes *b, const fixture *f) { b->data[find_section(b, SL_TAG_WEIGHTS) + 16 + 37] ^= 0x10; }
static void m_flipped_crc(bytes *b, const fixture *f) { b->data[find_section(b, SL_TAG_CONFIG) + 4] ^= 0x01; }
static void set_config_field(bytes *b, int field, int32_t value) {
    set_u32(b->data + find_section(b, SL_TAG_CONFIG) + 16 + 4 * field, (uint32_t)value);
    fix_crc(b, SL_TAG_CONFIG);
}
static void m_zero_heads(bytes *b, const fixture *f) { set_config_field(b, 4, 0); }
static void m_heads_not_dividing(bytes *b, const fixture *f) { set_config_field(b, 4, 3); }
static void m_negative_context(bytes *b, const fixture *f) { set_config_field(b, 1, -4); }
static void m_huge_vocab(bytes *b, const fixture *f) { set_config_field(b, 0, 1 << 20); }
static void m_config_mismatches_weights(bytes *b, const fixture *f) { set_config_field(b, 1, f->model->config.context_length + 1); }
static void m_short_config(bytes *b, const fixture *f) {
    uint8_t c[16];
    memcpy(c, b->data + find_section(b, SL_TAG_CONFIG) + 16, 16);
    replace_section(b, SL_TAG_CONFIG, c, sizeof c);
}
static void m_tokenizer_exceeds_model(bytes *b, const fixture *f) {
    size_t lens[3];
    for (int i = 0; i < 3; i++) lens[i] = strlen(docs[i]);
    sl_tokenizer *big = NULL;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    CHECK_OK(sl_tokenizer_train(docs, lens, 3, f->model->config.vocab_size + 9, &big));
    CHECK_OK(sl_tokenizer_serialize(big, &blob, &blob_len));
    replace_section(b, SL_TAG_TOKENIZER, blob, blob_len);
    sl_free(blob);
    sl_tokenizer_free(big);
}
static void m_garbage_tokenizer(bytes *b, const fixture *f) {
    uint8_t junk[40];
    for (int i = 0; i < 40; i++) junk[i] = (uint8_t)(i * 37 + 11);
    replace_section(b, SL_TAG_TOKENIZER, junk, sizeof junk);
}
static void m_nan_weight(bytes *b, const fixture *f) {
    uint8_t *w = b->data + find_section(b, SL_TAG_WEIGHTS) + 16;
    set_u32(w + 4 * 5, 0x7FC00000u);
    fix_crc(b, SL_TAG_WEIGHTS);
}
static void m_missing_weights(bytes *b, const fixture *f) { remove_section(b, SL_TAG_WEIGHTS); }
static void m_missing_adam_v(bytes *b, const fixture *f) { remove_section(b, SL_TAG_ADAM_V); }
static void m_duplicate_config(bytes *b, const fixture *f) {
    /* Retag ADMV as a second CONF: its CRC covers only the payload, so it still passes. */
    size_t off = find_section(b, SL_TAG_ADAM_V);
    set_u32(b->data + off, SL_TAG_CONFIG);
}
static void m_trailing_bytes(bytes *b, const fixture *f) {
    b->data = realloc(b->data, b->len + 7);
    memset(b->data + b->len, 0xEE, 7);
    b->len += 7;
}
static void m_short_trainer_state(bytes *b, const fixture *f) {
    uint8_t s[SL_CHECKPOINT_TRAINER_STATE_BYTES - 8];
    memcpy(s, b->data + find_section(b, SL_TAG_TRAINER_STATE) + 16, sizeof s);
    replace_section(b, SL_TAG_TRAINER_STATE, s, sizeof s);
}
static void m_negative_second_moment(bytes *b, const fixture *f) {
    set_u32(b->data + find_section(b, SL_TAG_ADAM_V) + 16 + 8, 0xBF800000u); /* -1.0f */
    fix_crc(b, SL_TAG_ADAM_V);
}
static void m_bad_trainer_options(bytes *b, const fixture *f) {
    /* seq_len (after step, tokens_seen, rng_state, batch_size) far past the context length */
    set_u32(b->data + find_section(b, SL_TAG_TRAINER_STATE) + 16 + 28, 1u << 30);
    fix_crc(b, SL_TAG_TRAINER_STATE);
}

static const hostile_case hostile_cases[] = {
    {"empty", m_empty, SL_ERR_CORRUPT, "empty"},
    {"bad_magic", m_bad_magic, SL_ERR_CORRUPT, "not a Seedling checkpoint"},
    {"newer_version", m_newer_version, SL_ERR_UNSUPPORTED, "is newer than this engine supports"},
    {"version_zero", m_version_zero, SL_ERR_CORRUPT, "version 0"},
    {"header_only", m_header_only, SL_ERR_CORRUPT, "truncated"},
    {"huge_header_length", m_huge_header_length, SL_ERR_CORRUPT, "truncated"},
    {"huge_section_count", m_huge_section_count, SL_ERR_CORRUPT, "sections"},
    {"unknown_dtype", m_unknown_dtype, SL_ERR_CORRUPT, "dtype"},
    {"bf16_dtype_f32_payload", m_bf16_dtype_f32_payload, SL_ERR_CORRUPT, "as bf16 need"},
    {"huge_weights_length", m_huge_weights_length, SL_ERR_CORRUPT, "truncated: weights section needs"},
    {"weights_length_wraps", m_weights_length_wraps, SL_ERR_CORRUPT, "truncated: weights section needs"},
    {"truncated_weights", m_truncated_weights, SL_ERR_CORRUPT, "truncated: weights section needs"},
    {"flipped_weight_byte", m_flipped_weight_byte, SL_ERR_CORRUPT, "weights section (section 3) fails its checksum"},
    {"flipped_crc", m_flipped_crc, SL_ERR_CORRUPT, "config section (section 1) fails its checksum"},
    {"zero_heads", m_zero_heads, SL_ERR_CORRUPT, "invalid model config"},
    {"heads_not_dividing", m_heads_not_dividing, SL_ERR_CORRUPT, "must be >= 1 and divide d_model"},
    {"negative_context", m_negative_context, SL_ERR_CORRUPT, "context_length"},
    {"huge_vocab", m_huge_vocab, SL_ERR_CORRUPT, "weights section has"},
    {"config_mismatches_weights", m_config_mismatches_weights, SL_ERR_CORRUPT, "weights section has"},
    {"short_config", m_short_config, SL_ERR_CORRUPT, "config section has 16 bytes"},
    {"tokenizer_exceeds_model", m_tokenizer_exceeds_model, SL_ERR_CORRUPT, "tokenizer has"},
    {"garbage_tokenizer", m_garbage_tokenizer, SL_ERR_CORRUPT, "tokenizer section is invalid"},
    {"nan_weight", m_nan_weight, SL_ERR_CORRUPT, "non-finite"},
    {"missing_weights", m_missing_weights, SL_ERR_CORRUPT, "no weights section"},
    {"missing_adam_v", m_missing_adam_v, SL_ERR_CORRUPT, "only part of the training state"},
    {"duplicate_config", m_duplicate_config, SL_ERR_CORRUPT, "two config sections"},
    {"trailing_bytes", m_trailing_bytes, SL_ERR_CORRUPT, "unexpected bytes after its last section"},
    {"short_trainer_state", m_short_trainer_state, SL_ERR_CORRUPT, "trainer state section has"},
    {"negative_second_moment", m_negative_second_moment, SL_ERR_CORRUPT, "negative"},
    {"bad_trainer_options", m_bad_trainer_options, SL_ERR_CORRUPT, "trainer options are not usable"},
};
#define N_HOSTILE (int)(sizeof hostile_cases / sizeof hostile_cases[0])

/* ---- round trips ----------------------------------------------------------------------------- */

static void check_same_tokenizer(const sl_tokenizer *a, const sl_tokenizer *b) {
    CHECK(sl_tokenizer_vocab_size(a) == sl_tokenizer_vocab_size(b), "vocab %d vs %d", sl_tokenizer_vocab_size(a),
          sl_tokenizer_vocab_size(b));
    const char *text = "def add(a, b):\n    return compute(a) + values[b]  \xff\xfe tail";
    int32_t *ta = NULL, *tb = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sl_tokenizer_encode(a, text, strlen(text), &ta, &na));
    CHECK_OK(sl_tokenizer_encode(b, text, strlen(text), &tb, &nb));
    CHECK(na == nb && na > 0 && memcmp(ta, tb, na * sizeof *ta) == 0, "the loaded tokenizer encodes differently");
    sl_free(ta);
    sl_free(tb);
}

static void test_round_trip_weights_only(void) {
    fixture f = make_fixture(test_config, 290, 0);
    char path[128];
    path_in_tmp(path, sizeof path, "weights.ckpt");
    CHECK_OK(sl_checkpoint_save(path, f.model, f.tok, NULL));
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    sl_trainer *tr = (sl_trainer *)&f; /* must be overwritten with NULL: no trainer state saved */
    CHECK_OK(sl_checkpoint_load(path, &m, &t, &tr));
    CHECK(tr == NULL, "a weights-only checkpoint restored a trainer");
    if (m && t) {
        sl_config c = sl_model_config(m);
        CHECK(memcmp(&c, &test_config, sizeof c) == 0, "config changed in the round trip");
        CHECK(sl_model_num_params(m) == sl_model_num_params(f.model), "parameter count changed");
        CHECK(memcmp(m->params_memory, f.model->params_memory, f.model->num_params * sizeof(float)) == 0,
              "weights are not bit-identical after the round trip");
        check_same_tokenizer(f.tok, t);
    }
    sl_model_free(m);
    sl_tokenizer_free(t);
    remove(path);
    free_fixture(&f);
}

static void step_n(sl_trainer *t, const sl_dataset *d, int n, float *losses) {
    for (int i = 0; i < n; i++) {
        sl_step_stats s;
        CHECK_OK(sl_trainer_step(t, d, &s));
        losses[i] = s.loss;
    }
}

/* N steps, save, load, M steps must equal N + M steps without interruption, bit for bit. */
static void test_resume_is_exact(void) {
    enum { N = 3, M = 3 };
    fixture f = make_fixture(test_config, 290, 1);
    float before[N], straight[M], resumed[M];
    step_n(f.trainer, f.data, N, before);
    char path[128];
    path_in_tmp(path, sizeof path, "resume.ckpt");
    CHECK_OK(sl_checkpoint_save(path, f.model, f.tok, f.trainer));

    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    sl_trainer *tr = NULL;
    CHECK_OK(sl_checkpoint_load(path, &m, &t, &tr));
    CHECK(tr != NULL, "the trainer state was not restored");
    if (m && t && tr) {
        size_t n = f.model->num_params;
        CHECK(tr->model == m, "restored trainer is not attached to the restored model");
        CHECK(tr->step == f.trainer->step && tr->step == N, "step %lld vs %lld", (long long)tr->step,
              (long long)f.trainer->step);
        CHECK(tr->tokens_seen == f.trainer->tokens_seen, "tokens_seen differs");
        CHECK(tr->rng_state == f.trainer->rng_state, "rng_state differs");
        CHECK(memcmp(tr->adam_m, f.trainer->adam_m, n * 4) == 0, "adam_m differs");
        CHECK(memcmp(tr->adam_v, f.trainer->adam_v, n * 4) == 0, "adam_v differs");
        sl_train_options a = sl_trainer_options(f.trainer), b = sl_trainer_options(tr);
        CHECK(a.batch_size == b.batch_size && a.seq_len == b.seq_len && a.grad_accum_steps == b.grad_accum_steps &&
                  a.learning_rate == b.learning_rate && a.min_lr_ratio == b.min_lr_ratio &&
                  a.warmup_steps == b.warmup_steps && a.total_steps == b.total_steps &&
                  a.weight_decay == b.weight_decay && a.beta1 == b.beta1 && a.beta2 == b.beta2 && a.eps == b.eps &&
                  a.grad_clip == b.grad_clip && a.fim_rate == b.fim_rate && a.fim_spm_rate == b.fim_spm_rate &&
                  a.seed == b.seed,
              "trainer options changed in the round trip");
        step_n(f.trainer, f.data, M, straight);
        step_n(tr, f.data, M, resumed);
        for (int i = 0; i < M; i++)
            CHECK(straight[i] == resumed[i], "step %d after resume: loss %.9g vs uninterrupted %.9g", N + i + 1,
                  resumed[i], straight[i]);
        CHECK(memcmp(m->params_memory, f.model->params_memory, n * 4) == 0,
              "weights after resume + %d steps differ from %d uninterrupted steps", M, N + M);
        CHECK(before[0] > straight[M - 1], "training did not lower the loss (%g -> %g)", before[0], straight[M - 1]);
    }
    sl_trainer_free(tr);
    sl_model_free(m);
    sl_tokenizer_free(t);
    remove(path);
    free_fixture(&f);
}

/* ---- rejection ------------------------------------------------------------------------------- */

static void test_hostile_cases(const fixture *f, const bytes *valid) {
    CHECK(load_bytes(valid, 1) == SL_OK, "the valid fixture does not load: %s", sl_last_error());
    for (int i = 0; i < N_HOSTILE; i++) {
        const hostile_case *h = &hostile_cases[i];
        bytes b = copy_bytes(*valid);
        h->mutate(&b, f);
        sl_status st = load_bytes(&b, 1);
        CHECK(st == h->expect && strstr(sl_last_error(), h->message), "%s: got %s \"%s\", expected %s with \"%s\"",
              h->name, sl_status_name(st), sl_last_error(), sl_status_name(h->expect), h->message);
        free(b.data);
    }
}

/* Cut the file at and around every section boundary, then at random lengths. */
static void test_truncation(const bytes *valid) {
    size_t cuts[256];
    int n = 0;
    size_t off = first_section_offset(valid);
    for (int d = 0; d < 3; d++) cuts[n++] = off - d;
    for (uint32_t s = 0; s < get_u32(valid->data + 20); s++) {
        size_t end = off + 16 + (size_t)get_u64(valid->data + off + 8);
        size_t pts[] = {off + 1, off + 4, off + 8, off + 15, off + 16, off + 17, end - 1, end};
        for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
            if (pts[k] < valid->len) cuts[n++] = pts[k];
        off = end;
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int r = 0; r < 100; r++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cuts[n++] = (size_t)(x % valid->len);
    }
    for (int i = 0; i < n; i++) {
        bytes b = {valid->data, cuts[i]};
        sl_status st = load_bytes(&b, 1);
        CHECK(st == SL_ERR_CORRUPT, "cut at %zu of %zu bytes: %s \"%s\"", cuts[i], valid->len, sl_status_name(st),
              sl_last_error());
        if (cuts[i] >= SL_CHECKPOINT_PREAMBLE_BYTES)
            CHECK(strstr(sl_last_error(), "truncated") != NULL, "cut at %zu: message does not say truncated: %s",
                  cuts[i], sl_last_error());
    }
    printf("  truncation: %d cut points rejected\n", n);
}

/* Every single-byte change to the header and section headers, and a sample of payload bytes,
 * must be noticed. */
static void test_flips(const bytes *valid) {
    int n = 0;
    bytes b = copy_bytes(*valid);
    size_t off = first_section_offset(valid);
    size_t positions[4096];
    int np = 0;
    for (size_t i = 0; i < off; i++) positions[np++] = i;
    for (uint32_t s = 0; s < get_u32(valid->data + 20); s++) {
        for (size_t i = 0; i < 16; i++) positions[np++] = off + i;
        size_t len = (size_t)get_u64(valid->data + off + 8);
        for (size_t i = 0; i < len && np < 4000; i += 1 + len / 23) positions[np++] = off + 16 + i;
        off += 16 + len;
    }
    for (int p = 0; p < np; p++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b.data[positions[p]] ^= (uint8_t)(1 << bit);
            sl_status st = load_bytes(&b, 1);
            CHECK(st == SL_ERR_CORRUPT || st == SL_ERR_UNSUPPORTED, "flipping bit %d of byte %zu was accepted (%s)",
                  bit, positions[p], sl_status_name(st));
            b.data[positions[p]] ^= (uint8_t)(1 << bit);
            n++;
        }
    }
    CHECK(memcmp(b.data, valid->data, valid->len) == 0, "test bug: bytes not restored");
    free(b.data);
    printf("  bit flips: %d rejected\n", n);
}

/* A section a later revision might add is skipped, not fatal. */
static void test_unknown_section_is_skipped(const bytes *valid) {
    bytes b = {malloc(valid->len + 16 + 5), valid->len + 16 + 5};
    memcpy(b.data, valid->data, valid->len);
    uint8_t *s = b.data + valid->len;
    set_u32(s, SL_CHECKPOINT_TAG('N', 'O', 'T', 'E'));
    memcpy(s + 16, "hello", 5);
    set_u32(s + 4, sl_crc32(0, "hello", 5));
    set_u64(s + 8, 5);
    set_u32(b.data + 20, get_u32(b.data + 20) + 1);
    CHECK(load_bytes(&b, 1) == SL_OK, "an unknown extra section was fatal: %s", sl_last_error());
    s[16] ^= 1; /* but its checksum still counts */
    CHECK(load_bytes(&b, 1) == SL_ERR_CORRUPT, "a damaged unknown section was accepted");
    free(b.data);
}

/* Half-precision weights decode to the values they encode. */
static void test_half_precision_weights(const fixture *f, const bytes *valid) {
    size_t n = f->model->num_params;
    uint8_t *half = malloc(2 * n);
    /* bf16: the top half of each f32 (truncation), f16: a cycle of known values */
    static const uint16_t f16_bits[] = {0x3C00, 0xC000, 0x3800, 0x0001, 0x8000, 0x7BFF};
    static const float f16_values[] = {1.0f, -2.0f, 0.5f, 5.9604644775390625e-8f, -0.0f, 65504.0f};
    for (int dtype = SL_CHECKPOINT_DTYPE_BF16; dtype <= SL_CHECKPOINT_DTYPE_F16; dtype++) {
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &f->model->params_memory[i], 4);
            uint16_t h = dtype == SL_CHECKPOINT_DTYPE_BF16 ? (uint16_t)(u >> 16) : f16_bits[i % 6];
            half[2 * i] = (uint8_t)h;
            half[2 * i + 1] = (uint8_t)(h >> 8);
        }
        bytes b = copy_bytes(*valid);
        set_u32(b.data + 16, (uint32_t)dtype);
        replace_section(&b, SL_TAG_WEIGHTS, half, 2 * n);
        sl_model *m = NULL;
        sl_tokenizer *t = NULL;
        CHECK_OK(sl_checkpoint_load_memory(b.data, b.len, &m, &t, NULL));
        if (m) {
            size_t bad = n;
            for (size_t i = 0; i < n && bad == n; i++) {
                float expect;
                if (dtype == SL_CHECKPOINT_DTYPE_BF16) {
                    uint32_t u;
                    memcpy(&u, &f->model->params_memory[i], 4);
                    u &= 0xFFFF0000u;
                    memcpy(&expect, &u, 4);
                } else {
                    expect = f16_values[i % 6];
                }
                if (memcmp(&expect, &m->params_memory[i], 4) != 0) bad = i;
            }
            CHECK(bad == n, "dtype %d: weight %zu decoded to %g", dtype, bad, bad < n ? m->params_memory[bad] : 0.0);
        }
        sl_model_free(m);
        sl_tokenizer_free(t);
        free(b.data);
    }
    free(half);
}

static void test_io_errors(void) {
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    char path[128];
    path_in_tmp(path, sizeof path, "does-not-exist.ckpt");
    CHECK(sl_checkpoint_load(path, &m, &t, NULL) == SL_ERR_IO && strstr(sl_last_error(), "No such file"),
          "nonexistent path: %s", sl_last_error());
    CHECK(sl_checkpoint_load(tmp_dir, &m, &t, NULL) == SL_ERR_IO && strstr(sl_last_error(), "directory"),
          "directory: %s", sl_last_error());
    path_in_tmp(path, sizeof path, "empty.ckpt");
    bytes empty = {NULL, 0};
    CHECK(write_file(path, &empty), "cannot write %s", path);
    CHECK(sl_checkpoint_load(path, &m, &t, NULL) == SL_ERR_CORRUPT && strstr(sl_last_error(), "empty"),
          "empty file: %s", sl_last_error());
    CHECK(strstr(sl_last_error(), path) != NULL, "the message does not name the file: %s", sl_last_error());
    CHECK(m == NULL && t == NULL, "outputs set after a failed load");
    remove(path);
}

/* Entries in tmp_dir whose name contains ".tmp-": leftovers of a failed save. */
static int count_temp_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static void test_atomic_save(void) {
    fixture f = make_fixture(test_config, 261, 1);
    fixture g = make_fixture(test_config, 261, 0);
    g.model->params_memory[0] += 1.0f; /* tell the two apart */
    char path[128], missing[128];

    path_in_tmp(missing, sizeof missing, "no-such-dir/x.ckpt");
    CHECK(sl_checkpoint_save(missing, f.model, f.tok, NULL) == SL_ERR_IO, "saving into a missing directory: %s",
          sl_last_error());
    CHECK(count_temp_files(tmp_dir) == 0, "a failed save left a temp file");

    /* Saving over a larger file replaces it wholly. */
    path_in_tmp(path, sizeof path, "replace.ckpt");
    bytes junk = {malloc(1 << 20), 1 << 20};
    memset(junk.data, 0xAA, junk.len);
    CHECK(write_file(path, &junk), "cannot write junk");
    free(junk.data);
    CHECK_OK(sl_checkpoint_save(path, f.model, f.tok, f.trainer));
    bytes saved = read_file(path);
    CHECK(saved.len < (1 << 20) && load_bytes(&saved, 1) == SL_OK, "the saved file is not exactly the checkpoint (%zu bytes)",
          saved.len);
    free(saved.data);

#ifdef _WIN32
    printf("skipped on Windows: a full disk (simulated with RLIMIT_FSIZE, which Windows lacks)\n");
    (void)g;
#else
    /* A full disk (simulated by a file-size limit below the checkpoint's size) fails cleanly
     * and leaves the previous checkpoint loadable. */
    struct rlimit old_limit, small;
    getrlimit(RLIMIT_FSIZE, &old_limit);
    small = old_limit;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN); /* report EFBIG from write() rather than kill the process */
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit: %s", strerror(errno));
    sl_status st = sl_checkpoint_save(path, g.model, g.tok, NULL);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(st == SL_ERR_IO && strstr(sl_last_error(), strerror(EFBIG)), "save past the size limit: %s \"%s\"",
          sl_status_name(st), sl_last_error());
    CHECK(count_temp_files(tmp_dir) == 0, "a failed save left a temp file");
    sl_model *m = NULL;
    sl_tokenizer *t = NULL;
    sl_trainer *tr = NULL;
    CHECK_OK(sl_checkpoint_load(path, &m, &t, &tr));
    CHECK(m && memcmp(m->params_memory, f.model->params_memory, f.model->num_params * 4) == 0 && tr,
          "the previous checkpoint was damaged by a failed save");
    sl_trainer_free(tr);
    sl_model_free(m);
    sl_tokenizer_free(t);
#endif

    /* Bad arguments: a trainer of another model, a diverged model, a tokenizer too big. */
    CHECK(sl_checkpoint_save(path, g.model, g.tok, f.trainer) == SL_ERR_INVALID_ARGUMENT,
          "saved a trainer with a model it does not belong to");
    float keep = g.model->params_memory[7];
    g.model->params_memory[7] = 0.0f / 0.0f;
    CHECK(sl_checkpoint_save(path, g.model, g.tok, NULL) == SL_ERR_INVALID_ARGUMENT &&
              strstr(sl_last_error(), "diverged"),
          "saved NaN weights: %s", sl_last_error());
    g.model->params_memory[7] = keep;
    fixture big = make_fixture(test_config, test_config.vocab_size + 5, 0);
    CHECK(sl_checkpoint_save(path, g.model, big.tok, NULL) == SL_ERR_INVALID_ARGUMENT,
          "saved a tokenizer larger than the model's vocab");
    CHECK(count_temp_files(tmp_dir) == 0, "a refused save left a temp file");
    remove(path);
    free_fixture(&big);
    free_fixture(&f);
    free_fixture(&g);
}

/* ---- the committed corpus -------------------------------------------------------------------- */

static void replay_corpus(const char *dir) {
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot open the corpus directory %s: %s", dir, strerror(errno));
    if (!d) return;
    int n_valid = 0, n_hostile = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".md")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        bytes b = read_file(path);
        sl_status st = load_bytes(&b, 1);
        if (strncmp(e->d_name, "valid_", 6) == 0) {
            CHECK(st == SL_OK, "%s should load: %s", path, sl_last_error());
            n_valid++;
        } else {
            CHECK(st == SL_ERR_CORRUPT || st == SL_ERR_UNSUPPORTED, "%s: %s \"%s\"", path, sl_status_name(st),
                  sl_last_error());
            n_hostile++;
        }
        /* and through the file path, as users load, with and without the trainer */
        sl_model *m = NULL;
        sl_tokenizer *t = NULL;
        sl_trainer *tr = NULL;
        sl_status st2 = sl_checkpoint_load(path, &m, &t, &tr);
        CHECK((st2 == SL_OK) == (st == SL_OK), "%s: loads differently from a path", path);
        sl_trainer_free(tr);
        sl_model_free(m);
        sl_tokenizer_free(t);
        m = NULL, t = NULL;
        /* (trainer options are validated by the trainer, so only when one is restored) */
        sl_status st3 = sl_checkpoint_load(path, &m, &t, NULL);
        CHECK((st3 == SL_OK) == (st == SL_OK) || !strcmp(e->d_name, "bad_trainer_options.ckpt"),
              "%s: loads differently without the trainer", path);
        sl_model_free(m);
        sl_tokenizer_free(t);
        free(b.data);
    }
    closedir(d);
    CHECK(n_valid >= 1 && n_hostile >= 10, "corpus looks incomplete: %d valid, %d hostile", n_valid, n_hostile);
    printf("  corpus: %d valid and %d hostile files replayed\n", n_valid, n_hostile);
}

static int write_corpus(const char *dir) {
    fixture f = make_fixture(corpus_config, 261, 1);
    float loss[1];
    step_n(f.trainer, f.data, 1, loss);
    bytes with_trainer = save_bytes(&f, 1), weights_only = save_bytes(&f, 0);
    char path[512];
    int ok = 1;
    snprintf(path, sizeof path, "%s/valid_tiny_trainer.ckpt", dir);
    ok &= write_file(path, &with_trainer);
    snprintf(path, sizeof path, "%s/valid_tiny.ckpt", dir);
    ok &= write_file(path, &weights_only);
    for (int i = 0; i < N_HOSTILE; i++) {
        bytes b = copy_bytes(with_trainer);
        hostile_cases[i].mutate(&b, &f);
        snprintf(path, sizeof path, "%s/%s.ckpt", dir, hostile_cases[i].name);
        ok &= write_file(path, &b);
        free(b.data);
    }
    free(with_trainer.data);
    free(weights_only.data);
    free_fixture(&f);
    if (!ok) fprintf(stderr, "could not write the corpus to %s\n", dir);
    else printf("wrote %d files to %s\n", N_HOSTILE + 2, dir);
    return ok && check_failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    int err = test_make_temp_dir(tmp_dir, sizeof tmp_dir, "sl_ckpt_");
    if (err) {
        fprintf(stderr, "cannot make a temp folder: %s\n", strerror(err));
        return 1;
    }
    int rc;
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
        rc = write_corpus(argv[2]);
    } else {
        test_round_trip_weights_only();
        test_resume_is_exact();
        fixture f = make_fixture(corpus_config, 261, 1);
        float loss[1];
        step_n(f.trainer, f.data, 1, loss);
        bytes valid = save_bytes(&f, 1);
        test_hostile_cases(&f, &valid);
        test_truncation(&valid);
        test_flips(&valid);
        test_unknown_section_is_skipped(&valid);
        test_half_precision_weights(&f, &valid);
        free(valid.data);
        free_fixture(&f);
        test_io_errors();
        test_atomic_save();
        replay_corpus(argc == 2 ? argv[1] : "test/native/corpus");
        rc = check_exit_code("test_checkpoint");
    }
    test_remove_dir(tmp_dir);
    return rc;
}
