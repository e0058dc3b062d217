/* test_cuda_kernels: every CUDA kernel against the CPU engine's own function for the same
 * operation (native/src/model/ops.h, matmul/matmul.h, train/adamw.c), on random inputs with awkward shapes (sizes
 * that are not multiples of the tiles, head sizes 24..128, repeated tokens).
 *
 * Tolerances (scaled error, see cuda_test_util.h):
 *  - fp32 paths: 1e-5 (only the summation order differs: ~sqrt(K) * 2^-24 of the scale) and 1e-4
 *    where atomics add many rows in any order;
 *  - bf16 tensor-core matmuls: 1e-2. bf16 keeps 8 bits of mantissa, so each rounded input is off
 *    by up to 2^-9 relative and a product by ~2^-8; over K terms with random signs the error grows
 *    like sqrt(K) as the result does, leaving ~4e-3 of the scale for K up to 1024 (1e-2 leaves
 *    margin for the tails). Weight gradients sum over all N rows: 2e-2. */
#include "cuda_test_util.h"
#include "kernels.cuh"

extern "C" {
#include "matmul/matmul.h"
#include "model/model.h"
#include "model/ops.h"
#include "train/adamw.h"
}

#include <cuda_runtime.h>
#include <string.h>
#include <vector>

typedef std::vector<float> vec;

static float *dev(const vec &h) {
    float *d = NULL;
    cudaMalloc(&d, h.size() * sizeof(float));
    cudaMemcpy(d, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice);
    return d;
}

static int32_t *dev_tokens(const std::vector<int32_t> &h) {
    int32_t *d = NULL;
    cudaMalloc(&d, h.size() * sizeof(int32_t));
    cudaMemcpy(d, h.data(), h.size() * sizeof(int32_t), cudaMemcpyHostToDevice);
    return d;
}

static vec host(const float *d, size_t n) {
    vec h(n);
    cudaError_t err = cudaDeviceSynchronize();
    CHECK(err == cudaSuccess, "CUDA error: %s", cudaGetErrorString(err));
    cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost);
    return h;
}

static vec random_vec(size_t n, float scale) {
    vec v(n);
    fill_random(v.data(), n, scale);
    return v;
}

static void test_matmul(int N, int C, int OC, int fp32) {
    double tol = fp32 ? 1e-5 : 1e-2, tol_acc = fp32 ? 1e-4 : 2e-2;
    char what[128];
    printf("matmul N=%d C=%d OC=%d %s\n", N, C, OC, fp32 ? "fp32" : "bf16");
    vec inp = random_vec((size_t)N * C, 1.0f), w = random_vec((size_t)OC * C, 0.5f), b = random_vec(OC, 0.5f);
    vec dout = random_vec((size_t)N * OC, 1.0f);
    float *d_inp = dev(inp), *d_w = dev(w), *d_b = dev(b), *d_dout = dev(dout);

    /* forward, plain and with the GELU epilogue */
    vec want((size_t)N * OC), want_gelu((size_t)N * OC);
    sl_matmul_forward_reference(want.data(), inp.data(), w.data(), b.data(), N, C, OC);
    sl_gelu_forward(want_gelu.data(), want.data(), N * OC);
    float *d_out = dev(vec((size_t)N * OC)), *d_pre = dev(vec((size_t)N * OC));
    slc_matmul_forward(d_out, NULL, d_inp, d_w, d_b, N, C, OC, fp32);
    expect_close("forward", host(d_out, want.size()).data(), want.data(), want.size(), tol);
    slc_matmul_forward(d_out, d_pre, d_inp, d_w, d_b, N, C, OC, fp32);
    expect_close("forward + GELU epilogue (pre-activation)", host(d_pre, want.size()).data(), want.data(), want.size(), tol);
    expect_close("forward + GELU epilogue (activation)", host(d_out, want.size()).data(), want_gelu.data(), want.size(), tol);

    /* backward: dinp overwritten, dweight/dbias accumulated onto what is there */
    vec dw0 = random_vec(w.size(), 0.1f), db0 = random_vec(OC, 0.1f);
    vec dinp((size_t)N * C, 0.0f), dw = dw0, db = db0;
    sl_matmul_backward_reference(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC);
    float *d_dinp = dev(vec((size_t)N * C, 123.0f)), *d_dw = dev(dw0), *d_db = dev(db0);
    slc_matmul_backward(d_dinp, d_dw, d_db, d_dout, d_inp, d_w, NULL, N, C, OC, fp32);
    snprintf(what, sizeof what, "backward dinp (K=%d)", OC);
    expect_close(what, host(d_dinp, dinp.size()).data(), dinp.data(), dinp.size(), tol);
    snprintf(what, sizeof what, "backward dweight += (K=%d)", N);
    expect_close(what, host(d_dw, dw.size()).data(), dw.data(), dw.size(), tol_acc);
    expect_close("backward dbias +=", host(d_db, db.size()).data(), db.data(), db.size(), 1e-5);

    /* backward through GELU: inp plays gelu(pre) for a pre of the same shape */
    vec pre = random_vec((size_t)N * C, 2.0f), dpre((size_t)N * C, 0.0f);
    sl_gelu_backward(dpre.data(), pre.data(), dinp.data(), N * C);
    float *d_pre_in = dev(pre);
    slc_matmul_backward(d_dinp, NULL, NULL, d_dout, d_inp, d_w, d_pre_in, N, C, OC, fp32);
    expect_close("backward dinp x GELU' epilogue", host(d_dinp, dpre.size()).data(), dpre.data(), dpre.size(), tol);
    for (float *p : {d_inp, d_w, d_b, d_dout, d_out, d_pre, d_dinp, d_dw, d_db, d_pre_in}) cudaFree(p);
}

static void test_embedding(void) {
    int B = 3, T = 37, C = 48, V = 11; /* few tokens: many rows share a dwte row */
    printf("embedding B=%d T=%d C=%d V=%d\n", B, T, C, V);
    std::vector<int32_t> tokens((size_t)B * T);
    fill_tokens(tokens.data(), tokens.size(), V);
    vec wte = random_vec((size_t)V * C, 1.0f), wpe = random_vec((size_t)T * C, 1.0f);
    vec out((size_t)B * T * C), dout = random_vec(out.size(), 1.0f);
    sl_embedding_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
    int32_t *d_tok = dev_tokens(tokens);
    float *d_wte = dev(wte), *d_wpe = dev(wpe), *d_out = dev(vec(out.size())), *d_dout = dev(dout);
    slc_embedding_forward(d_out, d_tok, d_wte, d_wpe, B, T, C, 0);
    expect_close("forward", host(d_out, out.size()).data(), out.data(), out.size(), 1e-6);
    vec dwte = random_vec(wte.size(), 0.1f), dwpe = random_vec(wpe.size(), 0.1f);
    float *d_dwte = dev(dwte), *d_dwpe = dev(dwpe);
    sl_embedding_backward(dwte.data(), dwpe.data(), dout.data(), tokens.data(), B, T, C);
    slc_embedding_backward(d_dwte, d_dwpe, d_dout, d_tok, B, T, C);
    expect_close("backward dwte +=", host(d_dwte, dwte.size()).data(), dwte.data(), dwte.size(), 1e-5);
    expect_close("backward dwpe +=", host(d_dwpe, dwpe.size()).data(), dwpe.data(), dwpe.size(), 1e-5);
    cudaFree(d_tok);
    for (float *p : {d_wte, d_wpe, d_out, d_dout, d_dwte, d_dwpe}) cudaFree(p);
}

static void test_layernorm(int N, int C) {
    printf("layernorm N=%d C=%d\n", N, C);
    vec a = random_vec((size_t)N * C, 2.0f), b = random_vec(a.size(), 1.0f), w = random_vec(C, 1.0f),
        bias = random_vec(C, 1.0f);
    for (int i = 0; i < N * C; i++) a[i] += 3.0f; /* a mean far from 0 tests the two-pass variance */
    vec x(a.size()), out(a.size()), mean(N), rstd(N);
    sl_residual_forward(x.data(), a.data(), b.data(), N * C);
    sl_layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), bias.data(), N, C);
    float *d_a = dev(a), *d_b = dev(b), *d_w = dev(w), *d_bias = dev(bias), *d_x = dev(x);
    float *d_out = dev(vec(a.size())), *d_res = dev(vec(a.size())), *d_mean = dev(vec(N)), *d_rstd = dev(vec(N));
    slc_layernorm_forward(d_out, d_mean, d_rstd, d_x, d_w, d_bias, N, C);
    expect_close("forward", host(d_out, out.size()).data(), out.data(), out.size(), 1e-5);
    expect_close("forward mean", host(d_mean, N).data(), mean.data(), N, 1e-5);
    expect_close("forward rstd", host(d_rstd, N).data(), rstd.data(), N, 1e-5);
    slc_residual_layernorm_forward(d_res, d_out, NULL, NULL, d_a, d_b, d_w, d_bias, N, C);
    expect_close("residual + forward: residual", host(d_res, x.size()).data(), x.data(), x.size(), 1e-6);
    expect_close("residual + forward: normalised", host(d_out, out.size()).data(), out.data(), out.size(), 1e-5);

    vec dout = random_vec(out.size(), 1.0f), dinp = random_vec(out.size(), 0.1f);
    vec dw = random_vec(C, 0.1f), db = random_vec(C, 0.1f);
    float *d_dout = dev(dout), *d_dinp = dev(dinp), *d_dw = dev(dw), *d_db = dev(db);
    sl_layernorm_backward(dinp.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), mean.data(),
                          rstd.data(), N, C);
    slc_layernorm_backward(d_dinp, d_dw, d_db, d_dout, d_x, d_w, d_mean, d_rstd, N, C);
    expect_close("backward dinp +=", host(d_dinp, dinp.size()).data(), dinp.data(), dinp.size(), 1e-5);
    expect_close("backward dweight +=", host(d_dw, C).data(), dw.data(), C, 1e-4);
    expect_close("backward dbias +=", host(d_db, C).data(), db.data(), C, 1e-4);
    for (float *p : {d_a, d_b, d_w, d_bias, d_x, d_out, d_res, d_mean, d_rstd, d_dout, d_dinp, d_dw, d_db}) cudaFree(p);
}

static void test_attention(int B, int T, int C, int NH) {
    printf("attention B=%d T=%d C=%d NH=%d (head size %d)\n", B, T, C, NH, C / NH);
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
    vec qkv = random_vec(n_qkv, 1.5f), out(n_out), att((size_t)B * NH * T * T);
    sl_attention_forward(out.data(), att.data(), qkv.data(), B, T, C, NH);
    float *d_qkv = dev(qkv), *d_out = dev(vec(n_out)), *d_lse = dev(vec((size_t)B * NH * T));
    slc_attention_forward(d_out, d_lse, d_qkv, B, T, C, NH);
    expect_close("forward", host(d_out, n_out).data(), out.data(), n_out, 1e-5);

    vec dout = random_vec(n_out, 1.0f), dqkv(n_qkv, 0.0f);
    sl_attention_backward(dqkv.data(), dout.data(), qkv.data(), att.data(), B, T, C, NH);
    float *d_dout = dev(dout), *d_dqkv = dev(vec(n_qkv, 99.0f)), *d_scratch = dev(vec((size_t)B * NH * T));
    slc_attention_backward(d_dqkv, d_dout, d_qkv, d_out, d_lse, d_scratch, B, T, C, NH);
    expect_close("backward dqkv", host(d_dqkv, n_qkv).data(), dqkv.data(), n_qkv, 1e-4);

    /* Inference: the cache holds batch 0's keys/values; the last rows, queried through the
     * cache from position pos0, must match the full forward's rows. */
    int pos0 = T / 2, n = T - pos0;
    float *d_k = dev(vec((size_t)T * C)), *d_v = dev(vec((size_t)T * C)), *d_cached = dev(vec((size_t)n * C));
    slc_kv_cache_store(d_k, d_v, d_qkv, T, 0, C);
    slc_attention_cached(d_cached, d_qkv + (size_t)pos0 * 3 * C, d_k, d_v, n, pos0, C, NH);
    expect_close("cached (KV) attention rows", host(d_cached, (size_t)n * C).data(), out.data() + (size_t)pos0 * C,
                 (size_t)n * C, 1e-5);
    for (float *p : {d_qkv, d_out, d_lse, d_dout, d_dqkv, d_scratch, d_k, d_v, d_cached}) cudaFree(p);
}

static void test_cross_entropy(int N, int V) {
    printf("softmax cross-entropy N=%d V=%d\n", N, V);
    vec logits = random_vec((size_t)N * V, 8.0f);
    std::vector<int32_t> targets(N);
    fill_tokens(targets.data(), N, V);
    float *d_logits = dev(logits), *d_rows = dev(vec(N)), *d_loss = dev(vec(1, 0.5f));
    int32_t *d_targets = dev_tokens(targets);
    float loss = sl_softmax_cross_entropy(logits.data(), targets.data(), N, V);
    slc_softmax_cross_entropy(d_logits, d_rows, d_loss, d_targets, N, V);
    float got = host(d_loss, 1)[0] - 0.5f; /* accumulated onto 0.5 */
    CHECK_NEAR(got, loss, 1e-5 * loss);
    printf("  loss %.7f vs CPU %.7f\n", got, loss);
    expect_close("gradient written over the logits", host(d_logits, logits.size()).data(), logits.data(), logits.size(), 1e-5);
    cudaFree(d_targets);
    for (float *p : {d_logits, d_rows, d_loss}) cudaFree(p);
}

/* AdamW, the gradient norm and the clip factor on a tiny model's parameter layout. */
static void test_optimizer(void) {
    printf("AdamW, gradient norm, clipping\n");
    sl_config config;
    sl_config_preset("tiny", &config);
    sl_model *model = NULL;
    CHECK_OK(sl_model_create(&config, 3, &model));
    CHECK_OK(sl_model_zero_grad(model));
    size_t n = model->num_params;
    fill_random(model->grads_memory, n, 0.01f);
    vec m = random_vec(n, 0.01f), v(n);
    for (size_t i = 0; i < n; i++) v[i] = 1e-4f * fabsf(test_uniform());
    vec params(model->params_memory, model->params_memory + n), grads(model->grads_memory, model->grads_memory + n);

    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)grads[i] * grads[i];
    float *d_g = dev(grads), *d_p = dev(params), *d_m = dev(m), *d_v = dev(v), *d_scalars = dev(vec(2));
    double *d_ss = NULL, *d_partial = NULL;
    cudaMalloc(&d_ss, sizeof(double));
    cudaMalloc(&d_partial, SLC_NORM_BLOCKS * sizeof(double));
    slc_sum_squares(d_ss, d_g, n, d_partial);
    double got_ss = 0.0;
    cudaMemcpy(&got_ss, d_ss, sizeof(double), cudaMemcpyDeviceToHost);
    CHECK_NEAR(got_ss, ss, 1e-5 * ss);
    /* Two micro-batches, clip at a tenth of the norm: scale = 0.5 * clip / (norm / 2). */
    float clip = (float)(0.1 * sqrt(ss) / 2);
    slc_clip_scale(d_scalars, d_scalars + 1, d_ss, 2, clip);
    vec scalars = host(d_scalars, 2);
    CHECK_NEAR(scalars[1], sqrt(ss) / 2, 1e-5 * sqrt(ss));
    CHECK_NEAR(scalars[0], 0.5 * clip / (sqrt(ss) / 2), 1e-5);
    slc_clip_scale(d_scalars, d_scalars + 1, d_ss, 1, 0.0f); /* clip off: scale 1 */
    CHECK_NEAR(host(d_scalars, 1)[0], 1.0, 0.0);

    float lr = 1e-3f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f;
    int64_t t = 7;
    sl_adamw_update(model, m.data(), v.data(), lr, b1, b2, eps, wd, t);
    float mc = (float)(1.0 / (1.0 - pow(b1, (double)t))), vc = (float)(1.0 / (1.0 - pow(b2, (double)t)));
    size_t off = 0;
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        size_t k = model->param_sizes[i];
        slc_adamw_update(d_p + off, d_g + off, d_m + off, d_v + off, k, d_scalars, lr, b1, b2, eps,
                         sl_param_tensor_decays(i) ? wd : 0.0f, mc, vc);
        off += k;
    }
    expect_close("AdamW parameters", host(d_p, n).data(), model->params_memory, n, 1e-6);
    expect_close("AdamW first moments", host(d_m, n).data(), m.data(), n, 1e-6);
    expect_close("AdamW second moments", host(d_v, n).data(), v.data(), n, 1e-6);
    for (float *p : {d_g, d_p, d_m, d_v, d_scalars}) cudaFree(p);
    cudaFree(d_ss);
    cudaFree(d_partial);
    sl_model_free(model);
}

int main(void) {
    SKIP_WITHOUT_CUDA_DEVICE("test_cuda_kernels");
    for (int fp32 = 1; fp32 >= 0; fp32--) {
        test_matmul(77, 65, 131, fp32);   /* nothing a multiple of a tile */
        test_matmul(256, 1024, 96, fp32); /* K = 1024 forward */
        test_matmul(300, 96, 1024, fp32); /* K = 1024 input gradient */
    }
    test_embedding();
    test_layernorm(70, 48);
    test_layernorm(33, 768);
    test_attention(2, 70, 48, 2);   /* head size 24: lanes past hs idle */
    test_attention(2, 64, 64, 2);   /* head size 32 */
    test_attention(1, 129, 256, 4); /* head size 64, a partial last tile */
    test_attention(1, 40, 256, 2);  /* head size 128: the large shared-memory path */
    test_cross_entropy(37, 1000);
    test_cross_entropy(3, 50304);
    test_optimizer();
    return check_exit_code("test_cuda_kernels");
}
