/* kernels.cuh: the host-side launchers of every GPU operation, on device pointers, all on the
 * default stream. Shapes follow native/src/model/ops.h and matmul/matmul.h (N = B*T rows of C channels,
 * weights [OC, C]); where a launcher overwrites instead of accumulating, it says so. These are
 * what model.cu composes and what test/cuda/test_cuda_kernels.cu checks against the CPU engine. */
#ifndef SLC_KERNELS_CUH
#define SLC_KERNELS_CUH
#include <stdint.h>

/* ---- matmul.cu ---- */
/* What the matmul does to its result before storing it. */
typedef enum {
    SLC_EPILOGUE_NONE,          /* out = acc (+ bias) */
    SLC_EPILOGUE_GELU,          /* aux = acc + bias; out = gelu(aux) */
    SLC_EPILOGUE_GELU_BACKWARD  /* out = acc * gelu'(aux) */
} slc_epilogue;

/* out[N, OC] = inp[N, C] @ weight[OC, C]^T + bias (bias may be NULL). With pre_gelu != NULL the
 * bias-added result goes to pre_gelu and gelu of it to out. Overwrites. */
void slc_matmul_forward(float *out, float *pre_gelu, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC, int fp32);
/* Gradients of the forward: dinp[N, C] is OVERWRITTEN with dout @ weight (times gelu'(gelu_pre)
 * when gelu_pre != NULL, for a matmul whose input was gelu(gelu_pre)); dweight[OC, C] and
 * dbias[OC] are ACCUMULATED. Any output may be NULL. */
void slc_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, const float *gelu_pre, int N,
                         int C, int OC, int fp32);
/* dbias[OC] += sum over rows of dout[N, OC]. */
void slc_column_sum_accumulate(float *dbias, const float *dout, int N, int OC);

/* ---- embedding.cu ---- */
/* out[b, t, :] = wte[tokens[b, t]] + wpe[pos0 + t] */
void slc_embedding_forward(float *out, const int32_t *tokens, const float *wte, const float *wpe,
                           int B, int T, int C, int pos0);
/* dwte, dwpe += (accumulating; rows sharing a token add up). */
void slc_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tokens,
                            int B, int T, int C);

/* ---- layernorm.cu ---- */
/* LayerNorm (eps 1e-5) of inp; mean/rstd ([N]) may be NULL. */
void slc_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, int N, int C);
/* residual_out = a + b, then out = LayerNorm(residual_out): one pass over the rows. */
void slc_residual_layernorm_forward(float *residual_out, float *out, float *mean, float *rstd,
                                    const float *a, const float *b, const float *weight,
                                    const float *bias, int N, int C);
/* dinp, dweight, dbias += (accumulating, like ops.h). */
void slc_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C);

/* ---- attention.cu ---- */
/* Largest head size the attention kernels support. */
#define SLC_MAX_HEAD_SIZE 128
/* Causal attention over qkv [B, T, 3C] into out [B, T, C]; lse [B, NH, T] keeps each query's
 * log-sum-exp of scaled scores for the backward (no T x T matrix is stored). */
void slc_attention_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH);
/* dqkv [B, T, 3C] OVERWRITTEN. scratch: [B, NH, T] floats. */
void slc_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                            const float *lse, float *scratch, int B, int T, int C, int NH);
/* Inference: n queries (rows of qkv, [n, 3C]) at positions pos0..pos0+n-1 attend to the cached
 * keys/values k_cache, v_cache ([context, C]) of positions 0..their own. out [n, C]. */
void slc_attention_cached(float *out, const float *qkv, const float *k_cache, const float *v_cache,
                          int n, int pos0, int C, int NH);
/* Copy the k and v parts of qkv [n, 3C] into the caches at rows pos0.. */
void slc_kv_cache_store(float *k_cache, float *v_cache, const float *qkv, int n, int pos0, int C);

/* ---- loss.cu ---- */
/* Fused softmax + cross-entropy over V logits per row: OVERWRITES logits with
 * d(mean loss)/d(logits) and adds the mean loss of the N rows to *loss_accum (device scalar).
 * row_loss: [N] scratch. */
void slc_softmax_cross_entropy(float *logits, float *row_loss, float *loss_accum,
                               const int32_t *targets, int N, int V);

/* ---- adamw.cu ---- */
/* Sum of squares of g[0..n) into *out (device scalar); partial: [SLC_NORM_BLOCKS] scratch. The
 * summation order is fixed, so the result is deterministic. */
#define SLC_NORM_BLOCKS 512
void slc_sum_squares(double *out, const float *g, size_t n, double *partial);
/* From the sum of squares of the summed gradients of n_micro micro-batches: *norm = the norm of
 * their mean, *scale = (1 / n_micro) * min(1, clip / norm) (clip 0 = off). */
void slc_clip_scale(float *scale, float *norm, const double *sum_squares, int n_micro, float clip);
/* One AdamW update of n parameters with gradients g * (*grad_scale). */
void slc_adamw_update(float *params, const float *g, float *m, float *v, size_t n,
                      const float *grad_scale, float lr, float beta1, float beta2, float eps,
                      float weight_decay, float m_correction, float v_correction);
#endif
