/* ReLU generators and blind demodulation (Hand & Joshi): gradients against
 * central finite differences away from ReLU kinks (f64 and f32, shared and
 * per-trial networks), the recovery rate of Algorithm 1 on the paper's
 * Gaussian networks 10 -> 250 -> 1000 (f64, f32, one network per trial), a
 * case where the sign check matters, the balancing invariant, and bad
 * input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

static dmf_context *ctx;

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(double *x, size_t n, dmf_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = dmf_rng_normal(rng);
}

/* Finite differences of u -> <v, G(u)> against J(u)^T v.  G is piecewise
 * linear, so central differences are exact unless the step crosses a ReLU
 * kink (a pre-activation within ~step of zero: unlikely, seeds fixed).
 * f64: step 1e-6, error <= 1e-6 max(|grad|, 1).  f32: the inputs are
 * rounded to float first and the step is 2^-12 (so u +- step is exact in
 * float); the outputs carry float rounding ~6e-8 |G| divided by the step,
 * so the bound is 1e-2 max(|grad|, 1); a wrong gradient is off by O(1).
 * networks = B gives every row its own network. */
static void test_vjp(dmf_dtype dt, size_t networks)
{
    const size_t sizes[] = {6, 40, 80};
    dmf_generator *g;
    CHECK_OK(dmf_generator_random_networks(&g, sizes, 3, networks, 5));
    CHECK_OK(dmf_generator_set_dtype(g, dt));
    const size_t B = 4, n = 6, l = 80;
    double h[24], v[320], grad[24], plus[320], minus[320];
    dmf_rng rng;
    dmf_rng_seed(&rng, 9);
    fill(h, B * n, &rng);
    fill(v, B * l, &rng);
    if (dt == DMF_F32)
        for (size_t i = 0; i < B * n; i++) h[i] = (float)h[i];
    CHECK_OK(dmf_generator_vjp(ctx, g, h, v, B, grad));
    const double eps = dt == DMF_F32 ? ldexp(1, -12) : 1e-6, bound = dt == DMF_F32 ? 1e-2 : 1e-6;
    double worst = 0, scale = 0;
    for (size_t t = 0; t < B; t++)
        for (size_t i = 0; i < n; i++) {
            double hp[24], hm[24];
            memcpy(hp, h, sizeof h);
            memcpy(hm, h, sizeof h);
            hp[t * n + i] += eps;
            hm[t * n + i] -= eps;
            CHECK_OK(dmf_generator_forward(ctx, g, hp, B, plus));
            CHECK_OK(dmf_generator_forward(ctx, g, hm, B, minus));
            double fd = 0;
            for (size_t e = 0; e < l; e++) fd += v[t * l + e] * (plus[t * l + e] - minus[t * l + e]) / (2 * eps);
            worst = fmax(worst, fabs(fd - grad[t * n + i]));
            scale = fmax(scale, fabs(grad[t * n + i]));
        }
    printf("J^T v, %s, %zu network(s): finite differences differ by %.3g (|grad| up to %.3g, bound %.3g)\n",
           dmf_dtype_name(dt), networks, worst, scale, bound * fmax(scale, 1));
    CHECK(worst <= bound * fmax(scale, 1), "%s, %zu networks: J^T v differs from finite differences by %.3g (scale %.3g)",
          dmf_dtype_name(dt), networks, worst, scale);
    dmf_generator_free(g);
}

/* Synthesizes `trials` problems y0 = G1(h0) . G2(m0) and solves them from
 * random starts; returns the number of successes. */
static size_t run_trials(const dmf_generator *g1, const dmf_generator *g2, size_t trials, uint64_t seed,
                         const dmf_demod_options *opts, int check_balance, double *median_error)
{
    size_t n1 = dmf_generator_input_size(g1), n2 = dmf_generator_input_size(g2), l = dmf_generator_output_size(g1);
    double *h0 = malloc(trials * n1 * sizeof *h0), *m0 = malloc(trials * n2 * sizeof *m0);
    double *h = malloc(trials * n1 * sizeof *h), *m = malloc(trials * n2 * sizeof *m);
    double *a = malloc(trials * l * sizeof *a), *b = malloc(trials * l * sizeof *b), *y0 = malloc(trials * l * sizeof *y0);
    dmf_demod_trial *res = calloc(trials, sizeof *res);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    fill(h0, trials * n1, &rng);
    fill(m0, trials * n2, &rng);
    fill(h, trials * n1, &rng);
    fill(m, trials * n2, &rng);
    CHECK_OK(dmf_generator_forward(ctx, g1, h0, trials, a));
    CHECK_OK(dmf_generator_forward(ctx, g2, m0, trials, b));
    for (size_t e = 0; e < trials * l; e++) y0[e] = a[e] * b[e];
    CHECK_OK(dmf_demod_solve(ctx, g1, g2, y0, trials, h, m, h0, m0, opts, res, NULL));
    size_t ok = 0;
    double *errs = malloc(trials * sizeof *errs);
    for (size_t t = 0; t < trials; t++) errs[t] = res[t].rel_error;
    qsort(errs, trials, sizeof *errs, compare_double);
    if (median_error) *median_error = errs[trials / 2];
    free(errs);
    /* In f32 the balancing holds to float rounding. */
    const double balance_tol = dmf_generator_dtype(g1) == DMF_F32 ? 1e-6 : 1e-12;
    for (size_t t = 0; t < trials; t++) {
        ok += res[t].success;
        if (check_balance) {
            double nh = 0, nm = 0;
            for (size_t i = 0; i < n1; i++) nh += h[t * n1 + i] * h[t * n1 + i];
            for (size_t i = 0; i < n2; i++) nm += m[t * n2 + i] * m[t * n2 + i];
            CHECK(fabs(sqrt(nh) - sqrt(nm)) <= balance_tol * sqrt(nh), "trial %zu: ||h|| = %.17g, ||m|| = %.17g", t,
                  sqrt(nh), sqrt(nm));
        }
    }
    free(h0), free(m0), free(h), free(m), free(a), free(b), free(y0), free(res);
    return ok;
}

/* The recovery test: Gaussian networks 10 -> 250 -> 1000 for both
 * generators, 100 seeded trials, >= 95 succeed (balanced relative error
 * <= 1e-3, docs/demod.md).  The same in f32 on 50 trials: the threshold stays 1e-3,
 * which float reaches with room to spare (median error ~1e-5, printed); the
 * stopping tolerance on the residual becomes 1e-5, as 1e-7 is below float
 * rounding of y0.  And with one network per trial (networks drawn
 * per trial as in the paper's success-rate experiments), >= 95 %. */
static void test_recovery(dmf_dtype dt, size_t networks)
{
    /* One network per trial streams every trial's weights through memory on
     * every pass: smaller networks 5 -> 50 -> 400 and 30 trials keep the
     * test short (the paper's sizes with one network per trial are in the
     * CLI test and the benchmark). */
    const int per_trial = networks > 1;
    size_t s1[] = {10, 250, 1000}, s2[] = {10, 250, 1000}, T = dt == DMF_F32 ? 50 : 100;
    if (per_trial) {
        s1[0] = s2[0] = 5, s1[1] = s2[1] = 50, s1[2] = s2[2] = 400;
        T = networks = 30;
    }
    dmf_generator *g1, *g2;
    CHECK_OK(dmf_generator_random_networks(&g1, s1, 3, networks, 1));
    CHECK_OK(dmf_generator_random_networks(&g2, s2, 3, networks, 2));
    CHECK_OK(dmf_generator_set_dtype(g1, dt));
    CHECK_OK(dmf_generator_set_dtype(g2, dt));
    dmf_demod_options opts;
    dmf_demod_options_default(&opts);
    if (dt == DMF_F32) opts.tol = 1e-5;
    /* Successful trials stop within ~50 iterations; a trial that does not
     * would keep the whole batch's passes going for all 500. */
    if (per_trial) opts.iterations = 100;
    double median = NAN;
    size_t ok = run_trials(g1, g2, T, 11, &opts, 1, &median);
    printf("%zu -> %zu -> %zu, %s, %s, %zu trials, sign check on: %zu succeeded, median error %.3g\n", s1[0], s1[1],
           s1[2], dmf_dtype_name(dt), per_trial ? "one network per trial" : "shared networks", T, ok, median);
    CHECK(ok >= T * 95 / 100, "only %zu of %zu trials recovered (h0, m0)", ok, T);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
}

/* One-dimensional latents, as in the paper's Figure 1: f has minimizers at
 * (h0, m0) and (-h0, -m0) ... and spurious branches near the negative
 * multiples.  Started on the wrong branch, descent alone stays there; the
 * sign check jumps to the right one. */
static void test_sign_check_matters(void)
{
    const size_t sizes[] = {1, 50, 200};
    dmf_generator *g1, *g2;
    CHECK_OK(dmf_generator_random(&g1, sizes, 3, 3));
    CHECK_OK(dmf_generator_random(&g2, sizes, 3, 4));
    const size_t T = 200;
    double *h0 = malloc(T * sizeof *h0), *m0 = malloc(T * sizeof *m0), *h = malloc(T * sizeof *h), *m = malloc(T * sizeof *m);
    double *hb = malloc(T * sizeof *hb), *mb = malloc(T * sizeof *mb);
    double *a = malloc(T * 200 * sizeof *a), *b = malloc(T * 200 * sizeof *b);
    dmf_rng rng;
    dmf_rng_seed(&rng, 21);
    for (size_t t = 0; t < T; t++) {
        h0[t] = 0.5 + dmf_rng_uniform(&rng), m0[t] = 0.5 + dmf_rng_uniform(&rng);
        /* Starts on the negative side of both latents. */
        h[t] = hb[t] = -(0.5 + dmf_rng_uniform(&rng)), m[t] = mb[t] = -(0.5 + dmf_rng_uniform(&rng));
    }
    CHECK_OK(dmf_generator_forward(ctx, g1, h0, T, a));
    CHECK_OK(dmf_generator_forward(ctx, g2, m0, T, b));
    for (size_t e = 0; e < T * 200; e++) a[e] *= b[e];
    dmf_demod_trial *with = calloc(T, sizeof *with), *without = calloc(T, sizeof *without);
    dmf_demod_options opts;
    dmf_demod_options_default(&opts);
    opts.iterations = 200;
    CHECK_OK(dmf_demod_solve(ctx, g1, g2, a, T, h, m, h0, m0, &opts, with, NULL));
    opts.sign_check = 0;
    CHECK_OK(dmf_demod_solve(ctx, g1, g2, a, T, hb, mb, h0, m0, &opts, without, NULL));
    size_t ok_with = 0, ok_without = 0;
    for (size_t t = 0; t < T; t++) ok_with += with[t].success, ok_without += without[t].success;
    printf("n = p = 1, starts at negative latents: %zu of %zu succeed with the sign check, %zu without\n", ok_with,
           T, ok_without);
    CHECK(ok_with > ok_without, "the sign check should help here: %zu vs %zu", ok_with, ok_without);
    CHECK(ok_with >= T * 9 / 10, "with the sign check %zu of %zu", ok_with, T);
    free(h0), free(m0), free(h), free(m), free(hb), free(mb), free(a), free(b), free(with), free(without);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
}

static void test_bad_input(void)
{
    const size_t s1[] = {4, 8, 16}, s2[] = {3, 8, 12};
    dmf_generator *g1, *g2, *bad = NULL;
    CHECK_OK(dmf_generator_random(&g1, s1, 3, 1));
    CHECK_OK(dmf_generator_random(&g2, s2, 3, 2));
    double y0[16] = {0}, h[4] = {1, 0, 0, 0}, m[3] = {1, 0, 0};
    dmf_demod_trial tr;
    CHECK_STATUS(dmf_demod_solve(ctx, g1, g2, y0, 1, h, m, NULL, NULL, NULL, &tr, NULL), DMF_ERR_SHAPE);
    const size_t zero[] = {4, 0, 2};
    CHECK_STATUS(dmf_generator_random(&bad, zero, 3, 1), DMF_ERR_ARG);
#if SIZE_MAX > 0xffffffffu
    /* Layer sizes whose product wraps around size_t (2^32 x 2^32 once
     * allocated 1 byte and wrote 2^64 doubles into it): out of memory. */
    const size_t wraps[] = {(size_t)1 << 32, (size_t)1 << 32}, wraps_networks[] = {(size_t)1 << 31, 4};
    CHECK_STATUS(dmf_generator_random(&bad, wraps, 2, 1), DMF_ERR_NOMEM);
    CHECK(bad == NULL, "no generator from sizes that wrap");
    CHECK_STATUS(dmf_generator_random_networks(&bad, wraps_networks, 2, (size_t)1 << 31, 1), DMF_ERR_NOMEM);
#endif
    y0[3] = NAN;
    CHECK_STATUS(dmf_demod_solve(ctx, g1, g1, y0, 1, h, h, NULL, NULL, NULL, &tr, NULL), DMF_ERR_NUMERIC);
    CHECK_STATUS(dmf_generator_read("/nonexistent/gen.json", &bad), DMF_ERR_IO);
    /* Mixed dtypes, a network count that is neither 1 nor the batch, dtypes
     * other than f32/f64. */
    y0[3] = 0;
    dmf_generator *g32, *three;
    CHECK_OK(dmf_generator_random(&g32, s1, 3, 1));
    CHECK_OK(dmf_generator_set_dtype(g32, DMF_F32));
    CHECK_STATUS(dmf_demod_solve(ctx, g1, g32, y0, 1, h, h, NULL, NULL, NULL, &tr, NULL), DMF_ERR_ARG);
    CHECK_OK(dmf_generator_random_networks(&three, s1, 3, 3, 1));
    double y2[32] = {0}, h2[8] = {1, 0, 0, 0, 1, 0, 0, 0};
    dmf_demod_trial tr2[2];
    CHECK_STATUS(dmf_demod_solve(ctx, three, g1, y2, 2, h2, h2, NULL, NULL, NULL, tr2, NULL), DMF_ERR_SHAPE);
    CHECK_STATUS(dmf_generator_set_dtype(g32, DMF_C64), DMF_ERR_ARG);
    CHECK(dmf_generator_dtype(g32) == DMF_F32 && dmf_generator_networks(three) == 3, "dtype and networks");
    dmf_generator_free(g32);
    dmf_generator_free(three);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
}

/* The image experiment's distortion fields: exact values on a 3 x 3 grid
 * (x = -5, 0, 5), and a drawn set within the paper's ranges that matches
 * the single-field formula. */
static void test_gaussian_fields(void)
{
    double f[9];
    CHECK_OK(dmf_gaussian_field(3, 0.0, 25.0, f));
    CHECK(f[4] == 1.0 && fabs(f[0] - exp(-2.0)) <= 1e-15 && fabs(f[1] - exp(-1.0)) <= 1e-15 &&
              fabs(f[8] - exp(-2.0)) <= 1e-15, "3 x 3 field: %g %g %g %g", f[4], f[0], f[1], f[8]);
    CHECK_OK(dmf_gaussian_field(3, 5.0, 10.0, f));
    CHECK(f[8] == 1.0 && fabs(f[0] - exp(-20.0)) <= 1e-20 && fabs(f[2] - exp(-10.0)) <= 1e-18,
          "field centered on the corner (5, 5)");
    CHECK_STATUS(dmf_gaussian_field(1, 0.0, 25.0, f), DMF_ERR_ARG);
    CHECK_STATUS(dmf_gaussian_field(3, 0.0, 0.0, f), DMF_ERR_ARG);
    const size_t G = 28, N = 50;
    double *fields = malloc(N * G * G * sizeof *fields), params[100], one[28 * 28];
    CHECK_OK(dmf_gaussian_fields(G, N, 3, fields, params));
    int in_range = 1, same = 1;
    for (size_t k = 0; k < N; k++) {
        in_range &= params[2 * k] >= -3 && params[2 * k] <= 3 && params[2 * k + 1] >= 20 && params[2 * k + 1] <= 35;
        CHECK_OK(dmf_gaussian_field(G, params[2 * k], params[2 * k + 1], one));
        same &= memcmp(one, fields + k * G * G, sizeof one) == 0;
    }
    CHECK(in_range && same, "drawn fields: c in [-3, 3], sigma in [20, 35], equal to the formula");
    free(fields);
}

int main(void)
{
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    test_vjp(DMF_F64, 1);
    test_vjp(DMF_F64, 4);
    test_vjp(DMF_F32, 1);
    test_vjp(DMF_F32, 4);
    test_bad_input();
    test_gaussian_fields();
    test_sign_check_matters();
    test_recovery(DMF_F64, 1);
    test_recovery(DMF_F32, 1);
    test_recovery(DMF_F64, 30); /* per-trial f32: cli_demod.sh */
    dmf_context_free(ctx);
    return check_report("test_demod");
}
