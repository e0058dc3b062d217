/* attention_flash.h: what the fused attention's fp32 kernels (attention_flash.c) and its AVX512-BF16
 * kernels (attention_flash_avx512.c) share: the tile sizes, the work description, and the
 * per-row online-softmax steps, which stay fp32 in both. Internal to those two files. */
#ifndef SL_ATTENTION_FLASH_H
#define SL_ATTENTION_FLASH_H
#include "core/vectorize.h"

#include <stddef.h>

enum { SL_FLASH_BR = 32, SL_FLASH_BC = 32, SL_FLASH_GROUP = 4 }; /* query rows, keys per tile; rows per micro-kernel */

typedef struct {
    float *out, *lse, *dqkv;
    const float *qkv, *dout, *out_in, *lse_in;
    int B, T, C, NH, hs, Tp, tiles; /* Tp: padded row stride of a transposed head; tiles: query tiles per head */
    float *scratch;                 /* per thread: scratch_floats each */
    size_t scratch_floats;
    int *cached; /* forward, per thread: the (b, h) whose keys are in scratch, and how many */
    int bf16;    /* the AVX512-BF16 kernels run the tiles */
} sl_flash_ctx;

/* p[j] = e^(p[j] - shift) for j < valid, 0 for valid <= j < BC; returns the sum. Fixed-width
 * loops so the compiler vectorises them; the sum adds 16 partials in a fixed order. */
static inline __attribute__((always_inline)) float sl_flash_exp_row(float *p, int valid, float shift) {
    for (int j = 0; j < SL_FLASH_BC; j++) p[j] = j < valid ? sl_exp_approx(p[j] - shift) : 0.0f;
    float partial[16];
    for (int k = 0; k < 16; k++) partial[k] = p[k] + p[k + 16];
    float sum = 0.0f;
    for (int k = 0; k < 16; k++) sum += partial[k];
    return sum;
}

/* Largest of p[0..valid) and `floor`. Over the whole tile with the masked keys replaced by
 * `floor`, in 16 lanes, so it vectorises (a max into one scalar would not, without fast-math). */
static inline __attribute__((always_inline)) float sl_flash_row_max(const float *p, int valid, float floor) {
    float partial[16];
    for (int k = 0; k < 16; k++) {
        float a = k < valid ? p[k] : floor, b = k + 16 < valid ? p[k + 16] : floor;
        a = a > b ? a : b;
        partial[k] = a > floor ? a : floor;
    }
    float m = floor;
    for (int k = 0; k < 16; k++) m = partial[k] > m ? partial[k] : m;
    return m;
}

/* The AVX512-BF16 kernels (attention_flash_avx512.c): the same tiles with bf16 products. */
void sl_flash_forward_tile_bf16(const sl_flash_ctx *c, int task, float *scratch, int *cached);
void sl_flash_backward_head_bf16(const sl_flash_ctx *c, int bh, float *scratch);
#endif
