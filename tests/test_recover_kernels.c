/* Recovery of convolutional networks from their leaves' kernels and the
 * per-edge solver of trees, against known answers:
 * - the real DFT (radix 2 and Bluestein) against the direct sum, lengths
 *   1 ... 100 around the powers of two;
 * - dmf_network_kernels equals X's columns of shift 0 (trees and a DAG);
 * - noiseless Haar trees of depth 3 ... 6 on R^64 and R^256, 5 on R^33, 4
 *   on R^100 and 7 on R^1024, from the kernels: >= 19 of 20 starts reach
 *   delta_2 <= 1e-10 of the truth;
 * - the kernels and the dense X give the same estimate (same residual to
 *   rounding, same path classes), and so do the per-edge and the per-layer
 *   solvers;
 * - a rank-deficient edge (two parallel edges, one kernel with repeated
 *   taps) still fits X exactly (the minimum-norm solution);
 * - kernels with noise: ||e||_F as asked, the same h as dmf_network_synth;
 * - bad input: wrong shape, NaN, a network that is not convolutional, the
 *   per-edge solver asked for on a DAG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lift/fft.h"
#include "network_specs.h"

/* The Haar tree of depth K on R^n: two edges {0, 2^k} into every node of
 * depth k (2^K leaves). */
static dmf_network *haar_tree(size_t n, size_t K)
{
    size_t cap = 256 + 96 * ((size_t)2 << K);
    char *json = malloc(cap);
    if (!json) return NULL;
    int len = snprintf(json, cap, "{\"type\": \"conv\", \"N\": %zu, \"root\": \"v0_0\", \"edges\": [", n);
    for (size_t k = 0; k < K; k++)
        for (size_t c = 0; c < ((size_t)2 << k); c++)
            len += snprintf(json + len, cap - (size_t)len,
                            "%s{\"from\": \"v%zu_%zu\", \"to\": \"v%zu_%zu\", \"support\": {\"dilated\": %zu}}",
                            k || c ? ", " : "", k + 1, c, k, c / 2, k);
    snprintf(json + len, cap - (size_t)len, "]}");
    dmf_network *net = parse(json);
    free(json);
    return net;
}

static double delta2(const dmf_network *net, const double *h, const double *g)
{
    double d = NAN, delta = NAN;
    if (dmf_param_distance(net, h, g, 2, &d, &delta) != DMF_OK) return NAN;
    return delta;
}

static void test_fft(void)
{
    const size_t lengths[] = {1, 2, 3, 4, 5, 7, 8, 12, 31, 32, 33, 63, 64, 65, 100};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        size_t n = lengths[i], half = n / 2 + 1, count = 3;
        double *x = malloc(count * n * sizeof *x), *re = malloc(count * half * sizeof *re),
               *im = malloc(count * half * sizeof *im);
        if (!x || !re || !im) {
            free(x), free(re), free(im);
            CHECK(0, "no memory");
            return;
        }
        double l1 = 0;
        for (size_t t = 0; t < count * n; t++) l1 += fabs(x[t] = sin(1.3 * (double)t + 0.2) + 0.1 * (double)(t % 7));
        CHECK_OK(dmf_fft_real_half(n, count, x, re, im));
        double worst = 0;
        for (size_t s = 0; s < count; s++)
            for (size_t w = 0; w < half; w++) {
                long double sr = 0, si = 0;
                for (size_t t = 0; t < n; t++) {
                    long double a = -2.0L * 3.14159265358979323846264338327950288L * (long double)((w * t) % n) / (long double)n;
                    sr += x[s * n + t] * cosl(a);
                    si += x[s * n + t] * sinl(a);
                }
                worst = fmax(worst, fabs(re[s * half + w] - (double)sr) + fabs(im[s * half + w] - (double)si));
            }
        /* an FFT's error: a few eps log2(n) times the signals' size */
        CHECK(worst <= 1e-14 * l1, "DFT of length %zu: error %.2e, ||x||_1 %.2e", n, worst, l1);
        free(x), free(re), free(im);
    }
}

/* dmf_network_kernels against X's columns of shift 0. */
static void check_kernels_are_columns(dmf_network *net, const char *name)
{
    size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    double *h = calloc(K * S, sizeof *h);
    dmf_matrix *x = NULL, *y = NULL;
    double noise_norm;
    CHECK_OK(dmf_network_synth(net, 3, 0, h, &x, &noise_norm));
    CHECK_OK(dmf_network_kernels(net, h, &y));
    if (x && y) {
        size_t L = dmf_matrix_rows(y), N = dmf_matrix_cols(y), cols = dmf_matrix_cols(x);
        CHECK(L * N == cols && dmf_matrix_rows(x) == N, "%s: kernels %zu x %zu for X %zu x %zu", name, L, N,
              dmf_matrix_rows(x), cols);
        const double *a = dmf_matrix_const_data(x), *b = dmf_matrix_const_data(y);
        double worst = 0;
        for (size_t f = 0; f < L && L * N == cols; f++)
            for (size_t s = 0; s < N; s++) worst = fmax(worst, fabs(a[s * cols + f * N] - b[f * N + s]));
        CHECK(worst <= 1e-13 * dmf_matrix_norm_fro(x), "%s: kernels differ from X's columns by %.2e", name, worst);
        double r = NAN;
        CHECK_OK(dmf_network_residual_kernels(net, y, h, &r));
        CHECK(r == 0, "%s: residual of the truth on its own kernels %g", name, r);
    }
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    free(h);
}

static void test_kernels(void)
{
    dmf_network *tree = haar_tree(16, 3);
    if (tree) check_kernels_are_columns(tree, "Haar tree depth 3");
    dmf_network *dag = parse("{\"type\": \"conv\", \"N\": 12, \"root\": \"r\", \"edges\": ["
                             "{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1]},"
                             "{\"from\": \"b\", \"to\": \"r\", \"support\": [0, 3]},"
                             "{\"from\": \"x\", \"to\": \"a\", \"support\": [0, 5]},"
                             "{\"from\": \"x\", \"to\": \"b\", \"support\": [1, 2]},"
                             "{\"from\": \"z\", \"to\": \"b\", \"support\": [11]}]}");
    if (dag) check_kernels_are_columns(dag, "DAG");
    dmf_network_free(tree);
    dmf_network_free(dag);
}

/* Noiseless Haar trees from their kernels: starts within 1e-10 (delta_2). */
static void test_haar_trees(void)
{
    /* N = 33 and 100 take Bluestein's FFT; the last one is large enough
     * for the starts to run on two threads */
    const size_t cases[][2] = {{64, 3}, {64, 4}, {64, 5}, {64, 6}, {33, 5}, {100, 4}, {256, 5}, {256, 6}, {1024, 7}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t N = cases[i][0], K = cases[i][1];
        dmf_network *net = haar_tree(N, K);
        if (!net) continue;
        size_t S = dmf_network_num_params(net), good = 0;
        double *truth = calloc(K * S, sizeof *truth), noise_norm;
        dmf_matrix *y = NULL;
        CHECK_OK(dmf_network_synth_kernels(net, 40 + i, 0, truth, &y, &noise_norm));
        dmf_recover_options opt = {.restarts = 20, .max_iterations = 200, .seed = 7 + i};
        dmf_recover_report rep;
        int status = y ? dmf_recover_kernels(net, y, &opt, &rep) : DMF_ERR_ARG;
        CHECK_OK(status);
        if (status == DMF_OK) {
            double worst = 0;
            for (size_t s = 0; s < rep.restarts; s++) {
                double d = delta2(net, rep.start_h + s * K * S, truth);
                good += d <= 1e-10;
                if (d > worst) worst = d;
            }
            printf("Haar tree N=%zu K=%zu (%zu leaves) from kernels: %zu of 20 starts with delta_2 <= 1e-10 "
                   "(worst %.1e), %zu sweeps in all, rel residual %.1e, %.3f s\n",
                   N, K, (size_t)1 << K, good, worst, rep.total_iterations, rep.rel_residual, rep.time_s);
            CHECK(good >= 19, "Haar tree N=%zu K=%zu: %zu of 20 starts recovered", N, K, good);
            CHECK(rep.solver == DMF_RECOVER_SOLVER_EDGES, "the per-edge solver runs on a tree");
            CHECK(rep.rel_residual <= 1e-13, "relative residual %g", rep.rel_residual);
            dmf_recover_report_free(&rep);
        }
        dmf_matrix_free(y);
        free(truth);
        dmf_network_free(net);
    }
}

/* The same data as X and as kernels, and the two solvers: the same fit. */
static void test_agreement(void)
{
    dmf_network *net = haar_tree(32, 4);
    if (!net) return;
    const size_t K = 4, S = dmf_network_num_params(net);
    double *truth = calloc(K * S, sizeof *truth), noise_norm;
    dmf_matrix *x = NULL, *y = NULL;
    /* noise on X: its nearest circulant is what both forms fit */
    CHECK_OK(dmf_network_synth(net, 5, 1e-3, truth, &x, &noise_norm));
    dmf_recover_report dense, layers, kern;
    dmf_recover_options opt = {.restarts = 4, .seed = 9};
    CHECK_OK(dmf_recover(net, x, &opt, &dense));
    opt.solver = DMF_RECOVER_SOLVER_LAYERS;
    CHECK_OK(dmf_recover(net, x, &opt, &layers));
    CHECK(dense.solver == DMF_RECOVER_SOLVER_EDGES && layers.solver == DMF_RECOVER_SOLVER_LAYERS, "solvers %d %d",
          dense.solver, layers.solver);
    /* X's circulant averages as kernels: the kernels' fit is the dense one
     * minus the part of X outside the circulants, which no h reaches. */
    const size_t N = 32, L = 16;
    CHECK_OK(dmf_matrix_create(&y, DMF_F64, L, N));
    const double *a = dmf_matrix_const_data(x);
    double *b = dmf_matrix_data(y), outside = 0;
    for (size_t f = 0; f < L; f++)
        for (size_t s = 0; s < N; s++) {
            double sum = 0;
            for (size_t t = 0; t < N; t++) sum += a[((s + t) % N) * (L * N) + f * N + t];
            b[f * N + s] = sum / (double)N;
        }
    for (size_t f = 0; f < L; f++)
        for (size_t s = 0; s < N; s++)
            for (size_t t = 0; t < N; t++) {
                double d = a[((s + t) % N) * (L * N) + f * N + t] - b[f * N + s];
                outside += d * d;
            }
    opt.solver = DMF_RECOVER_SOLVER_AUTO;
    CHECK_OK(dmf_recover_kernels(net, y, &opt, &kern));
    double norm = dmf_matrix_norm_fro(x);
    /* ALS stops on a residual that moves by <= 1e-15 ||X||: the estimates
     * agree to rounding amplified by the conditioning, 1e-9 relative here */
    double r_kern = sqrt(kern.residual * kern.residual + outside);
    CHECK(fabs(dense.residual - layers.residual) <= 1e-12 * norm, "edges %.17g, layers %.17g", dense.residual,
          layers.residual);
    CHECK(fabs(dense.residual - r_kern) <= 1e-12 * norm, "dense %.17g, kernels (with the part outside) %.17g",
          dense.residual, r_kern);
    double scale = sqrt(dense.h[0] * dense.h[0] + dense.h[1] * dense.h[1]);
    CHECK(delta2(net, dense.h, layers.h) <= 1e-9 * scale, "per-edge and per-layer estimates %.2e apart",
          delta2(net, dense.h, layers.h));
    CHECK(delta2(net, dense.h, kern.h) <= 1e-9 * scale, "dense and kernels estimates %.2e apart",
          delta2(net, dense.h, kern.h));
    printf("Haar tree N=32 K=4, noise 1e-3: residual dense %.6e (edges) %.6e (layers), kernels %.6e; classes "
           "%.1e and %.1e apart\n", dense.residual, layers.residual, r_kern, delta2(net, dense.h, layers.h),
           delta2(net, dense.h, kern.h));
    dmf_recover_report_free(&dense);
    dmf_recover_report_free(&layers);
    dmf_recover_report_free(&kern);
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    free(truth);
    dmf_network_free(net);
}

/* Two parallel edges a -> r come back as one edge with taps {0, 1, 0, 1}:
 * its system has rank 2 of 4.  The minimum-norm solution fits X all the
 * same. */
static void test_rank_deficient_edge(void)
{
    dmf_network *net = parse("{\"type\": \"conv\", \"N\": 16, \"root\": \"r\", \"edges\": ["
                             "{\"from\": \"a\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                             "{\"from\": \"a\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                             "{\"from\": \"b\", \"to\": \"a\", \"support\": {\"dilated\": 1}},"
                             "{\"from\": \"c\", \"to\": \"a\", \"support\": {\"dilated\": 1}}]}");
    if (!net) return;
    size_t K = 2, S = dmf_network_num_params(net);
    double truth[2 * 8] = {0}, noise_norm;
    dmf_matrix *y = NULL;
    CHECK_OK(dmf_network_synth_kernels(net, 2, 0, truth, &y, &noise_norm));
    dmf_recover_options opt = {.restarts = 5, .seed = 1};
    dmf_recover_report rep;
    int status = dmf_recover_kernels(net, y, &opt, &rep);
    CHECK_OK(status);
    if (status == DMF_OK) {
        CHECK(rep.solver == DMF_RECOVER_SOLVER_EDGES, "parallel edges: still a tree");
        CHECK(rep.rel_residual <= 1e-13, "rank-deficient edge: relative residual %g", rep.rel_residual);
        dmf_recover_report_free(&rep);
    }
    (void)K, (void)S;
    dmf_matrix_free(y);
    dmf_network_free(net);
}

static void test_noise(void)
{
    dmf_network *net = haar_tree(32, 3);
    if (!net) return;
    size_t S = dmf_network_num_params(net);
    double *h1 = calloc(3 * S, sizeof *h1), *h2 = calloc(3 * S, sizeof *h2), *h3 = calloc(3 * S, sizeof *h3), nn, zero;
    dmf_matrix *clean = NULL, *noisy = NULL, *x = NULL;
    CHECK_OK(dmf_network_synth_kernels(net, 8, 0, h1, &clean, &zero));
    CHECK_OK(dmf_network_synth_kernels(net, 8, 0.01, h2, &noisy, &nn));
    CHECK_OK(dmf_network_synth(net, 8, 0, h3, &x, &zero));
    CHECK(!memcmp(h1, h2, 3 * S * sizeof *h1) && !memcmp(h1, h3, 3 * S * sizeof *h1), "the same h for one seed");
    if (clean && noisy && x) {
        double e = 0;
        const double *a = dmf_matrix_const_data(clean), *b = dmf_matrix_const_data(noisy);
        for (size_t i = 0; i < 8 * 32; i++) e += (a[i] - b[i]) * (a[i] - b[i]);
        e = sqrt(32 * e); /* ||circ(E)||_F */
        double xn = dmf_matrix_norm_fro(x);
        CHECK(fabs(e - 0.01 * xn) <= 1e-12 * xn && fabs(nn - e) <= 1e-12 * xn, "||e|| %.17g, 0.01 ||X|| %.17g, "
              "noise_norm %.17g", e, 0.01 * xn, nn);
        double r;
        CHECK_OK(dmf_network_residual_kernels(net, noisy, h1, &r));
        CHECK(fabs(r - e) <= 1e-12 * xn, "data error %.17g, ||e|| %.17g", r, e);
    }
    dmf_matrix_free(clean);
    dmf_matrix_free(noisy);
    dmf_matrix_free(x);
    free(h1), free(h2), free(h3);
    dmf_network_free(net);
}

static void test_bad_input(void)
{
    dmf_network *tree = haar_tree(16, 2);
    dmf_network *masked = parse("{\"type\": \"masked\", \"sizes\": [2, 2, 2], \"masks\": [\"dense\", \"dense\"]}");
    dmf_network *dag = parse("{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                             "{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1]},"
                             "{\"from\": \"b\", \"to\": \"r\", \"support\": [0, 2]},"
                             "{\"from\": \"x\", \"to\": \"a\", \"support\": [0, 3]},"
                             "{\"from\": \"x\", \"to\": \"b\", \"support\": [1, 2]}]}");
    if (!tree || !masked || !dag) return;
    dmf_recover_report rep;
    dmf_matrix *y = NULL, *wrong = NULL;
    double h[2 * 8] = {0}, nn;
    CHECK_OK(dmf_network_synth_kernels(tree, 1, 0, h, &y, &nn));
    CHECK_OK(dmf_matrix_create(&wrong, DMF_F64, 4, 15));
    if (!y || !wrong) return;
    memset(dmf_matrix_data(wrong), 0, 4 * 15 * sizeof(double));
    CHECK_STATUS(dmf_recover_kernels(tree, wrong, NULL, &rep), DMF_ERR_SHAPE);
    CHECK(strstr(dmf_last_error(), "4 x 16"), "the message names the shape: %s", dmf_last_error());
    ((double *)dmf_matrix_data(y))[5] = NAN;
    CHECK_STATUS(dmf_recover_kernels(tree, y, NULL, &rep), DMF_ERR_NUMERIC);
    CHECK(strstr(dmf_last_error(), "row 0") && strstr(dmf_last_error(), "shift 5"), "names the entry: %s",
          dmf_last_error());
    CHECK_STATUS(dmf_recover_kernels(masked, wrong, NULL, &rep), DMF_ERR_ARG);
    CHECK(strstr(dmf_last_error(), "convolutional"), "says why: %s", dmf_last_error());
    dmf_matrix *k = NULL;
    CHECK_STATUS(dmf_network_kernels(masked, h, &k), DMF_ERR_ARG);
    /* the per-edge solver on a DAG: refused when asked for, and auto falls
     * back to the layers */
    dmf_matrix *yd = NULL;
    double hd[2 * 4] = {0};
    CHECK_OK(dmf_network_synth_kernels(dag, 1, 0, hd, &yd, &nn));
    dmf_recover_options opt = {.restarts = 3, .solver = DMF_RECOVER_SOLVER_EDGES};
    CHECK_STATUS(dmf_recover_kernels(dag, yd, &opt, &rep), DMF_ERR_ARG);
    CHECK(strstr(dmf_last_error(), "tree"), "says why: %s", dmf_last_error());
    opt.solver = DMF_RECOVER_SOLVER_AUTO;
    int status = dmf_recover_kernels(dag, yd, &opt, &rep);
    CHECK_OK(status);
    if (status == DMF_OK) {
        CHECK(rep.solver == DMF_RECOVER_SOLVER_LAYERS, "a DAG falls back to the per-layer solver");
        dmf_recover_report_free(&rep);
    }
    opt.solver = 7;
    CHECK_STATUS(dmf_recover_kernels(tree, yd, &opt, &rep), DMF_ERR_ARG);
    dmf_matrix_free(yd);
    dmf_matrix_free(y);
    dmf_matrix_free(wrong);
    dmf_network_free(tree);
    dmf_network_free(masked);
    dmf_network_free(dag);
}

int main(void)
{
    test_fft();
    test_kernels();
    test_haar_trees();
    test_agreement();
    test_rank_deficient_edge();
    test_noise();
    test_bad_input();
    return check_report("test_recover_kernels");
}
