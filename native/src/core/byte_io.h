/* byte_io.h: explicit little-endian encoding and a bounds-checked reader, for file formats.
 * Every read checks the bytes left first and fails (returns 0) instead of running past the end,
 * so a parser built on it cannot read out of bounds whatever a file claims. Header-only. */
#ifndef SL_BYTE_IO_H
#define SL_BYTE_IO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
} sl_byte_reader;

static inline sl_byte_reader sl_byte_reader_init(const uint8_t *data, size_t len) {
    sl_byte_reader r = {data, len, 0};
    return r;
}

static inline size_t sl_byte_reader_left(const sl_byte_reader *r) { return r->len - r->pos; }

/* Point *out at the next n bytes and step over them; 0 if fewer than n are left. */
static inline int sl_read_span(sl_byte_reader *r, size_t n, const uint8_t **out) {
    if (n > sl_byte_reader_left(r)) return 0;
    *out = r->data + r->pos;
    r->pos += n;
    return 1;
}

static inline uint32_t sl_decode_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t sl_decode_u64le(const uint8_t *p) {
    return (uint64_t)sl_decode_u32le(p) | (uint64_t)sl_decode_u32le(p + 4) << 32;
}
static inline void sl_encode_u32le(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sl_encode_u64le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline int sl_read_u32(sl_byte_reader *r, uint32_t *out) {
    const uint8_t *p;
    if (!sl_read_span(r, 4, &p)) return 0;
    *out = sl_decode_u32le(p);
    return 1;
}
static inline int sl_read_u64(sl_byte_reader *r, uint64_t *out) {
    const uint8_t *p;
    if (!sl_read_span(r, 8, &p)) return 0;
    *out = sl_decode_u64le(p);
    return 1;
}
static inline int sl_read_i32(sl_byte_reader *r, int32_t *out) {
    uint32_t u;
    if (!sl_read_u32(r, &u)) return 0;
    memcpy(out, &u, 4); /* two's complement reinterpretation without implementation-defined casts */
    return 1;
}
static inline int sl_read_i64(sl_byte_reader *r, int64_t *out) {
    uint64_t u;
    if (!sl_read_u64(r, &u)) return 0;
    memcpy(out, &u, 8);
    return 1;
}
static inline int sl_read_f32(sl_byte_reader *r, float *out) {
    uint32_t u;
    if (!sl_read_u32(r, &u)) return 0;
    memcpy(out, &u, 4);
    return 1;
}

/* A small append-only buffer with a fixed capacity, for fixed-layout records (headers, config,
 * trainer options). Overflowing it is a programming error that sets ok = 0 rather than writing
 * past the end. */
typedef struct {
    uint8_t *data;
    size_t cap;
    size_t len;
    int ok;
} sl_byte_writer;

static inline sl_byte_writer sl_byte_writer_init(uint8_t *data, size_t cap) {
    sl_byte_writer w = {data, cap, 0, 1};
    return w;
}
static inline uint8_t *sl_write_span(sl_byte_writer *w, size_t n) {
    if (!w->ok || n > w->cap - w->len) {
        w->ok = 0;
        return NULL;
    }
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
}
static inline void sl_write_bytes(sl_byte_writer *w, const void *src, size_t n) {
    uint8_t *p = sl_write_span(w, n);
    if (p) memcpy(p, src, n);
}
static inline void sl_write_u32(sl_byte_writer *w, uint32_t v) {
    uint8_t *p = sl_write_span(w, 4);
    if (p) sl_encode_u32le(p, v);
}
static inline void sl_write_u64(sl_byte_writer *w, uint64_t v) {
    uint8_t *p = sl_write_span(w, 8);
    if (p) sl_encode_u64le(p, v);
}
static inline void sl_write_i32(sl_byte_writer *w, int32_t v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    sl_write_u32(w, u);
}
static inline void sl_write_i64(sl_byte_writer *w, int64_t v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    sl_write_u64(w, u);
}
static inline void sl_write_f32(sl_byte_writer *w, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    sl_write_u32(w, u);
}
#endif
