/* test_gradcheck.c: every backward against central finite differences of its forward, on small
 * awkward shapes (odd sizes, lengths that are not multiples of the vector width), then the whole
 * model's backward against differences of its loss. Also the forwards against plain double
 * precision references, since a wrong forward with a matching wrong backward would pass a
 * gradient check.
 *
 * How the comparison works: each op's outputs are reduced to a scalar L = sum_i out_i w_i with
 * fixed random weights w (accumulated in double), the backward is run once with dout = w, and
 * for a sample of input entries (x + h and x - h) the difference quotient is compared with the
 * analytic gradient. Error is |analytic - numeric| / max(|analytic|, |numeric|, floor), the floor
 * being 1% of the largest gradient of that tensor so entries near zero don't divide by noise.
 *
 * Tolerances: the forwards run in fp32, so L carries a rounding error of about 1e-7 relative
 * (1e-6 absolute for the losses here); at h = 1e-2 that becomes about 1e-4 in the quotient, and
 * the truncation error O(h^2 f''') stays near 1e-5 for these O(1) inputs. Measured worst errors are
 * about 4e-3; wrong gradients (a dropped term, a wrong sign, a swapped index) show errors of order
 * 1. So 1e-2 per op, and 2e-2 for the whole model, whose loss goes through about thirty fp32 ops.
 */
#include "check.h"
#include "matmul/matmul.h"
#include "model/model.h"
#include "model/ops.h"
#include "core/rng.h"
#include "seedling.h"

#include <stdlib.h>
#include <string.h>

static sl_rng rng;

static float *random_array(size_t n, float scale) {
    float *a = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) a[i] = scale * (2.0f * sl_rng_float(&rng) - 1.0f);
    return a;
}

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

static double weighted_sum(const float *out, const float *w, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * w[i];
    return s;
}

/* The op under test: recompute L from the current inputs. */
typedef double (*loss_fn)(void *ctx);

/* Compare grad (analytic, n entries) with central differences of loss() in x, at up to `samples`
 * entries (all when n <= samples). Returns the max relative error. */
static double compare(const char *what, float *x, const float *grad, size_t n, size_t samples,
                      loss_fn loss, void *ctx, float h, double tolerance) {
    double largest = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(grad[i]) > largest) largest = fabs(grad[i]);
    double floor = 0.01 * largest + 1e-12, worst = 0.0;
    for (size_t s = 0; s < (n < samples ? n : samples); s++) {
        size_t i = n <= samples ? s : (size_t)sl_rng_below(&rng, n);
        float orig = x[i];
        x[i] = orig + h;
        float up = x[i];
        double lp = loss(ctx);
        x[i] = orig - h;
        float down = x[i];
        double lm = loss(ctx);
        x[i] = orig;
        double numeric = (lp - lm) / ((double)up - (double)down);
        double denom = fmax(fmax(fabs(numeric), fabs(grad[i])), floor);
        double err = fabs(numeric - grad[i]) / denom;
        if (err > worst) worst = err;
        if (err > tolerance)
            fprintf(stderr, "  %s[%zu]: analytic %.8g numeric %.8g (error %.3g)\n", what, i, grad[i], numeric, err);
    }
    printf("  %-24s max relative error %.2e (n=%zu)\n", what, worst, n);
    CHECK(worst <= tolerance, "%s: gradient error %.3g exceeds %.3g", what, worst, tolerance);
    return worst;
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    int32_t *tokens;
    float *wte, *wpe, *out, *w;
    int B, T, C;
} embedding_case;

static double embedding_loss(void *p) {
    embedding_case *c = p;
    sl_embedding_forward(c->out, c->tokens, c->wte, c->wpe, c->B, c->T, c->C);
    return weighted_sum(c->out, c->w, (size_t)c->B * c->T * c->C);
}

static void check_embedding(void) {
    printf("embedding\n");
    int B = 2, T = 5, C = 7, V = 4; /* V small so tokens repeat: the gradient must add them up */
    embedding_case c = {malloc(sizeof(int32_t) * B * T), random_array((size_t)V * C, 1), random_array((size_t)T * C, 1),
                        zeros((size_t)B * T * C), random_array((size_t)B * T * C, 1), B, T, C};
    for (int i = 0; i < B * T; i++) c.tokens[i] = (int32_t)sl_rng_below(&rng, V);
    embedding_loss(&c);
    for (int i = 0; i < B * T; i++)
        for (int k = 0; k < C; k++)
            CHECK_NEAR(c.out[i * C + k], c.wte[c.tokens[i] * C + k] + c.wpe[(i % T) * C + k], 1e-6);
    float *dwte = zeros((size_t)V * C), *dwpe = zeros((size_t)T * C);
    sl_embedding_backward(dwte, dwpe, c.w, c.tokens, B, T, C);
    compare("embedding dwte", c.wte, dwte, (size_t)V * C, 1000, embedding_loss, &c, 1e-2f, 1e-2);
    compare("embedding dwpe", c.wpe, dwpe, (size_t)T * C, 1000, embedding_loss, &c, 1e-2f, 1e-2);
    free(c.tokens); free(c.wte); free(c.wpe); free(c.out); free(c.w); free(dwte); free(dwpe);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    float *inp, *weight, *bias, *out, *mean, *rstd, *w;
    int N, C;
} layernorm_case;

static double layernorm_loss(void *p) {
    layernorm_case *c = p;
    sl_layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->N, c->C);
    return weighted_sum(c->out, c->w, (size_t)c->N * c->C);
}

static void check_layernorm(void) {
    printf("layernorm\n");
    int N = 5, C = 19;
    layernorm_case c = {random_array((size_t)N * C, 2), random_array(C, 1), random_array(C, 1), zeros((size_t)N * C),
                        zeros(N), zeros(N), random_array((size_t)N * C, 1), N, C};
    for (int i = 0; i < N * C; i++) c.inp[i] += 0.5f; /* a nonzero mean to remove */
    layernorm_loss(&c);
    for (int n = 0; n < N; n++) { /* forward against a double-precision reference */
        double m = 0, v = 0;
        for (int k = 0; k < C; k++) m += c.inp[n * C + k];
        m /= C;
        for (int k = 0; k < C; k++) v += (c.inp[n * C + k] - m) * (c.inp[n * C + k] - m);
        double s = 1.0 / sqrt(v / C + 1e-5);
        for (int k = 0; k < C; k++)
            CHECK_NEAR(c.out[n * C + k], (c.inp[n * C + k] - m) * s * c.weight[k] + c.bias[k], 1e-5);
    }
    float *dinp = zeros((size_t)N * C), *dw = zeros(C), *db = zeros(C);
    sl_layernorm_backward(dinp, dw, db, c.w, c.inp, c.weight, c.mean, c.rstd, N, C);
    compare("layernorm dinp", c.inp, dinp, (size_t)N * C, 1000, layernorm_loss, &c, 1e-2f, 1e-2);
    compare("layernorm dweight", c.weight, dw, C, 1000, layernorm_loss, &c, 1e-2f, 1e-2);
    compare("layernorm dbias", c.bias, db, C, 1000, layernorm_loss, &c, 1e-2f, 1e-2);
    free(c.inp); free(c.weight); free(c.bias); free(c.out); free(c.mean); free(c.rstd); free(c.w);
    free(dinp); free(dw); free(db);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    float *inp, *out, *w;
    int n;
} gelu_case;

static double gelu_loss(void *p) {
    gelu_case *c = p;
    sl_gelu_forward(c->out, c->inp, c->n);
    return weighted_sum(c->out, c->w, (size_t)c->n);
}

static void check_gelu(void) {
    printf("gelu\n");
    int n = 37;
    gelu_case c = {random_array(n, 5), zeros(n), random_array(n, 1), n};
    gelu_loss(&c);
    for (int i = 0; i < n; i++) {
        double x = c.inp[i], ref = 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
        CHECK_NEAR(c.out[i], ref, 2e-6 * (1 + fabs(ref)));
    }
    float *dinp = zeros(n);
    sl_gelu_backward(dinp, c.inp, c.w, n);
    compare("gelu dinp", c.inp, dinp, n, 1000, gelu_loss, &c, 1e-2f, 1e-2);
    free(c.inp); free(c.out); free(c.w); free(dinp);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    float *qkv, *out, *att, *w;
    int B, T, C, NH;
} attention_case;

static double attention_loss(void *p) {
    attention_case *c = p;
    sl_attention_forward(c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH);
    return weighted_sum(c->out, c->w, (size_t)c->B * c->T * c->C);
}

static void check_attention(int B, int T, int C, int NH) {
    printf("attention B=%d T=%d C=%d NH=%d\n", B, T, C, NH);
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
    attention_case c = {random_array(n_qkv, 2), zeros(n_out), zeros((size_t)B * NH * T * T), random_array(n_out, 1), B, T, C, NH};
    attention_loss(&c);
    /* Forward against a direct double-precision evaluation of softmax(q k^T / sqrt(hs)) v. */
    int hs = C / NH;
    double worst = 0.0;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = c.qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double s[128], mx = -1e300, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const float *k = c.qkv + ((size_t)b * T + j) * 3 * C + C + h * hs;
                    s[j] = 0;
                    for (int d = 0; d < hs; d++) s[j] += (double)q[d] * k[d];
                    s[j] /= sqrt((double)hs);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j <= t; j++) sum += s[j] = exp(s[j] - mx);
                const float *row = c.att + (((size_t)b * NH + h) * T + t) * T;
                for (int j = 0; j < T; j++) worst = fmax(worst, fabs(row[j] - (j <= t ? s[j] / sum : 0.0)));
                for (int d = 0; d < hs; d++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += s[j] / sum * c.qkv[((size_t)b * T + j) * 3 * C + 2 * C + h * hs + d];
                    worst = fmax(worst, fabs(c.out[((size_t)b * T + t) * C + h * hs + d] - o));
                }
            }
    printf("  attention forward        max abs error %.2e\n", worst);
    CHECK(worst < 1e-5, "attention forward differs from the reference by %g", worst);
    float *dqkv = zeros(n_qkv);
    sl_attention_backward(dqkv, c.w, c.qkv, c.att, B, T, C, NH);
    compare("attention dqkv", c.qkv, dqkv, n_qkv, 2000, attention_loss, &c, 2e-2f, 1e-2); /* its L sums thousands of outputs: more rounding noise, so a wider h */
    free(c.qkv); free(c.out); free(c.att); free(c.w); free(dqkv);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    const float *logits;
    float *scratch;
    const int32_t *targets;
    int N, V;
} softmax_case;

static double softmax_loss(void *p) {
    softmax_case *c = p;
    memcpy(c->scratch, c->logits, sizeof(float) * (size_t)c->N * c->V);
    return sl_softmax_cross_entropy(c->scratch, c->targets, c->N, c->V);
}

static void check_softmax_cross_entropy(int N, int V, float spread, float h) {
    printf("softmax cross-entropy N=%d V=%d spread=%g\n", N, V, spread);
    float *logits = random_array((size_t)N * V, spread);
    int32_t *targets = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++) targets[i] = (int32_t)sl_rng_below(&rng, V);
    softmax_case c = {logits, zeros((size_t)N * V), targets, N, V};
    double ref = 0.0; /* mean of logsumexp - target logit, in double */
    for (int n = 0; n < N; n++) {
        double mx = -1e300, s = 0;
        for (int v = 0; v < V; v++) mx = fmax(mx, logits[n * V + v]);
        for (int v = 0; v < V; v++) s += exp(logits[n * V + v] - mx);
        ref += log(s) + mx - logits[n * V + targets[n]];
    }
    ref /= N;
    double loss = softmax_loss(&c);
    CHECK(isfinite(loss), "loss is not finite");
    CHECK_NEAR(loss, ref, 1e-5 * (1 + fabs(ref)));
    float *grad = zeros((size_t)N * V);
    memcpy(grad, c.scratch, sizeof(float) * (size_t)N * V); /* the fused op left d loss / d logits */
    compare("softmax-ce dlogits", logits, grad, (size_t)N * V, 1000, softmax_loss, &c, h, 1e-2);
    free(logits); free(targets); free(c.scratch); free(grad);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    float *inp, *weight, *bias, *out, *w;
    int N, C, OC;
} matmul_case;

static double matmul_loss(void *p) {
    matmul_case *c = p;
    sl_matmul_forward(c->out, c->inp, c->weight, c->bias, c->N, c->C, c->OC);
    return weighted_sum(c->out, c->w, (size_t)c->N * c->OC);
}

static void check_matmul(int N, int C, int OC) {
    printf("matmul N=%d C=%d OC=%d\n", N, C, OC);
    matmul_case c = {random_array((size_t)N * C, 1), random_array((size_t)OC * C, 1), random_array(OC, 1),
                     zeros((size_t)N * OC), random_array((size_t)N * OC, 1), N, C, OC};
    float *din = zeros((size_t)N * C), *dw = zeros((size_t)OC * C), *db = zeros(OC);
    sl_matmul_backward(din, dw, db, c.w, c.inp, c.weight, N, C, OC);
    compare("matmul dinp", c.inp, din, (size_t)N * C, 1000, matmul_loss, &c, 1e-2f, 1e-2);
    compare("matmul dweight", c.weight, dw, (size_t)OC * C, 1000, matmul_loss, &c, 1e-2f, 1e-2);
    compare("matmul dbias", c.bias, db, OC, 1000, matmul_loss, &c, 1e-2f, 1e-2);
    free(c.inp); free(c.weight); free(c.bias); free(c.out); free(c.w); free(din); free(dw); free(db);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    sl_model *model;
    int32_t *inputs, *targets;
    int B, T;
} model_case;

/* The loss recomputed in double from the logits of a forward without targets: the fused op's
 * float result would quantise the difference quotient (its ulp / 2h is ~2e-4). This also checks
 * the fused cross-entropy's loss against an independent one. */
static double model_loss(void *p) {
    model_case *c = p;
    CHECK_OK(sl_model_forward(c->model, c->inputs, NULL, c->B, c->T, NULL));
    const float *logits = sl_model_last_logits(c->model);
    int V = c->model->config.vocab_size;
    double total = 0.0;
    for (int n = 0; n < c->B * c->T; n++) {
        const float *z = logits + (size_t)n * V;
        double mx = -1e300, s = 0.0;
        for (int v = 0; v < V; v++) mx = fmax(mx, z[v]);
        for (int v = 0; v < V; v++) s += exp(z[v] - mx);
        total += log(s) + mx - z[c->targets[n]];
    }
    return total / (c->B * c->T);
}

static void check_model(void) {
    sl_config cfg = {263, 9, 12, 2, 3}; /* V, context, C, L, NH: nothing a power of two */
    int B = 2, T = 9;
    printf("whole model V=%d T=%d C=%d L=%d NH=%d B=%d\n", cfg.vocab_size, T, cfg.d_model, cfg.n_layers, cfg.n_heads, B);
    sl_model *model = NULL;
    CHECK_OK(sl_model_create(&cfg, 7, &model));
    if (!model) return;
    /* GPT-2's init (std 0.02) makes most gradients tiny and the difference quotient mostly
     * rounding noise; larger random weights give every tensor gradients well above it. */
    for (size_t i = 0; i < model->num_params; i++) model->params_memory[i] += 0.3f * sl_rng_normal(&rng);
    model_case c = {model, malloc(sizeof(int32_t) * B * T), malloc(sizeof(int32_t) * B * T), B, T};
    for (int i = 0; i < B * T; i++) {
        c.inputs[i] = (int32_t)sl_rng_below(&rng, cfg.vocab_size);
        c.targets[i] = (int32_t)sl_rng_below(&rng, cfg.vocab_size);
    }
    double reference = model_loss(&c);
    float fused = 0.0f;
    CHECK_OK(sl_model_forward(model, c.inputs, c.targets, B, T, &fused));
    CHECK_NEAR(fused, reference, 1e-5 * reference);
    CHECK_OK(sl_model_zero_grad(model));
    CHECK_OK(sl_model_backward(model));
    float *grads = malloc(sizeof(float) * model->num_params);
    memcpy(grads, model->grads_memory, sizeof(float) * model->num_params);
    size_t offset = 0;
    double worst = 0.0;
    for (int t = 0; t < SL_NUM_PARAM_TENSORS; t++) {
        char name[64];
        snprintf(name, sizeof name, "model %s", sl_param_tensor_name(t));
        double e = compare(name, model->params_memory + offset, grads + offset, model->param_sizes[t], 24,
                           model_loss, &c, 1e-2f, 2e-2);
        if (e > worst) worst = e;
        offset += model->param_sizes[t];
    }
    printf("whole model: max relative error over all tensors %.2e\n", worst);
    /* The backward must also have been an accumulation: a second one doubles the gradients. */
    CHECK_OK(sl_model_forward(model, c.inputs, c.targets, B, T, &fused));
    CHECK_OK(sl_model_backward(model));
    for (size_t i = 0; i < model->num_params; i += 97)
        CHECK_NEAR(model->grads_memory[i], 2 * grads[i], 1e-5 * (1 + fabs(grads[i])));
    CHECK(sl_model_backward(model) == SL_ERR_INVALID_ARGUMENT, "a second backward without forward must fail");
    free(grads); free(c.inputs); free(c.targets);
    sl_model_free(model);
}

int main(void) {
    sl_rng_seed(&rng, 12345);
    check_embedding();
    check_layernorm();
    check_gelu();
    check_attention(2, 5, 12, 3);
    check_attention(1, 7, 8, 1);
    check_attention(1, 33, 34, 2); /* head size 17, T past one vector width */
    /* Head sizes 16, 32, 64 take the blocked path (4 query rows x 16 keys): T not a multiple of
     * either, so partial blocks and padding are exercised. */
    check_attention(2, 7, 48, 3);
    check_attention(1, 21, 64, 2);
    check_attention(1, 18, 64, 1);
    check_attention(2, 70, 32, 1); /* three key blocks of 32 */
    check_softmax_cross_entropy(3, 17, 3, 1e-2f);
    /* Widely spread logits (the max shift must matter). The op returns its loss as a float, whose
     * rounding (~4e-6 at a loss near 50) the difference quotient divides by 2h: a wider h keeps
     * that below the tolerance, and the softmax's third derivative (<= 0.1) keeps the truncation
     * error near 1e-4. */
    check_softmax_cross_entropy(1, 40, 30, 5e-2f);
    check_matmul(7, 13, 11);
    check_matmul(1, 17, 5);
    check_model();
    return check_exit_code("test_gradcheck");
}
