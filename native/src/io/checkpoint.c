/* checkpoint.c: saving and loading checkpoints (layout in checkpoint_format.h).
 *
 * Saving is atomic: the file is written to a temporary name in the same directory, flushed to
 * disk and renamed over the target, so a crash or a full disk leaves the previous checkpoint
 * whole. Loading trusts nothing in the file: every length is compared with the bytes actually
 * present before it is used, so a lying header can neither read out of bounds nor make us
 * allocate more than the file could fill. */
#include "core/byte_io.h"
#include "io/checkpoint_format.h"
#include "core/crc32.h"
#include "core/error.h"
#include "core/platform.h"
#include "model/model.h"
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ------------------------------------------------------------------------- */

/* 17301504 -> "17,301,504": sizes in messages are read by people. */
static const char *with_commas(uint64_t n, char buf[32]) {
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n), o = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *section_name(uint32_t tag) {
    switch (tag) {
    case SL_TAG_CONFIG: return "config";
    case SL_TAG_TOKENIZER: return "tokenizer";
    case SL_TAG_WEIGHTS: return "weights";
    case SL_TAG_TRAINER_STATE: return "trainer state";
    case SL_TAG_ADAM_M: return "optimizer first-moment";
    case SL_TAG_ADAM_V: return "optimizer second-moment";
    }
    return "unknown";
}

static const char *const dtype_names[SL_CHECKPOINT_DTYPE_COUNT] = {"f32", "bf16", "f16"};
static const size_t dtype_bytes[SL_CHECKPOINT_DTYPE_COUNT] = {4, 2, 2};

/* Index of the first non-finite value in x[0..n), or n if all are finite. */
static size_t first_non_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

/* Which parameter tensor element i of the flat array falls in (for messages). */
static void locate_param(const sl_config *config, size_t i, const char **tensor, size_t *offset) {
    size_t sizes[SL_NUM_PARAM_TENSORS];
    sl_param_sizes(config, sizes);
    for (int t = 0; t < SL_NUM_PARAM_TENSORS; t++) {
        if (i < sizes[t]) {
            *tensor = sl_param_tensor_name(t);
            *offset = i;
            return;
        }
        i -= sizes[t];
    }
    *tensor = "?";
    *offset = i;
}

/* The trainer state record: progress, RNG, and the options field by field (never the raw
 * struct, whose padding and layout belong to the compiler). */
static void encode_trainer_state(const sl_trainer *t, uint8_t out[SL_CHECKPOINT_TRAINER_STATE_BYTES]) {
    sl_byte_writer w = sl_byte_writer_init(out, SL_CHECKPOINT_TRAINER_STATE_BYTES);
    const sl_train_options *o = &t->opts;
    sl_write_i64(&w, t->step);
    sl_write_i64(&w, t->tokens_seen);
    sl_write_u64(&w, t->rng_state);
    sl_write_i32(&w, o->batch_size);
    sl_write_i32(&w, o->seq_len);
    sl_write_i32(&w, o->grad_accum_steps);
    sl_write_f32(&w, o->learning_rate);
    sl_write_f32(&w, o->min_lr_ratio);
    sl_write_i32(&w, o->warmup_steps);
    sl_write_i32(&w, o->total_steps);
    sl_write_f32(&w, o->weight_decay);
    sl_write_f32(&w, o->beta1);
    sl_write_f32(&w, o->beta2);
    sl_write_f32(&w, o->eps);
    sl_write_f32(&w, o->grad_clip);
    sl_write_f32(&w, o->fim_rate);
    sl_write_f32(&w, o->fim_spm_rate);
    sl_write_u64(&w, o->seed);
}

typedef struct {
    int64_t step, tokens_seen;
    uint64_t rng_state;
    sl_train_options opts;
} trainer_state;

static int decode_trainer_state(const uint8_t *bytes, trainer_state *s) {
    sl_byte_reader r = sl_byte_reader_init(bytes, SL_CHECKPOINT_TRAINER_STATE_BYTES);
    sl_train_options *o = &s->opts;
    sl_train_options_default(o); /* fields a later version adds keep their defaults */
    return sl_read_i64(&r, &s->step) && sl_read_i64(&r, &s->tokens_seen) &&
           sl_read_u64(&r, &s->rng_state) && sl_read_i32(&r, &o->batch_size) &&
           sl_read_i32(&r, &o->seq_len) && sl_read_i32(&r, &o->grad_accum_steps) &&
           sl_read_f32(&r, &o->learning_rate) && sl_read_f32(&r, &o->min_lr_ratio) &&
           sl_read_i32(&r, &o->warmup_steps) && sl_read_i32(&r, &o->total_steps) &&
           sl_read_f32(&r, &o->weight_decay) && sl_read_f32(&r, &o->beta1) &&
           sl_read_f32(&r, &o->beta2) && sl_read_f32(&r, &o->eps) &&
           sl_read_f32(&r, &o->grad_clip) && sl_read_f32(&r, &o->fim_rate) &&
           sl_read_f32(&r, &o->fim_spm_rate) && sl_read_u64(&r, &o->seed) &&
           sl_byte_reader_left(&r) == 0;
}

/* ---- saving --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t tag;
    const void *payload;
    size_t len;
} section;

/* Writes through stdio, remembering the first failure's errno so the message can say why. */
typedef struct {
    FILE *f;
    int err;
} file_writer;

static void put(file_writer *w, const void *data, size_t len) {
    if (w->err || len == 0) return;
    if (fwrite(data, 1, len, w->f) != len) w->err = errno ? errno : EIO;
}

static void put_section(file_writer *w, const section *s) {
    uint8_t head[SL_CHECKPOINT_SECTION_HEADER_BYTES];
    sl_encode_u32le(head, s->tag);
    sl_encode_u32le(head + 4, sl_crc32(0, s->payload, s->len));
    sl_encode_u64le(head + 8, (uint64_t)s->len);
    put(w, head, sizeof head);
    put(w, s->payload, s->len);
}

/* Write sections to path atomically. */
static sl_status write_file_atomically(const char *path, uint32_t dtype, const section *sections,
                                       int n_sections) {
    size_t tmp_len = strlen(path) + 32;
    char *tmp = malloc(tmp_len);
    if (!tmp) return sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory for a temp file name");
    /* An unpredictable name, created exclusively, readable by the user only: nobody can plant a
     * link under the name first, and the weights (which memorise the user's code) stay private;
     * rename keeps the mode. ".tmp-" marks leftovers of a killed save. */
    snprintf(tmp, tmp_len, "%s.tmp-XXXXXX", path);
    file_writer w = {NULL, 0};
    int err = sl_file_create_temp(tmp, &w.f);
    if (err) {
        sl_status st = sl_fail(SL_ERR_IO, "cannot create checkpoint temp file '%s': %s", tmp, strerror(err));
        free(tmp);
        return st;
    }
    {
        uint8_t head[SL_CHECKPOINT_PREAMBLE_BYTES + SL_CHECKPOINT_HEADER_V1_BYTES];
        memcpy(head, SL_CHECKPOINT_MAGIC, SL_CHECKPOINT_MAGIC_BYTES);
        sl_encode_u32le(head + 8, SL_CHECKPOINT_VERSION);
        sl_encode_u32le(head + 12, SL_CHECKPOINT_HEADER_V1_BYTES);
        sl_encode_u32le(head + 16, dtype);
        sl_encode_u32le(head + 20, (uint32_t)n_sections);
        put(&w, head, sizeof head);
        for (int i = 0; i < n_sections; i++) put_section(&w, &sections[i]);
        /* A full disk often shows only here, when stdio hands its buffer to the kernel. */
        if (!w.err) w.err = sl_file_sync(w.f);
        if (fclose(w.f) != 0 && !w.err) w.err = errno;
    }
    if (!w.err) w.err = sl_file_replace(tmp, path);
    if (w.err) {
        sl_file_remove(tmp);
        sl_status st = sl_fail(SL_ERR_IO, "cannot write checkpoint '%s': %s (the previous file, if any, is unchanged)",
                               path, strerror(w.err));
        free(tmp);
        return st;
    }
    free(tmp);
    err = sl_file_sync_parent_dir(path);
    if (err) return sl_fail(SL_ERR_IO, "checkpoint '%s' written but its directory could not be synced: %s", path, strerror(err));
    return SL_OK;
}

sl_status sl_checkpoint_save(const char *path, const sl_model *model, const sl_tokenizer *tok,
                             const sl_trainer *trainer) {
    if (!path || !*path || !model || !tok)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_save: path, model and tokenizer are required");
    if (trainer && trainer->model != model)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_save: the trainer belongs to a different model");
    if (trainer && (!trainer->adam_m || !trainer->adam_v))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_save: the trainer has no optimizer state");
    /* A trainer on CUDA holds the current weights and moments on the GPU. */
    sl_status synced = trainer ? trainer->backend->sync(trainer->backend) : SL_OK;
    if (synced != SL_OK) return synced;
    const sl_config *config = &model->config;
    if (sl_tokenizer_vocab_size(tok) > config->vocab_size)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_save: tokenizer vocab %d exceeds the model's %d",
                       sl_tokenizer_vocab_size(tok), config->vocab_size);
    /* Refuse to replace a good checkpoint with one that could never be loaded back. */
    size_t bad = first_non_finite(model->params_memory, model->num_params);
    if (bad < model->num_params) {
        const char *tensor;
        size_t offset;
        locate_param(config, bad, &tensor, &offset);
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_save: weight %s[%zu] is %g; not saving a diverged model",
                       tensor, offset, (double)model->params_memory[bad]);
    }

    uint8_t config_bytes[SL_CHECKPOINT_CONFIG_BYTES];
    sl_byte_writer cw = sl_byte_writer_init(config_bytes, sizeof config_bytes);
    sl_write_i32(&cw, config->vocab_size);
    sl_write_i32(&cw, config->context_length);
    sl_write_i32(&cw, config->d_model);
    sl_write_i32(&cw, config->n_layers);
    sl_write_i32(&cw, config->n_heads);

    uint8_t *tok_blob = NULL;
    size_t tok_len = 0;
    sl_status st = sl_tokenizer_serialize(tok, &tok_blob, &tok_len);
    if (st != SL_OK) return st;

    size_t weight_bytes = model->num_params * sizeof(float);
    uint8_t trainer_bytes[SL_CHECKPOINT_TRAINER_STATE_BYTES];
    section sections[6] = {
        {SL_TAG_CONFIG, config_bytes, sizeof config_bytes},
        {SL_TAG_TOKENIZER, tok_blob, tok_len},
        {SL_TAG_WEIGHTS, model->params_memory, weight_bytes},
    };
    int n = 3;
    if (trainer) {
        encode_trainer_state(trainer, trainer_bytes);
        sections[n++] = (section){SL_TAG_TRAINER_STATE, trainer_bytes, sizeof trainer_bytes};
        sections[n++] = (section){SL_TAG_ADAM_M, trainer->adam_m, weight_bytes};
        sections[n++] = (section){SL_TAG_ADAM_V, trainer->adam_v, weight_bytes};
    }
    st = write_file_atomically(path, SL_CHECKPOINT_DTYPE_F32, sections, n);
    sl_free(tok_blob);
    return st;
}

/* ---- loading -------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *payload; /* NULL: absent */
    size_t len;
} found_section;

typedef struct {
    uint32_t dtype;
    sl_config config;
    found_section config_s, tokenizer_s, weights_s, trainer_s, adam_m_s, adam_v_s;
} parsed_file;

static found_section *slot_for(parsed_file *p, uint32_t tag) {
    switch (tag) {
    case SL_TAG_CONFIG: return &p->config_s;
    case SL_TAG_TOKENIZER: return &p->tokenizer_s;
    case SL_TAG_WEIGHTS: return &p->weights_s;
    case SL_TAG_TRAINER_STATE: return &p->trainer_s;
    case SL_TAG_ADAM_M: return &p->adam_m_s;
    case SL_TAG_ADAM_V: return &p->adam_v_s;
    }
    return NULL;
}

/* Magic, version and header length: the first SL_CHECKPOINT_PREAMBLE_BYTES. `len` is the file's
 * length when less, so a short file gets the same message from a path as from memory. */
static sl_status check_preamble(const uint8_t *bytes, size_t len, uint32_t *out_header_len) {
    if (len == 0) return sl_fail(SL_ERR_CORRUPT, "checkpoint is empty (0 bytes)");
    if (len < SL_CHECKPOINT_MAGIC_BYTES || memcmp(bytes, SL_CHECKPOINT_MAGIC, SL_CHECKPOINT_MAGIC_BYTES) != 0)
        return sl_fail(SL_ERR_CORRUPT, "not a Seedling checkpoint (the file does not start with \"SEEDLING\")");
    if (len < SL_CHECKPOINT_PREAMBLE_BYTES)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint truncated: the header needs %d bytes, file has %zu",
                       SL_CHECKPOINT_PREAMBLE_BYTES, len);
    uint32_t version = sl_decode_u32le(bytes + SL_CHECKPOINT_MAGIC_BYTES);
    uint32_t header_len = sl_decode_u32le(bytes + SL_CHECKPOINT_MAGIC_BYTES + 4);
    if (version > SL_CHECKPOINT_VERSION)
        return sl_fail(SL_ERR_UNSUPPORTED, "checkpoint file version %u is newer than this engine supports (%u)",
                       version, SL_CHECKPOINT_VERSION);
    if (version == 0) return sl_fail(SL_ERR_CORRUPT, "checkpoint has format version 0, which never existed");
    if (header_len < SL_CHECKPOINT_HEADER_V1_BYTES)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint header length %u is shorter than version %u's %d bytes",
                       header_len, version, SL_CHECKPOINT_HEADER_V1_BYTES);
    *out_header_len = header_len;
    return SL_OK;
}

/* Read the preamble, header and the table of sections, checking bounds and CRCs. */
static sl_status parse_container(const uint8_t *bytes, size_t len, parsed_file *p) {
    char a[32], b[32];
    uint32_t header_len, n_sections;
    sl_status pre = check_preamble(bytes, len, &header_len);
    if (pre != SL_OK) return pre;
    sl_byte_reader r = sl_byte_reader_init(bytes, len);
    r.pos = SL_CHECKPOINT_PREAMBLE_BYTES;
    const uint8_t *header;
    if (!sl_read_span(&r, header_len, &header))
        return sl_fail(SL_ERR_CORRUPT, "checkpoint truncated: the header needs %s bytes, file has %s left",
                       with_commas(header_len, a), with_commas(sl_byte_reader_left(&r), b));
    p->dtype = sl_decode_u32le(header);
    n_sections = sl_decode_u32le(header + 4);
    if (p->dtype >= SL_CHECKPOINT_DTYPE_COUNT)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint header names weight dtype %u, which does not exist", p->dtype);
    if (n_sections == 0 || n_sections > SL_CHECKPOINT_MAX_SECTIONS)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint header claims %u sections (expected 1 to %d)", n_sections,
                       SL_CHECKPOINT_MAX_SECTIONS);

    for (uint32_t i = 0; i < n_sections; i++) {
        const uint8_t *head, *payload;
        if (!sl_read_span(&r, SL_CHECKPOINT_SECTION_HEADER_BYTES, &head))
            return sl_fail(SL_ERR_CORRUPT, "checkpoint truncated: section %u of %u is missing (file has %zu bytes left)",
                           i + 1, n_sections, sl_byte_reader_left(&r));
        uint32_t tag = sl_decode_u32le(head), crc = sl_decode_u32le(head + 4);
        uint64_t section_len = sl_decode_u64le(head + 8);
        const char *name = section_name(tag);
        if (section_len > sl_byte_reader_left(&r))
            return sl_fail(SL_ERR_CORRUPT, "checkpoint truncated: %s section needs %s bytes, file has %s left", name,
                           with_commas(section_len, a), with_commas(sl_byte_reader_left(&r), b));
        sl_read_span(&r, (size_t)section_len, &payload);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        /* (Fuzz builds skip this so mutations reach the parsers behind it.) */
        uint32_t actual = sl_crc32(0, payload, (size_t)section_len);
        if (actual != crc)
            return sl_fail(SL_ERR_CORRUPT, "checkpoint damaged: %s section (section %u) fails its checksum (CRC-32 %08x, header says %08x)",
                           name, i + 1, actual, crc);
#else
        (void)crc;
#endif
        found_section *slot = slot_for(p, tag);
        if (!slot) continue; /* a section from a later minor revision; its CRC was fine */
        if (slot->payload) return sl_fail(SL_ERR_CORRUPT, "checkpoint has two %s sections", name);
        slot->payload = payload;
        slot->len = (size_t)section_len;
    }
    if (sl_byte_reader_left(&r) != 0)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint has %s unexpected bytes after its last section",
                       with_commas(sl_byte_reader_left(&r), a));
    if (!p->config_s.payload) return sl_fail(SL_ERR_CORRUPT, "checkpoint has no config section");
    if (!p->tokenizer_s.payload) return sl_fail(SL_ERR_CORRUPT, "checkpoint has no tokenizer section");
    if (!p->weights_s.payload) return sl_fail(SL_ERR_CORRUPT, "checkpoint has no weights section");
    return SL_OK;
}

/* Copy a failure message aside before wrapping it: sl_fail may not format from its own buffer. */
static sl_status wrap_error(sl_status status, const char *context) {
    char inner[512];
    snprintf(inner, sizeof inner, "%s", sl_last_error());
    return sl_fail(status, "%s: %s", context, inner);
}

static sl_status parse_config(const parsed_file *p, sl_config *c) {
    if (p->config_s.len != SL_CHECKPOINT_CONFIG_BYTES)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint config section has %zu bytes, expected %d", p->config_s.len,
                       SL_CHECKPOINT_CONFIG_BYTES);
    sl_byte_reader r = sl_byte_reader_init(p->config_s.payload, p->config_s.len);
    sl_read_i32(&r, &c->vocab_size);
    sl_read_i32(&r, &c->context_length);
    sl_read_i32(&r, &c->d_model);
    sl_read_i32(&r, &c->n_layers);
    sl_read_i32(&r, &c->n_heads);
    if (sl_config_validate(c) != SL_OK) return wrap_error(SL_ERR_CORRUPT, "checkpoint has an invalid model config");
    return SL_OK;
}

/* Checks a tensor section's length against what the config implies. */
static sl_status check_tensor_len(const found_section *s, uint32_t tag, size_t num_params, size_t elem_bytes,
                                  const char *dtype) {
    char a[32], b[32], c[32];
    if (num_params > SIZE_MAX / elem_bytes || s->len != num_params * elem_bytes)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint %s section has %s bytes; the config's %s parameters as %s need %s",
                       section_name(tag), with_commas(s->len, a), with_commas(num_params, b), dtype,
                       with_commas((uint64_t)num_params * elem_bytes, c));
    return SL_OK;
}

static float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, u;
    if (exp == 0x1F) u = sign | 0x7F800000u | mant << 13; /* inf / nan */
    else if (exp != 0) u = sign | (exp + 112) << 23 | mant << 13;
    else if (mant == 0) u = sign;
    else {
        /* subnormal: renormalise */
        exp = 113;
        while (!(mant & 0x400)) {
            mant <<= 1;
            exp--;
        }
        u = sign | exp << 23 | (mant & 0x3FF) << 13;
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void decode_weights(float *dst, const uint8_t *src, size_t n, uint32_t dtype) {
    if (dtype == SL_CHECKPOINT_DTYPE_F32) {
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        dst[i] = dtype == SL_CHECKPOINT_DTYPE_BF16 ? bf16_to_f32(h) : f16_to_f32(h);
    }
}

static sl_status check_finite(const float *x, size_t n, const sl_config *config, const char *what) {
    size_t bad = first_non_finite(x, n);
    if (bad == n) return SL_OK;
    const char *tensor;
    size_t offset;
    locate_param(config, bad, &tensor, &offset);
    return sl_fail(SL_ERR_CORRUPT, "checkpoint %s hold a non-finite value (%g) at %s[%zu]", what, (double)x[bad],
                   tensor, offset);
}

/* Moments straight from the file's bytes, checked whether or not a trainer is being restored, so
 * a file is valid or not regardless of what the caller asks of it. The second moments are running
 * means of squares: a negative one would poison the sqrt() of the next step. */
static sl_status check_moments(const found_section *s, size_t n, const sl_config *config, int second) {
    for (size_t i = 0; i < n; i++) {
        float x;
        memcpy(&x, s->payload + 4 * i, 4);
        if (isfinite(x) && (!second || x >= 0.0f)) continue;
        const char *tensor;
        size_t offset;
        locate_param(config, i, &tensor, &offset);
        return sl_fail(SL_ERR_CORRUPT, "checkpoint optimizer %s moments hold %s (%g) at %s[%zu]",
                       second ? "second" : "first", isfinite(x) ? "a negative value" : "a non-finite value",
                       (double)x, tensor, offset);
    }
    return SL_OK;
}

static sl_status check_trainer_sections(const parsed_file *p, size_t num_params, trainer_state *s) {
    if (p->trainer_s.len != SL_CHECKPOINT_TRAINER_STATE_BYTES || !decode_trainer_state(p->trainer_s.payload, s))
        return sl_fail(SL_ERR_CORRUPT, "checkpoint trainer state section has %zu bytes, expected %d", p->trainer_s.len,
                       SL_CHECKPOINT_TRAINER_STATE_BYTES);
    if (s->step < 0 || s->tokens_seen < 0)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint trainer state has negative progress (step %lld, tokens %lld)",
                       (long long)s->step, (long long)s->tokens_seen);
    if (s->rng_state == 0)
        return sl_fail(SL_ERR_CORRUPT, "checkpoint trainer state has a zero random state, which the generator never reaches");
    sl_status st = check_tensor_len(&p->adam_m_s, SL_TAG_ADAM_M, num_params, sizeof(float), "f32");
    if (st == SL_OK) st = check_tensor_len(&p->adam_v_s, SL_TAG_ADAM_V, num_params, sizeof(float), "f32");
    if (st == SL_OK) st = check_moments(&p->adam_m_s, num_params, &p->config, 0);
    if (st == SL_OK) st = check_moments(&p->adam_v_s, num_params, &p->config, 1);
    return st;
}

/* The trainer's own constructor validates the options (only here: it allocates the optimizer
 * state, which a caller that wants just the model should not pay for) and allocates what its
 * free releases; then the saved progress and moments replace the fresh ones. */
static sl_status restore_trainer(const parsed_file *p, const trainer_state *s, sl_model *model, sl_trainer **out) {
    sl_trainer *t = NULL;
    sl_status st = sl_trainer_create(model, &s->opts, &t);
    if (st != SL_OK)
        return wrap_error(st == SL_ERR_OUT_OF_MEMORY ? st : SL_ERR_CORRUPT, "checkpoint trainer options are not usable");
    memcpy(t->adam_m, p->adam_m_s.payload, model->num_params * sizeof(float));
    memcpy(t->adam_v, p->adam_v_s.payload, model->num_params * sizeof(float));
    t->step = s->step;
    t->tokens_seen = s->tokens_seen;
    t->rng_state = s->rng_state;
    *out = t;
    return SL_OK;
}

sl_status sl_checkpoint_load_memory(const uint8_t *bytes, size_t len, sl_model **out_model,
                                    sl_tokenizer **out_tok, sl_trainer **out_trainer) {
    if (out_model) *out_model = NULL;
    if (out_tok) *out_tok = NULL;
    if (out_trainer) *out_trainer = NULL;
    if ((!bytes && len) || !out_model || !out_tok)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_load_memory: bytes, out_model and out_tok are required");

    parsed_file p;
    memset(&p, 0, sizeof p);
    sl_status st = parse_container(bytes, len, &p);
    if (st == SL_OK) st = parse_config(&p, &p.config);
    if (st != SL_OK) return st;

    /* Every length is checked against the config before anything is allocated: the model we
     * allocate is never larger than the bytes the file really holds. */
    size_t num_params = sl_config_num_params(&p.config);
    st = check_tensor_len(&p.weights_s, SL_TAG_WEIGHTS, num_params, dtype_bytes[p.dtype], dtype_names[p.dtype]);
    if (st != SL_OK) return st;
    int has_trainer = p.trainer_s.payload != NULL;
    if (has_trainer != (p.adam_m_s.payload != NULL) || has_trainer != (p.adam_v_s.payload != NULL))
        return sl_fail(SL_ERR_CORRUPT, "checkpoint has only part of the training state (trainer state %s, first moments %s, second moments %s)",
                       has_trainer ? "present" : "missing", p.adam_m_s.payload ? "present" : "missing",
                       p.adam_v_s.payload ? "present" : "missing");
    trainer_state state = {0};
    if (has_trainer && (st = check_trainer_sections(&p, num_params, &state)) != SL_OK) return st;

    sl_tokenizer *tok = NULL;
    sl_model *model = NULL;
    sl_trainer *trainer = NULL;
    st = sl_tokenizer_deserialize(p.tokenizer_s.payload, p.tokenizer_s.len, &tok);
    if (st != SL_OK)
        return wrap_error(st == SL_ERR_OUT_OF_MEMORY || st == SL_ERR_UNSUPPORTED ? st : SL_ERR_CORRUPT,
                          "checkpoint tokenizer section is invalid");
    if (sl_tokenizer_vocab_size(tok) > p.config.vocab_size) {
        st = sl_fail(SL_ERR_CORRUPT, "checkpoint tokenizer has %d tokens but the model only %d", sl_tokenizer_vocab_size(tok),
                     p.config.vocab_size);
        goto fail;
    }
    st = sl_model_alloc(&p.config, &model);
    if (st != SL_OK) goto fail;
    decode_weights(model->params_memory, p.weights_s.payload, num_params, p.dtype);
    st = check_finite(model->params_memory, num_params, &p.config, "weights");
    if (st != SL_OK) goto fail;
    if (has_trainer && out_trainer) {
        st = restore_trainer(&p, &state, model, &trainer);
        if (st != SL_OK) goto fail;
    }
    *out_model = model;
    *out_tok = tok;
    if (out_trainer) *out_trainer = trainer;
    return SL_OK;
fail:
    sl_model_free(model);
    sl_tokenizer_free(tok);
    return st;
}

/* The preamble and the size bound, before a byte of the body is read or allocated for. */
static sl_status check_file_head(FILE *f, const char *path, uint64_t size) {
    uint8_t pre[SL_CHECKPOINT_PREAMBLE_BYTES];
    size_t want = size < sizeof pre ? (size_t)size : sizeof pre;
    size_t got = fread(pre, 1, want, f);
    if (got < want)
        return sl_fail(SL_ERR_IO, "cannot read checkpoint '%s': %s", path, ferror(f) ? strerror(errno) : "it got shorter");
    uint32_t header_len;
    sl_status st = check_preamble(pre, got, &header_len);
    if (st != SL_OK) {
        char inner[512];
        snprintf(inner, sizeof inner, "%s", sl_last_error());
        return sl_fail(st, "%s: %s", path, inner);
    }
    char a[32], b[32];
    if (size > SL_CHECKPOINT_MAX_FILE_BYTES)
        return sl_fail(SL_ERR_CORRUPT, "%s: checkpoint is %s bytes, larger than any model this engine makes (%s); not read",
                       path, with_commas(size, a), with_commas(SL_CHECKPOINT_MAX_FILE_BYTES, b));
    return SL_OK;
}

sl_status sl_checkpoint_load(const char *path, sl_model **out_model, sl_tokenizer **out_tok,
                             sl_trainer **out_trainer) {
    if (out_model) *out_model = NULL;
    if (out_tok) *out_tok = NULL;
    if (out_trainer) *out_trainer = NULL;
    if (!path || !out_model || !out_tok)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_checkpoint_load: path, out_model and out_tok are required");
    FILE *f = NULL;
    uint64_t size = 0;
    int err = sl_file_open_regular(path, &f, &size);
    if (err == EISDIR || err == ENODEV)
        return sl_fail(SL_ERR_IO, "checkpoint '%s' is %s, not a regular file", path,
                       err == EISDIR ? "a directory" : "a device, pipe or socket");
    if (err) return sl_fail(SL_ERR_IO, "cannot open checkpoint '%s': %s", path, strerror(err));
    sl_status head = check_file_head(f, path, size);
    if (head != SL_OK) {
        fclose(f);
        return head;
    }
    size_t len = (size_t)size;
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes) {
        fclose(f);
        return sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory reading checkpoint '%s' (%zu bytes)", path, len);
    }
    /* The whole file from the start (the head was read to check it). */
    size_t got = fseek(f, 0, SEEK_SET) == 0 ? fread(bytes, 1, len, f) : 0;
    if (got < len) {
        int rerr = ferror(f) ? errno : 0;
        fclose(f);
        free(bytes);
        return sl_fail(SL_ERR_IO, "cannot read checkpoint '%s': %s", path,
                       rerr ? strerror(rerr) : "the file got shorter while being read");
    }
    fclose(f);
    sl_status st = sl_checkpoint_load_memory(bytes, len, out_model, out_tok, out_trainer);
    free(bytes);
    if (st != SL_OK && st != SL_ERR_OUT_OF_MEMORY) {
        char inner[512];
        snprintf(inner, sizeof inner, "%s", sl_last_error());
        sl_fail(st, "%s: %s", path, inner);
    }
    return st;
}
