/* matmul.h: the matrix multiplications of the transformer (where nearly all FLOPs go).
 *
 * Layout follows llm.c: activations are row-major [N, C] (N = B*T rows), weights are [OC, C]
 * (one row per output channel, as PyTorch's nn.Linear stores them). */
#ifndef SL_MATMUL_H
#define SL_MATMUL_H

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

/* Naive reference versions (the tests compare against these). Same contracts. */
void sl_matmul_forward_reference(float *out, const float *inp, const float *weight,
                                 const float *bias, int N, int C, int OC);
void sl_matmul_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, int N, int C, int OC);
#endif
