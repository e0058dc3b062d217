/* matmul.h: the matrix multiplications of the transformer (where nearly all FLOPs go).
 *
 * Layout follows llm.c: activations are row-major [N, C] (N = B*T rows), weights are [OC, C]
 * (one row per output channel, as PyTorch's nn.Linear stores them). */
#ifndef SL_MATMUL_H
#define SL_MATMUL_H
#include <stddef.h>

/* out[N, OC] = inp[N, C] @ weight[OC, C]^T + bias[OC]  (bias may be NULL). Overwrites out. */
void sl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC);

/* Gradients of the above, ACCUMULATED (+=) into dinp[N, C], dweight[OC, C], dbias[OC].
 * Any of dinp, dweight, dbias may be NULL to skip it. */
void sl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC);

/* bf16 variants (the training fast path on CPUs with AVX512-BF16): A and B are rounded to bfloat16
 * (round to nearest even) and their products summed in fp32, about twice the fp32 rate. Same
 * contracts as above. Without AVX512-BF16, and for forward batches small enough for the dot path
 * (inference), they compute in fp32 instead. */
void sl_matmul_forward_bf16(float *out, const float *inp, const float *weight, const float *bias,
                            int N, int C, int OC);
void sl_matmul_backward_bf16(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, int N, int C, int OC);
/* 1 if the bf16 variants really round to bf16 on this CPU (else they are the fp32 ones). */
int sl_matmul_bf16_available(void);

/* ---- The training products (model.c): either precision, weights converted once per step ---------
 *
 * A weight [OC, C] as the bf16 products read it: pairs along each row for the forward (B = W^T),
 * pairs of consecutive rows for dinp (B = W). Converting it on every call would redo the same work
 * in each micro-batch's forward and backward; the model converts each weight once per optimizer
 * step, while the fp32 master copy stays unchanged. */
typedef struct {
    const float *along;  /* [OC][ceil(C/2)] bf16 pair slots */
    const float *across; /* [ceil(OC/2)][C] bf16 pair slots */
} sl_bf16_weight;

/* 32-bit slots that sl_bf16_weight_convert writes for a weight [OC, C]. */
size_t sl_bf16_weight_slots(int OC, int C);
/* Convert weight [OC, C] into dst (sl_bf16_weight_slots(OC, C) floats, 64-byte aligned is best) and
 * point *out into it. Returns 0 (nothing written) where the CPU has no AVX512-BF16. */
int sl_bf16_weight_convert(float *dst, const float *weight, int OC, int C, sl_bf16_weight *out);

/* Backward flags: WRITE these gradients instead of accumulating into them (a first micro-batch
 * then needs no zeroing pass). SL_MATMUL_SET_DWEIGHT also writes dbias. */
enum { SL_MATMUL_SET_DINP = 1, SL_MATMUL_SET_DWEIGHT = 2 };

/* sl_matmul_forward, in bf16 when w16 is not NULL (w16 = weight converted), else in fp32. */
void sl_matmul_train_forward(float *out, const float *inp, const float *weight,
                             const sl_bf16_weight *w16, const float *bias, int N, int C, int OC);
/* sl_matmul_backward with flags (above), in bf16 when w16 is not NULL. */
void sl_matmul_train_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const sl_bf16_weight *w16,
                              int flags, int N, int C, int OC);

/* Naive reference versions (the tests compare against these). Same contracts. */
void sl_matmul_forward_reference(float *out, const float *inp, const float *weight,
                                 const float *bias, int N, int C, int OC);
void sl_matmul_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, int N, int C, int OC);
#endif
