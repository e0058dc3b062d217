/* attention_flash_avx512.c: the fused attention's tiles (see attention_flash.c) with every product in
 * bf16 and fp32 sums (vdpbf16ps: two multiply-adds per 32-bit lane, so half the instructions of the
 * fp32 tiles). Compiled for AVX-512 with AVX512-BF16 only (CMake gives *_avx512.c those flags);
 * attention_flash.c calls it when training runs in bf16 and the CPU has the instructions. The
 * online softmax, the log-sum-exp and every sum stay fp32; what is rounded to bf16 is what the
 * GPU flash kernels round too: q, k, v, dout, and the probabilities and score gradients of a tile.
 *
 * vdpbf16ps multiplies pairs: lane i of acc += a[2i] b[2i] + a[2i+1] b[2i+1]. So each product needs
 * its two operands paired along the dimension it sums over:
 *   scores s = q . k, dp = dout . v   sum over channels d: q rows in order (pairs (d, d+1) are
 *                                     adjacent), k and v transposed to [d/2][key] pair slots;
 *   out += p v, dq += ds k            sum over keys: p and ds rows in order, v and k as key pairs
 *                                     [key/2][channel] (rows 2m and 2m+1 interleaved);
 *   dk += ds^T q, dv += p^T dout      sum over query rows: q and dout as row pairs, p and ds
 *                                     interleaved by row pairs [row/2][key].
 * Each head's operands are laid out once per head (forward: per thread, kept while its tiles are
 * of that head), each tile's p and ds once per tile. Odd counts pair with a zero row. */
#include "model/attention_flash.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { BR = SL_FLASH_BR, BC = SL_FLASH_BC, GROUP = SL_FLASH_GROUP };
#define INLINE static inline __attribute__((always_inline))

/* n floats (a multiple of 16) to n bf16 in order: n/2 pair slots. Round to nearest even. */
INLINE void natural_row(uint32_t *dst, const float *src, int n) {
    for (int i = 0; i < n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i / 2), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
}

/* 16-bit lane order that interleaves the low and high halves of a vector: (0, 16, 1, 17, ...). */
static const uint16_t pair_order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                        8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

/* dst[i] = (a[i], b[i]) for i < n (a multiple of 16): two rows interleaved into pair slots. */
INLINE void pair_rows(uint32_t *dst, const float *a, const float *b, int n) {
    const __m512i idx = _mm512_loadu_si512(pair_order);
    for (int i = 0; i < n; i += 16) {
        /* a's 16 values in the low half, b's in the high half, then interleaved */
        __m512i ab = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(b + i), _mm512_loadu_ps(a + i));
        _mm512_storeu_si512(dst + i, _mm512_permutexvar_epi16(idx, ab));
    }
}

/* dst[p * Tp + j] = (src_j[2p], src_j[2p + 1]) for rows j < T (stride `stride`); zero slots up to
 * the end of the last key tile, since score tiles read whole tiles. */
static void transpose_pairs(uint32_t *dst, const float *src, size_t stride, int T, int Tp, int hs) {
    uint32_t row[32];
    for (int j = 0; j < T; j++) {
        natural_row(row, src + (size_t)j * stride, hs);
        for (int p = 0; p < hs / 2; p++) dst[(size_t)p * Tp + j] = row[p];
    }
    int end = (T + BC - 1) / BC * BC;
    for (int p = 0; p < hs / 2; p++)
        for (int j = T; j < end; j++) dst[(size_t)p * Tp + j] = 0;
}

/* dst[m * hs + ...] = rows 2m and 2m + 1 of src interleaved, for m < ceil(T / 2); row T (odd T)
 * is zero. */
static void pair_head_rows(uint32_t *dst, const float *src, size_t stride, int T, const float *zero, int hs) {
    for (int m = 0; 2 * m < T; m++)
        pair_rows(dst + (size_t)m * hs, src + (size_t)2 * m * stride, 2 * m + 1 < T ? src + (size_t)(2 * m + 1) * stride : zero,
                  hs);
}

/* s[r][0..BC) = scale * a_r . key j: GROUP rows of channel pairs against one tile of transposed
 * key pairs bt[p * Tp + j]. */
INLINE void score_tile(float *s, const uint32_t *const a[GROUP], const uint32_t *bt, int Tp, float scale, const int HS) {
    __m512 acc[GROUP][2];
    for (int r = 0; r < GROUP; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < HS / 2; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(bt + (size_t)p * Tp);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(bt + (size_t)p * Tp + 16);
        for (int r = 0; r < GROUP; r++) {
            __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[r][p]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
        }
    }
    __m512 sc = _mm512_set1_ps(scale);
    for (int r = 0; r < GROUP; r++) {
        _mm512_storeu_ps(s + (size_t)r * BC, _mm512_mul_ps(acc[r][0], sc));
        _mm512_storeu_ps(s + (size_t)r * BC + 16, _mm512_mul_ps(acc[r][1], sc));
    }
}

/* out_r[0..HS) += sum_{n < N} w-pair(r, n) . x-pair(n): weights w[r * wr + n * wn] and rows
 * x + n * xs, both pair slots over the summed dimension; GROUP rows' sums in registers. */
INLINE void accumulate_rows(float *const out[GROUP], const uint32_t *w, size_t wr, size_t wn, const uint32_t *x,
                            size_t xs, int N, const int HS) {
    __m512 acc[GROUP][HS / 16];
    for (int r = 0; r < GROUP; r++)
        for (int c = 0; c < HS / 16; c++) acc[r][c] = _mm512_loadu_ps(out[r] + 16 * c);
    for (int n = 0; n < N; n++) {
        const uint32_t *xn = x + (size_t)n * xs, *wn_ = w + (size_t)n * wn;
        __m512bh wr_[GROUP];
        for (int r = 0; r < GROUP; r++) wr_[r] = (__m512bh)_mm512_set1_epi32((int)wn_[(size_t)r * wr]);
        for (int c = 0; c < HS / 16; c++) {
            __m512bh v = (__m512bh)_mm512_loadu_si512(xn + 16 * c);
            for (int r = 0; r < GROUP; r++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], wr_[r], v);
        }
    }
    for (int r = 0; r < GROUP; r++)
        for (int c = 0; c < HS / 16; c++) _mm512_storeu_ps(out[r] + 16 * c, acc[r][c]);
}

/* e^x for 16 lanes, the same approximation as sl_exp_approx (vectorize.h; about 2 ulp): n = round
 * (x / ln 2), r = x - n ln 2 in two parts, a degree-6 polynomial, times 2^n (vscalefps). The clamps
 * take their constant first so a NaN passes through (max/min return the second operand on NaN). */
INLINE __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* How far a score may pass the running max before the forward rescales (natural log units). */
#define RESCALE_SLACK 8.0f

/* ---------------------------------------------------------------------------------------------- */
/* Forward: one query tile (see attention_flash.c's forward_tile, which this follows step by step). */

INLINE void forward_tile(const sl_flash_ctx *c, int task, float *scratch, int *cached, const int HS) {
    int T = c->T, C = c->C, NH = c->NH, Tp = c->Tp;
    int bh = task / c->tiles, t0 = task % c->tiles * BR, b = bh / NH, h = bh % NH;
    int rows = T - t0 < BR ? T - t0 : BR, keys = t0 + rows;
    size_t C3 = (size_t)3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS, *k_base = q_base + C, *v_base = q_base + 2 * C;
    uint32_t *kd = (uint32_t *)scratch, *vk = kd + (size_t)HS / 2 * Tp, *qb = vk + (size_t)Tp / 2 * HS;
    uint32_t *pj = qb + (size_t)BR * HS / 2;
    float *s = (float *)(pj + BR * BC / 2), *m = s + BR * BC, *l = m + BR, *zero = l + 16 * BR, *sink = zero + HS;

    memset(zero, 0, sizeof(float) * HS);
    if (cached[0] != bh) { /* the whole head's keys and values, once per head a thread meets */
        transpose_pairs(kd, k_base, C3, T, Tp, HS);
        pair_head_rows(vk, v_base, C3, T, zero, HS);
        cached[0] = bh;
    }

    const uint32_t *q[BR];
    float *o[BR];
    for (int r = 0; r < BR; r++) {
        natural_row(qb + r * HS / 2, r < rows ? q_base + (size_t)(t0 + r) * C3 : zero, HS);
        q[r] = qb + r * HS / 2;
        o[r] = r < rows ? c->out + ((size_t)b * T + t0 + r) * C + h * HS : sink;
        memset(o[r], 0, sizeof(float) * HS);
        m[r] = -INFINITY;
        l[r * 16] = 0.0f; /* l: 16 partial sums per row, added up once at the end */
        for (int k = 1; k < 16; k++) l[r * 16 + k] = 0.0f;
    }

    const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
    for (int k0 = 0; k0 < keys; k0 += BC) {
        int nk = keys - k0 < BC ? keys - k0 : BC;
        for (int r = 0; r < BR; r += GROUP) score_tile(s + r * BC, q + r, kd + k0, Tp, scale, HS);
        for (int r = 0; r < BR; r++) {
            int valid = t0 + r - k0 + 1;
            valid = valid < nk ? valid : nk;
            __mmask16 lo = valid >= 16 ? 0xFFFF : (__mmask16)((1u << valid) - 1);
            __mmask16 hi = valid >= 32 ? 0xFFFF : valid > 16 ? (__mmask16)((1u << (valid - 16)) - 1) : 0;
            __m512 s0 = _mm512_mask_mov_ps(minus_inf, lo, _mm512_loadu_ps(s + r * BC));
            __m512 s1 = _mm512_mask_mov_ps(minus_inf, hi, _mm512_loadu_ps(s + r * BC + 16));
            __m512 top = _mm512_max_ps(s0, s1);
            __m512 l16 = _mm512_loadu_ps(l + r * 16);
            /* Lazy rescaling: the running max m only moves when a score passes it by more than
             * RESCALE_SLACK, so most tiles skip the max reduction and the rescale of out and l;
             * probabilities are then e^(s - m) <= e^RESCALE_SLACK, far inside fp32 and bf16 range.
             * The result is the same softmax: m cancels in out / l and lse = m + log l. */
            if (_mm512_cmp_ps_mask(top, _mm512_set1_ps(m[r] + RESCALE_SLACK), _CMP_GT_OQ)) {
                float mx = _mm512_reduce_max_ps(top);
                float corr = sl_exp_approx(m[r] - mx);
                __m512 cv = _mm512_set1_ps(corr);
                l16 = _mm512_mul_ps(l16, cv);
                for (int d = 0; d < HS; d += 16) _mm512_storeu_ps(o[r] + d, _mm512_mul_ps(_mm512_loadu_ps(o[r] + d), cv));
                m[r] = mx;
            }
            __m512 mv = _mm512_set1_ps(m[r]);
            __m512 p0 = _mm512_maskz_mov_ps(lo, exp16(_mm512_sub_ps(s0, mv)));
            __m512 p1 = _mm512_maskz_mov_ps(hi, exp16(_mm512_sub_ps(s1, mv)));
            _mm512_storeu_ps(l + r * 16, _mm512_add_ps(l16, _mm512_add_ps(p0, p1)));
            _mm256_storeu_si256((__m256i *)(pj + r * BC / 2), (__m256i)_mm512_cvtneps_pbh(p0));
            _mm256_storeu_si256((__m256i *)(pj + r * BC / 2 + 8), (__m256i)_mm512_cvtneps_pbh(p1));
        }
        /* key pairs from k0 (even); an odd nk's last pair has p = 0 and a zero row past T */
        for (int r = 0; r < BR; r += GROUP)
            accumulate_rows(o + r, pj + r * BC / 2, BC / 2, 1, vk + (size_t)k0 / 2 * HS, HS, (nk + 1) / 2, HS);
    }
    for (int r = 0; r < rows; r++) {
        float sum = _mm512_reduce_add_ps(_mm512_loadu_ps(l + r * 16));
        __m512 inv = _mm512_set1_ps(1.0f / sum);
        for (int d = 0; d < HS; d += 16) _mm512_storeu_ps(o[r] + d, _mm512_mul_ps(_mm512_loadu_ps(o[r] + d), inv));
        c->lse[(size_t)bh * T + t0 + r] = m[r] + logf(sum);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Backward: one (batch, head) (see attention_flash.c's backward_head).                           */

INLINE void backward_head(const sl_flash_ctx *c, int bh, float *scratch, const int HS) {
    int T = c->T, C = c->C, NH = c->NH, Tp = c->Tp, b = bh / NH, h = bh % NH;
    size_t C3 = (size_t)3 * C, head = (size_t)HS / 2 * Tp; /* pair slots of one laid-out head */
    float scale = 1.0f / sqrtf((float)HS);
    const float *q_base = c->qkv + (size_t)b * T * C3 + h * HS, *k_base = q_base + C, *v_base = q_base + 2 * C;
    const float *g_base = c->dout + (size_t)b * T * C + h * HS, *o_base = c->out_in + (size_t)b * T * C + h * HS;
    const float *lse = c->lse_in + (size_t)bh * T;
    float *dq_base = c->dqkv + (size_t)b * T * C3 + h * HS, *dk_base = dq_base + C, *dv_base = dq_base + 2 * C;
    uint32_t *kd = (uint32_t *)scratch, *vd = kd + head, *kk = vd + head, *qb = kk + head, *gb = qb + head,
             *qr = gb + head, *gr = qr + head, *dsj = gr + head, *pr = dsj + BR * BC / 2, *dsr = pr + BR * BC / 2;
    float *p = (float *)(dsr + BR * BC / 2), *ds = p + BR * BC, *D = ds + BR * BC, *zero = D + BR, *sink = zero + HS;

    const __m512 vscale = _mm512_set1_ps(scale);
    const __m512i interleave = _mm512_loadu_si512(pair_order);
    memset(zero, 0, sizeof(float) * HS);
    transpose_pairs(kd, k_base, C3, T, Tp, HS);
    transpose_pairs(vd, v_base, C3, T, Tp, HS);
    pair_head_rows(kk, k_base, C3, T, zero, HS);
    pair_head_rows(qr, q_base, C3, T, zero, HS);
    pair_head_rows(gr, g_base, C, T, zero, HS);
    for (int t = 0; t < T; t++) {
        natural_row(qb + (size_t)t * HS / 2, q_base + (size_t)t * C3, HS);
        natural_row(gb + (size_t)t * HS / 2, g_base + (size_t)t * C, HS);
        memset(dq_base + (size_t)t * C3, 0, sizeof(float) * HS);
        memset(dk_base + (size_t)t * C3, 0, sizeof(float) * HS);
        memset(dv_base + (size_t)t * C3, 0, sizeof(float) * HS);
    }

    for (int t0 = 0; t0 < T; t0 += BR) {
        int rows = T - t0 < BR ? T - t0 : BR, keys = t0 + rows;
        const uint32_t *q[BR], *g[BR];
        float *dq[BR];
        for (int r = 0; r < BR; r++) {
            int real = r < rows;
            q[r] = real ? qb + (size_t)(t0 + r) * HS / 2 : (const uint32_t *)zero; /* 0.0f is a bf16 zero pair */
            g[r] = real ? gb + (size_t)(t0 + r) * HS / 2 : (const uint32_t *)zero;
            dq[r] = real ? dq_base + (size_t)(t0 + r) * C3 : sink;
            D[r] = real ? sl_dot(g_base + (size_t)(t0 + r) * C, o_base + (size_t)(t0 + r) * C, HS) : 0.0f;
        }
        for (int k0 = 0; k0 < keys; k0 += BC) {
            int nk = keys - k0 < BC ? keys - k0 : BC;
            for (int r = 0; r < BR; r += GROUP) {
                score_tile(p + r * BC, q + r, kd + k0, Tp, scale, HS);
                score_tile(ds + r * BC, g + r, vd + k0, Tp, 1.0f, HS);
            }
            /* p = e^(s - lse) (0 past the diagonal and on padding rows), ds = p (dp - D) scale, both
             * rounded to bf16 straight from registers: ds rows in order (for dq), p and ds rows
             * interleaved in pairs (for dv and dk). */
            for (int r = 0; r < BR; r += 2) {
                __m512 pv[2][2], dv_[2][2];
                for (int i = 0; i < 2; i++) {
                    int row = r + i, valid = row < rows ? t0 + row - k0 + 1 : 0;
                    valid = valid < nk ? valid : nk;
                    __mmask16 lo = valid >= 16 ? 0xFFFF : (__mmask16)((1u << valid) - 1);
                    __mmask16 hi = valid >= 32 ? 0xFFFF : valid > 16 ? (__mmask16)((1u << (valid - 16)) - 1) : 0;
                    __m512 lv = _mm512_set1_ps(row < rows ? lse[t0 + row] : 0.0f), Dv = _mm512_set1_ps(D[row]);
                    pv[i][0] = _mm512_maskz_mov_ps(lo, exp16(_mm512_sub_ps(_mm512_loadu_ps(p + row * BC), lv)));
                    pv[i][1] = _mm512_maskz_mov_ps(hi, exp16(_mm512_sub_ps(_mm512_loadu_ps(p + row * BC + 16), lv)));
                    for (int half = 0; half < 2; half++) {
                        __m512 dp = _mm512_loadu_ps(ds + row * BC + 16 * half);
                        dv_[i][half] = _mm512_mul_ps(_mm512_mul_ps(pv[i][half], _mm512_sub_ps(dp, Dv)), vscale);
                        _mm256_storeu_si256((__m256i *)(dsj + row * BC / 2 + 8 * half), (__m256i)_mm512_cvtneps_pbh(dv_[i][half]));
                    }
                }
                for (int half = 0; half < 2; half++) {
                    __m512i pp = (__m512i)_mm512_cvtne2ps_pbh(pv[1][half], pv[0][half]);
                    __m512i dd = (__m512i)_mm512_cvtne2ps_pbh(dv_[1][half], dv_[0][half]);
                    _mm512_storeu_si512(pr + r / 2 * BC + 16 * half, _mm512_permutexvar_epi16(interleave, pp));
                    _mm512_storeu_si512(dsr + r / 2 * BC + 16 * half, _mm512_permutexvar_epi16(interleave, dd));
                }
            }
            for (int r = 0; r < BR; r += GROUP)
                accumulate_rows(dq + r, dsj + r * BC / 2, BC / 2, 1, kk + (size_t)k0 / 2 * HS, HS, (nk + 1) / 2, HS);
            for (int j = 0; j < nk; j += GROUP) {
                float *dk[GROUP], *dv[GROUP];
                for (int i = 0; i < GROUP; i++) {
                    int real = j + i < nk;
                    dk[i] = real ? dk_base + (size_t)(k0 + j + i) * C3 : sink + i * HS;
                    dv[i] = real ? dv_base + (size_t)(k0 + j + i) * C3 : sink + i * HS;
                }
                accumulate_rows(dk, dsr + j, 1, BC, qr + (size_t)t0 / 2 * HS, HS, (rows + 1) / 2, HS);
                accumulate_rows(dv, pr + j, 1, BC, gr + (size_t)t0 / 2 * HS, HS, (rows + 1) / 2, HS);
            }
        }
    }
}

void sl_flash_forward_tile_bf16(const sl_flash_ctx *c, int task, float *scratch, int *cached) {
    switch (c->hs) {
    case 16: forward_tile(c, task, scratch, cached, 16); break;
    case 32: forward_tile(c, task, scratch, cached, 32); break;
    default: forward_tile(c, task, scratch, cached, 64); break;
    }
}

void sl_flash_backward_head_bf16(const sl_flash_ctx *c, int bh, float *scratch) {
    switch (c->hs) {
    case 16: backward_head(c, bh, scratch, 16); break;
    case 32: backward_head(c, bh, scratch, 32); break;
    default: backward_head(c, bh, scratch, 64); break;
    }
}
