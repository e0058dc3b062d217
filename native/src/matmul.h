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

/* Naive reference versions (the tests compare against these). Same contracts. */
void sl_matmul_forward_reference(float *out, const float *inp, const float *weight,
                                 const float *bias, int N, int C, int OC);
void sl_matmul_backward_reference(float *dinp, float *dweight, float *dbias, const float *dout,
                                  const float *inp, const float *weight, int N, int C, int OC);
#endif
