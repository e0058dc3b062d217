/* ops.h: the elementwise and normalisation operations of GPT-2, forward and backward.
 * Shapes: N = B*T rows of C channels, row-major. Backward functions ACCUMULATE (+=) into their
 * gradient outputs, like llm.c, so residual branches add up without extra passes. */
#ifndef SL_OPS_H
#define SL_OPS_H
#include <stdint.h>

/* out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:] */
void sl_embedding_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe,
                          int B, int T, int C);
void sl_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens,
                           int B, int T, int C);

/* LayerNorm over C with eps 1e-5; saves mean and rstd ([N]) for backward (may be NULL in
 * inference). */
void sl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, int N, int C);
void sl_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, int N, int C);

/* GELU, tanh approximation (as GPT-2). n elements. */
void sl_gelu_forward(float *out, const float *inp, int n);
void sl_gelu_backward(float *dinp, const float *inp, const float *dout, int n);
/* d = gelu'(inp) * d in place: the backward when d(output) is not needed afterwards (no zeroed
 * dinp, one buffer fewer). */
void sl_gelu_backward_inplace(float *d, const float *inp, int n);

/* out = a + b, n elements. */
void sl_residual_forward(float *out, const float *a, const float *b, int n);

/* Causal self-attention. qkv is [B, T, 3C] (q, k, v concatenated per token, heads of size C/NH
 * inside each); out is [B, T, C]. att ([B, NH, T, T]) keeps the softmax probabilities for
 * backward (rows past the diagonal are zero). */
void sl_attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH);
void sl_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           int B, int T, int C, int NH);

/* The same attention fused flash-style (attention_flash.c): no T x T matrix; the forward keeps
 * only each row's log-sum-exp of the scaled scores, lse [B, NH, T], and the backward recomputes
 * the probabilities from qkv and lse. Unlike the other backwards it WRITES dqkv (every element:
 * no zeroed buffer needed). `out` is the forward's output. bf16 != 0: products in bf16 with fp32
 * sums where the CPU has AVX512-BF16 (fp32 elsewhere); the backward must be given the forward's. */
void sl_attention_flash_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH, int bf16);
void sl_attention_flash_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                                 const float *lse, int B, int T, int C, int NH, int bf16);

/* Fused softmax + cross-entropy over V logits per row. Returns the mean loss over N rows and
 * OVERWRITES logits with d(mean loss)/d(logits) (so no probability buffer is kept). */
float sl_softmax_cross_entropy(float *logits, const int32_t *targets, int N, int V);
#endif
