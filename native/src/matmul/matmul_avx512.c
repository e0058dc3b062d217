/* matmul_avx512.c: AVX-512 matmul kernels (compiled with -mavx512f ... -mfma, chosen at run time).
 *
 * Tile: 6 rows x 64 columns = 24 zmm accumulators; per k, 4 vector loads of the packed B panel and
 * 6 broadcasts of A feed 24 FMAs, so the FMA pipe (one 512-bit FMA per cycle on Zen 4) stays busy
 * with loads to spare. 24 accumulators + 4 B vectors + 1 broadcast fit the 32 zmm registers. */
#include "matmul/matmul_kernels.h"
#include <immintrin.h>

enum { MR = 6, NV = 4, NR = 16 * NV };

/* Shared by the fp32 and bf16 tiles (always inlined, so the accumulators stay in registers). */
static inline __attribute__((always_inline)) void zero_tile(__m512 acc[MR][NV]) {
    #pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
}

/* c = acc + (c if accumulating, else bias or 0), for the MR x NR tile at c. */
static inline __attribute__((always_inline)) void store_tile(__m512 acc[MR][NV], float *c, size_t ldc,
                                                             const float *bias, int accumulate) {
    #pragma GCC unroll 16
    for (int v = 0; v < NV; v++) {
        __m512 init = bias && !accumulate ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc + 16 * v;
            _mm512_storeu_ps(ci, _mm512_add_ps(acc[i][v], accumulate ? _mm512_loadu_ps(ci) : init));
        }
    }
}

static inline __attribute__((always_inline)) void tile_6x64(int kc, const float *a, size_t a_rs,
                                                            size_t a_cs, const float *b, float *c,
                                                            size_t ldc, const float *bias, int accumulate) {
    /* Accumulate from zero and apply the initial value (C or bias) at the end: with no branch
     * before the loop the compiler keeps all accumulators in registers. */
    __m512 acc[MR][NV];
    zero_tile(acc);
    for (int k = 0; k < kc; k++) {
        const float *bk = b + (size_t)k * NR;
        __m512 bv[NV];
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) bv[v] = _mm512_load_ps(bk + 16 * v);
        const float *ak = a + (size_t)k * a_cs;
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(ak[i * a_rs]);
            #pragma GCC unroll 16
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    store_tile(acc, c, ldc, bias, accumulate);
}

/* Two specialisations so the compiler sees a constant stride: rows of a row-major matrix
 * (a_cs == 1) or mr consecutive values per k (a_rs == 1). */
static void tile(int kc, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                 size_t ldc, const float *bias, int accumulate) {
    if (a_cs == 1) tile_6x64(kc, a, a_rs, 1, b, c, ldc, bias, accumulate);
    else tile_6x64(kc, a, 1, a_cs, b, c, ldc, bias, accumulate);
}

/* sums[n][o] = dot(x row n, w row o) for NB rows of x and OB rows of w; C tail masked. */
static inline __attribute__((always_inline)) void dot_block(int NB, int OB, const float *x,
                                                            const float *w, int C, float *out,
                                                            int OC, const float *bias) {
    __m512 acc[4][8];
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++) acc[n][o] = _mm512_setzero_ps();
    int c = 0;
    for (; c + 16 <= C; c += 16) {
        __m512 xv[4];
        for (int n = 0; n < NB; n++) xv[n] = _mm512_loadu_ps(x + (size_t)n * C + c);
        for (int o = 0; o < OB; o++) {
            __m512 wv = _mm512_loadu_ps(w + (size_t)o * C + c);
            for (int n = 0; n < NB; n++) acc[n][o] = _mm512_fmadd_ps(xv[n], wv, acc[n][o]);
        }
    }
    if (c < C) {
        __mmask16 m = (__mmask16)((1u << (C - c)) - 1);
        __m512 xv[4];
        for (int n = 0; n < NB; n++) xv[n] = _mm512_maskz_loadu_ps(m, x + (size_t)n * C + c);
        for (int o = 0; o < OB; o++) {
            __m512 wv = _mm512_maskz_loadu_ps(m, w + (size_t)o * C + c);
            for (int n = 0; n < NB; n++) acc[n][o] = _mm512_fmadd_ps(xv[n], wv, acc[n][o]);
        }
    }
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++)
            out[(size_t)n * OC + o] = _mm512_reduce_add_ps(acc[n][o]) + (bias ? bias[o] : 0.0f);
}

/* NB rows of x against w rows [o_begin, o_end): OB rows of w at a time, then one by one. */
static inline __attribute__((always_inline)) void dot_rows(int NB, int OB, float *out, const float *x,
                                                           const float *w, const float *bias, int C,
                                                           int OC, int o_begin, int o_end) {
    int o = o_begin;
    for (; o + OB <= o_end; o += OB)
        dot_block(NB, OB, x, w + (size_t)o * C, C, out + o, OC, bias ? bias + o : NULL);
    for (; o < o_end; o++) dot_block(NB, 1, x, w + (size_t)o * C, C, out + o, OC, bias ? bias + o : NULL);
}

static void rows_dot(float *out, const float *x, const float *w, const float *bias, int N, int C,
                     int OC, int o_begin, int o_end) {
    for (int n = 0; n < N; n += 4) {
        const float *xn = x + (size_t)n * C;
        float *on = out + (size_t)n * OC;
        switch (N - n < 4 ? N - n : 4) {
        case 4: dot_rows(4, 4, on, xn, w, bias, C, OC, o_begin, o_end); break;
        case 3: dot_rows(3, 4, on, xn, w, bias, C, OC, o_begin, o_end); break;
        case 2: dot_rows(2, 8, on, xn, w, bias, C, OC, o_begin, o_end); break;
        default: dot_rows(1, 8, on, xn, w, bias, C, OC, o_begin, o_end); break;
        }
    }
}

/* In-register 16 x 16 transpose: r[i] holds row i on entry, column i on exit. */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    /* Now r[4q + m], 128-bit lane l, holds column 4l + m of rows 4q .. 4q + 3: gather the four
     * lanes of each column from r[m], r[4 + m], r[8 + m], r[12 + m]. */
    for (int m = 0; m < 4; m++) {
        __m512 a0 = _mm512_shuffle_f32x4(r[m], r[4 + m], 0x88), a1 = _mm512_shuffle_f32x4(r[m], r[4 + m], 0xdd);
        __m512 b0 = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0x88), b1 = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0xdd);
        t[m] = _mm512_shuffle_f32x4(a0, b0, 0x88);      /* column m */
        t[8 + m] = _mm512_shuffle_f32x4(a0, b0, 0xdd);  /* column 8 + m */
        t[4 + m] = _mm512_shuffle_f32x4(a1, b1, 0x88);  /* column 4 + m */
        t[12 + m] = _mm512_shuffle_f32x4(a1, b1, 0xdd); /* column 12 + m */
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

/* dst[k*NR + j] = src[j*ld + k] for j < cols (zero up to NR), k < K: one panel of W^T for the
 * forward product, 16 x 16 blocks transposed in registers. */
static void pack_b_transposed(float *dst, const float *src, size_t ld, int K, int cols) {
    for (int k0 = 0; k0 < K; k0 += 16) {
        const int kn = K - k0 < 16 ? K - k0 : 16;
        const __mmask16 km = (__mmask16)((1u << kn) - 1);
        for (int j0 = 0; j0 < NR; j0 += 16) {
            __m512 r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j0 + j < cols ? _mm512_maskz_loadu_ps(km, src + (size_t)(j0 + j) * ld + k0) : _mm512_setzero_ps();
            transpose16(r);
            for (int k = 0; k < kn; k++) _mm512_store_ps(dst + (size_t)(k0 + k) * NR + j0, r[k]);
        }
    }
}

const sl_matmul_kernels sl_matmul_kernels_avx512 = {"avx512", MR, NR, 1, tile, rows_dot, pack_b_transposed};

/* ---- bf16 (AVX512-BF16): the same tiles over pairs of consecutive k ------------------------------
 * Each 32-bit slot holds two bf16 values, k = 2p (low half) and 2p + 1 (high half); vdpbf16ps
 * multiplies the pairs and adds both products into an fp32 accumulator: twice the multiply-adds
 * of vfmadd231ps per instruction. The driver treats slots like floats (packing only copies them). */
static inline __attribute__((always_inline)) void tile_bf16_6x64(int kp, const float *a, size_t a_rs,
                                                                 size_t a_cs, const float *b, float *c,
                                                                 size_t ldc, const float *bias, int accumulate) {
    __m512 acc[MR][NV];
    zero_tile(acc);
    for (int p = 0; p < kp; p++) {
        const float *bp = b + (size_t)p * NR;
        __m512bh bv[NV];
#pragma GCC unroll 16
        for (int v = 0; v < NV; v++) bv[v] = (__m512bh)_mm512_load_si512((const void *)(bp + 16 * v));
        const float *ap = a + (size_t)p * a_cs;
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_castps_si512(_mm512_set1_ps(ap[i * a_rs]));
#pragma GCC unroll 16
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], ai, bv[v]);
        }
    }
    store_tile(acc, c, ldc, bias, accumulate);
}

static void tile_bf16(int kp, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                      size_t ldc, const float *bias, int accumulate) {
    if (a_cs == 1) tile_bf16_6x64(kp, a, a_rs, 1, b, c, ldc, bias, accumulate);
    else tile_bf16_6x64(kp, a, 1, a_cs, b, c, ldc, bias, accumulate);
}

static inline __mmask16 first_n(int n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1); }

void sl_bf16_rows_to_pairs(float *dst, size_t ld_dst, const float *src, size_t ld_src, int rows, int K) {
    const int KP = (K + 1) / 2;
    for (int r = 0; r < rows; r++) {
        const float *s = src + (size_t)r * ld_src;
        float *d = dst + (size_t)r * ld_dst;
        for (int p0 = 0; p0 < KP; p0 += 16) {
            int k0 = 2 * p0;
            __m512 lo = _mm512_maskz_loadu_ps(first_n(K - k0), s + k0);
            __m512 hi = K - k0 > 16 ? _mm512_maskz_loadu_ps(first_n(K - k0 - 16), s + k0 + 16) : _mm512_setzero_ps();
            __m512bh v = _mm512_cvtne2ps_pbh(hi, lo); /* lo's 16 values first, then hi's */
            _mm512_mask_storeu_ps(d + p0, first_n(KP - p0), _mm512_castsi512_ps((__m512i)v));
        }
    }
}

void sl_bf16_rowpairs_to_slots(float *dst, size_t ld_dst, const float *src, size_t ld_src, int p_begin,
                               int p_end, int K, int cols) {
    for (int p = p_begin; p < p_end; p++) {
        const float *r0 = src + (size_t)(2 * p) * ld_src;
        const float *r1 = 2 * p + 1 < K ? r0 + ld_src : NULL;
        float *d = dst + (size_t)p * ld_dst;
        for (int j0 = 0; j0 < cols; j0 += 16) {
            __mmask16 m = first_n(cols - j0);
            __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, r0 + j0)));
            __m512i hi = r1 ? _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, r1 + j0)))
                            : _mm512_setzero_si512();
            _mm512_mask_storeu_ps(d + j0, m, _mm512_castsi512_ps(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 16))));
        }
    }
}

const sl_matmul_kernels sl_matmul_kernels_avx512_bf16 = {"avx512-bf16", MR, NR, 2, tile_bf16, rows_dot, pack_b_transposed};
