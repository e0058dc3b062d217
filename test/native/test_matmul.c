/* test_matmul.c: every matmul kernel set this CPU can run, against the naive double-precision
 * references, on awkward shapes (tile and block edges, K beyond one K block, column blocks), the
 * real shapes of the small preset, 1-3 threads, with and without bias, NULL gradient outputs, and
 * the += semantics of backward.
 *
 * Tolerance: a float sum of K products has error at most ~K*u*sum|x_i*y_i| (u = 2^-24), whatever
 * the summation order; we allow 2*K*u times that magnitude (computed by running the reference on
 * absolute values) plus 4u of |result| + |initial value|: the reference itself rounds its double
 * sum to float and then rounds the += into the gradient, and so do the kernels. A wrong index or
 * a missed/doubled term errs by the size of a whole term, far above this bound. */
#include "seedling.h"
#include "matmul/matmul.h"
#include "matmul/matmul_kernels.h"
#include "check.h"
#include "test_os.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const double U = 5.960464477539063e-08; /* 2^-24 */

static unsigned rng_state = 42;
static float frand(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) / 16777216.0 - 0.5);
}
static float *rand_array(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}
static float *abs_copy(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = fabsf(x[i]);
    return p;
}
static float *copy_of(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    memcpy(p, x, (n ? n : 1) * sizeof *p);
    return p;
}

/* Compare got[0..n) to want, with the bound above; init (or NULL) is what the result was added to. */
static int count_bad(const char *what, const float *got, const float *want, const float *mag, const float *init,
                     size_t n, int K, const char *label) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double tol = 2.0 * (K > 0 ? K : 1) * U * mag[i] + 4.0 * U * (fabs(want[i]) + (init ? fabs(init[i]) : 0)) + 1e-30;
        double err = fabs((double)got[i] - want[i]);
        if (!(err <= tol)) {
            if (bad < 3)
                fprintf(stderr, "  %s %s [%zu]: got %.9g want %.9g (err %.3g tol %.3g)\n", label, what, i,
                        got[i], want[i], err, tol);
            bad++;
        }
    }
    return bad;
}

typedef struct {
    int N, C, OC;
    float *inp, *w, *b, *dout;          /* inputs */
    float *d0_inp, *d0_w, *d0_b;        /* initial gradient contents (+= must keep them) */
    float *ref_out, *ref_out_nb, *ref_dinp, *ref_dw, *ref_db; /* expected results */
    float *mag_out, *mag_dinp, *mag_dw, *mag_db;              /* sum |x*y| per output */
} problem;

/* Expected results and magnitudes for the inputs in p. */
static void compute_expected(problem *p_) {
    problem p = *p_;
    const int N = p.N, C = p.C, OC = p.OC;
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    p.ref_out = malloc(no * sizeof(float) + 4), p.ref_out_nb = malloc(no * sizeof(float) + 4);
    sl_matmul_forward_reference(p.ref_out, p.inp, p.w, p.b, N, C, OC);
    sl_matmul_forward_reference(p.ref_out_nb, p.inp, p.w, NULL, N, C, OC);
    p.ref_dinp = copy_of(p.d0_inp, nc), p.ref_dw = copy_of(p.d0_w, oc), p.ref_db = copy_of(p.d0_b, OC);
    sl_matmul_backward_reference(p.ref_dinp, p.ref_dw, p.ref_db, p.dout, p.inp, p.w, N, C, OC);
    /* Magnitudes: the same products on absolute values. */
    float *ai = abs_copy(p.inp, nc), *aw = abs_copy(p.w, oc), *ab = abs_copy(p.b, OC), *ad = abs_copy(p.dout, no);
    p.mag_out = malloc(no * sizeof(float) + 4);
    sl_matmul_forward_reference(p.mag_out, ai, aw, ab, N, C, OC);
    p.mag_dinp = calloc(nc + 1, sizeof(float)), p.mag_dw = calloc(oc + 1, sizeof(float)), p.mag_db = calloc(OC + 1, sizeof(float));
    sl_matmul_backward_reference(p.mag_dinp, p.mag_dw, p.mag_db, ad, ai, aw, N, C, OC);
    free(ai), free(aw), free(ab), free(ad);
    *p_ = p;
}

static void free_expected(problem *p) {
    float *all[] = {p->ref_out, p->ref_out_nb, p->ref_dinp, p->ref_dw, p->ref_db, p->mag_out, p->mag_dinp,
                    p->mag_dw, p->mag_db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static problem make_problem(int N, int C, int OC) {
    problem p = {.N = N, .C = C, .OC = OC};
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    p.inp = rand_array(nc), p.w = rand_array(oc), p.b = rand_array(OC), p.dout = rand_array(no);
    p.d0_inp = rand_array(nc), p.d0_w = rand_array(oc), p.d0_b = rand_array(OC);
    compute_expected(&p);
    return p;
}

static void free_problem(problem *p) {
    float *all[] = {p->inp, p->w, p->b, p->dout, p->d0_inp, p->d0_w, p->d0_b};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    free_expected(p);
}

/* Run forward (with or without bias) and backward (outputs chosen by mask: 1 dinp, 2 dweight,
 * 4 dbias) with kernel set k and compare. */
static void check_problem(const sl_matmul_kernels *k, const problem *p, int threads, int with_bias, int mask) {
    const int N = p->N, C = p->C, OC = p->OC;
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    char label[128];
    snprintf(label, sizeof label, "%s t=%d N=%d C=%d OC=%d bias=%d mask=%d", k->name, threads, N, C, OC, with_bias, mask);
    int bad = 0;

    float *out = malloc(no * sizeof(float) + 4);
    for (size_t i = 0; i < no; i++) out[i] = NAN; /* forward must overwrite, not accumulate */
    sl_matmul_forward_with(k, out, p->inp, p->w, with_bias ? p->b : NULL, N, C, OC);
    bad += count_bad("out", out, with_bias ? p->ref_out : p->ref_out_nb, p->mag_out, NULL, no, C, label);

    float *dinp = (mask & 1) ? copy_of(p->d0_inp, nc) : NULL;
    float *dw = (mask & 2) ? copy_of(p->d0_w, oc) : NULL;
    float *db = (mask & 4) ? copy_of(p->d0_b, OC) : NULL;
    sl_matmul_backward_with(k, dinp, dw, db, p->dout, p->inp, p->w, N, C, OC);
    if (dinp) bad += count_bad("dinp", dinp, p->ref_dinp, p->mag_dinp, p->d0_inp, nc, OC, label);
    if (dw) bad += count_bad("dweight", dw, p->ref_dw, p->mag_dw, p->d0_w, oc, N, label);
    if (db) bad += count_bad("dbias", db, p->ref_db, p->mag_db, p->d0_b, OC, N, label);
    CHECK(bad == 0, "%s: %d element(s) out of tolerance", label, bad);
    free(out), free(dinp), free(dw), free(db);
}

/* The real shapes: full forward/backward, compared on sampled rows and columns (the full double
 * reference would take minutes). */
static void check_real_shape(const sl_matmul_kernels *k, int threads, int N, int C, int OC) {
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    float *inp = rand_array(nc), *w = rand_array(oc), *b = rand_array(OC), *dout = rand_array(no);
    float *out = malloc(no * sizeof(float)), *dinp = rand_array(nc), *dw = rand_array(oc), *db = rand_array(OC);
    float *dinp0 = copy_of(dinp, nc), *dw0 = copy_of(dw, oc), *db0 = copy_of(db, OC);
    sl_matmul_forward_with(k, out, inp, w, b, N, C, OC);
    sl_matmul_backward_with(k, dinp, dw, db, dout, inp, w, N, C, OC);
    char label[96];
    snprintf(label, sizeof label, "%s t=%d N=%d C=%d OC=%d", k->name, threads, N, C, OC);
    int bad = 0;
    /* Rows of out and dinp: the reference on one row (N = 1) at a time. */
    float *want = malloc((OC > C ? OC : C) * sizeof(float)), *mag = malloc((OC > C ? OC : C) * sizeof(float));
    float *ai = abs_copy(inp, nc), *aw = abs_copy(w, oc), *ab = abs_copy(b, OC), *ad = abs_copy(dout, no);
    int rows[] = {0, 1, 5, N / 2 + 3, N - 2, N - 1};
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        int n = rows[r];
        sl_matmul_forward_reference(want, inp + (size_t)n * C, w, b, 1, C, OC);
        sl_matmul_forward_reference(mag, ai + (size_t)n * C, aw, ab, 1, C, OC);
        bad += count_bad("out row", out + (size_t)n * OC, want, mag, NULL, OC, C, label);
        memcpy(want, dinp0 + (size_t)n * C, C * sizeof(float));
        memset(mag, 0, C * sizeof(float));
        sl_matmul_backward_reference(want, NULL, NULL, dout + (size_t)n * OC, inp, w, 1, C, OC);
        sl_matmul_backward_reference(mag, NULL, NULL, ad + (size_t)n * OC, ai, aw, 1, C, OC);
        bad += count_bad("dinp row", dinp + (size_t)n * C, want, mag, dinp0 + (size_t)n * C, C, OC, label);
    }
    /* Sampled dweight entries and all of dbias, in double. */
    for (int s = 0; s < 40; s++) {
        int o = (s * 7919) % OC, c = (s * 104729 + 13) % C;
        double acc = dw0[(size_t)o * C + c], m = 0;
        for (int n = 0; n < N; n++) {
            acc += (double)dout[(size_t)n * OC + o] * inp[(size_t)n * C + c];
            m += fabs((double)dout[(size_t)n * OC + o] * inp[(size_t)n * C + c]);
        }
        float wf = (float)acc, mf = (float)m;
        bad += count_bad("dweight", dw + (size_t)o * C + c, &wf, &mf, dw0 + (size_t)o * C + c, 1, N, label);
    }
    for (int o = 0; o < OC; o++) {
        double acc = db0[o], m = 0;
        for (int n = 0; n < N; n++) acc += dout[(size_t)n * OC + o], m += fabs(dout[(size_t)n * OC + o]);
        float wf = (float)acc, mf = (float)m;
        bad += count_bad("dbias", db + o, &wf, &mf, db0 + o, 1, N, label);
    }
    CHECK(bad == 0, "%s: %d sampled element(s) out of tolerance", label, bad);
    float *all[] = {inp, w, b, dout, out, dinp, dw, db, dinp0, dw0, db0, want, mag, ai, aw, ab, ad};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

/* Round to the nearest bfloat16, ties to even (what vcvtneps2bf16 does for normal numbers). */
static float bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The bf16 variants against the reference on bf16-rounded inputs: products of bf16 values are
 * exact in fp32, so only fp32 summation error remains and the fp32 bound applies. Forward batches
 * of up to SL_MATMUL_DOT_MAX_ROWS rows run in fp32 by contract: those use the unrounded inputs. */
static void check_bf16(int N, int C, int OC, int threads) {
    problem p = make_problem(N, C, OC);
    size_t nc = (size_t)N * C, oc = (size_t)OC * C, no = (size_t)N * OC;
    const int fwd_fp32 = N <= SL_MATMUL_DOT_MAX_ROWS;
    char label[96];
    snprintf(label, sizeof label, "bf16 t=%d N=%d C=%d OC=%d", threads, N, C, OC);
    int bad = 0;
    float *out = malloc(no * sizeof(float) + 4);
    for (size_t i = 0; i < no; i++) out[i] = NAN;
    if (fwd_fp32) {
        sl_matmul_forward_bf16(out, p.inp, p.w, p.b, N, C, OC);
        bad += count_bad("out", out, p.ref_out, p.mag_out, NULL, no, C, label);
    }
    float *orig_inp = copy_of(p.inp, nc), *orig_w = copy_of(p.w, oc), *orig_dout = copy_of(p.dout, no);
    for (size_t i = 0; i < nc; i++) p.inp[i] = bf16_round(p.inp[i]);
    for (size_t i = 0; i < oc; i++) p.w[i] = bf16_round(p.w[i]);
    for (size_t i = 0; i < no; i++) p.dout[i] = bf16_round(p.dout[i]);
    free_expected(&p);
    compute_expected(&p);
    if (!fwd_fp32) {
        sl_matmul_forward_bf16(out, orig_inp, orig_w, p.b, N, C, OC);
        bad += count_bad("out", out, p.ref_out, p.mag_out, NULL, no, C, label);
    }
    float *dinp = copy_of(p.d0_inp, nc), *dw = copy_of(p.d0_w, oc), *db = copy_of(p.d0_b, OC);
    sl_matmul_backward_bf16(dinp, dw, db, orig_dout, orig_inp, orig_w, N, C, OC);
    bad += count_bad("dinp", dinp, p.ref_dinp, p.mag_dinp, p.d0_inp, nc, OC, label);
    bad += count_bad("dweight", dw, p.ref_dw, p.mag_dw, p.d0_w, oc, N, label);
    /* dbias sums dout in fp32 (no rounding): compare with the sum of the original values. */
    double max_db_err = 0;
    for (int o = 0; o < OC; o++) {
        double want = p.d0_b[o];
        for (int n = 0; n < N; n++) want += orig_dout[(size_t)n * OC + o];
        double e = fabs(db[o] - want);
        if (e > max_db_err) max_db_err = e;
    }
    CHECK(max_db_err <= 4.0 * N * U * 0.5 * N + 1e-6, "%s: dbias error %.3g", label, max_db_err);
    CHECK(bad == 0, "%s: %d element(s) out of tolerance", label, bad);
    free(out), free(dinp), free(dw), free(db), free(orig_inp), free(orig_w), free(orig_dout);
    free_problem(&p);
}

int main(void) {
    /* Workers idle between the many tiny regions here while the references run: don't let them
     * spin away a shared machine's CPU (spinning only affects speed, not results). */
    test_setenv("SEEDLING_SPIN_US", "100", 0);
    /* The environment override is honoured on first use. */
    test_setenv("SEEDLING_KERNEL", "generic", 1);
    CHECK(strcmp(sl_cpu_kernel_name(), "generic") == 0, "SEEDLING_KERNEL=generic gave %s", sl_cpu_kernel_name());
    CHECK(sl_matmul_use_kernels("no-such-kernel") == SL_ERR_UNSUPPORTED, "unknown kernel set accepted");

    const char *names[] = {"avx512", "avx2", "neon", "generic"};
    const sl_matmul_kernels *sets[4];
    int n_sets = 0;
    for (int i = 0; i < 4; i++) {
        sets[n_sets] = sl_matmul_kernels_named(names[i]);
        if (sets[n_sets]) n_sets++;
        else printf("skipped: %s kernels (not available on this CPU/build)\n", names[i]);
    }
    CHECK_OK(sl_matmul_use_kernels(sets[0]->name));
    CHECK(strcmp(sl_cpu_kernel_name(), sets[0]->name) == 0, "active kernel is %s", sl_cpu_kernel_name());

    /* Under an instruction-set emulator (the arm64 tests run under qemu, set by CMakeLists.txt)
     * everything is ~50x slower: the 257-wide cases and most real shapes are left out there. Every
     * tile and block edge is still crossed: 65 > any mr and nr, and the K-block cases below stay. */
    const int emulated = getenv("SL_TEST_EMULATED") != NULL;
    if (emulated) printf("emulated: small cases up to 65, one real shape per kernel set\n");
    /* Split even tiny problems across all threads, so partitioning is tested on every shape. */
    sl_matmul_set_min_work_per_thread(1);
    static const int dims[] = {1, 3, 17, 65, 257};
    const int n_dims = emulated ? 4 : 5;
    int case_no = 0;
    for (int a = 0; a < n_dims; a++)
        for (int c = 0; c < n_dims; c++)
            for (int o = 0; o < n_dims; o++) {
                problem p = make_problem(dims[a], dims[c], dims[o]);
                for (int s = 0; s < n_sets; s++)
                    for (int threads = 1; threads <= 3; threads++) {
                        CHECK_OK(sl_set_threads(threads));
                        int mask = (case_no % 8) ? (case_no % 8) : 7; /* every subset of outputs */
                        check_problem(sets[s], &p, threads, case_no % 2, mask);
                        case_no++;
                    }
                free_problem(&p);
            }
    /* Several K blocks with a tail in each product (forward K = 1030, dinp K = 1100, dweight
     * K = 1100), column blocks beyond one task. */
    {
        problem p = make_problem(300, 1030, 70), q = make_problem(1100, 40, 1100);
        CHECK_OK(sl_set_threads(2));
        for (int s = 0; s < n_sets; s++) {
            check_problem(sets[s], &p, 2, 1, 7);
            check_problem(sets[s], &q, 2, 0, 7);
        }
        free_problem(&p), free_problem(&q);
    }

    if (sl_matmul_bf16_available()) {
        static const int bn[] = {1, 17, 65, 257}, bc[] = {3, 17, 256, 257}, bo[] = {1, 65, 257};
        for (int threads = 1; threads <= 3; threads += 2) {
            CHECK_OK(sl_set_threads(threads));
            for (int a = 0; a < 4; a++)
                for (int c = 0; c < 4; c++)
                    for (int o = 0; o < 3; o++) check_bf16(bn[a], bc[c], bo[o], threads);
            check_bf16(600, 256, 300, threads);
            check_bf16(1100, 256, 70, threads); /* dweight over 550 pair slots: two K blocks */
            check_bf16(40, 1100, 70, threads);  /* forward over 550 pair slots */
        }
    } else {
        printf("skipped: bf16 matmuls (no AVX512-BF16 on this CPU/build)\n");
    }
    sl_matmul_set_min_work_per_thread(1 << 20);

    static const int real_oc[] = {768, 1024, 4096};
    for (int s = 0; s < n_sets; s++)
        for (int threads = 1; threads <= 3; threads++) {
            if (!strcmp(sets[s]->name, "generic") && threads != 2) continue; /* slow path: once */
            if (emulated && threads != 2) continue;
            CHECK_OK(sl_set_threads(threads));
            if (emulated) {
                check_real_shape(sets[s], threads, 2048, 256, real_oc[0]);
                continue;
            }
            for (int r = 0; r < 3; r++) check_real_shape(sets[s], threads, 2048, 256, real_oc[r]);
            check_real_shape(sets[s], threads, 2048, 1024, 256);
        }
    printf("test_matmul: %d small cases x %d kernel sets checked\n", case_no / n_sets, n_sets);
    CHECK_OK(sl_set_threads(1));
    return check_exit_code("test_matmul");
}
