/* The whole range of every dtype: matrices with entries near the overflow
 * or underflow threshold factor as well as the same matrices near 1 (the
 * library scales them by a power of two internally and scales the factors
 * back), errors and norms are computed without overflowing their sums of
 * squares, and whatever still cannot be represented is DMF_ERR_NUMERIC,
 * never a NaN or infinity handed back as a result.
 *
 * Tolerances: 1e-14 in double for exact recovery (as test_butterfly's
 * 1e-12, tighter because Hadamard factors are exact in binary); 1e-12
 * relative between the error of a scaled input and of the unscaled one
 * (1e-5 in single), which leaves room for the different rounding of a
 * scaled copy but not for lost entries. */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "butterfly/tree_internal.h"
#include "check.h"
#include "scale.h"

static const char *const trees[] = {"l2r", "r2l", "balanced"};

static dmf_matrix *builtin(const char *name, size_t n, dmf_dtype dtype)
{
    dmf_matrix_spec spec = {name, n, n, dtype, 0, 42, NULL, NULL, 0};
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    return a;
}

/* A copy of `a` with every entry multiplied by `factor` (in double, then
 * rounded to the dtype). */
static dmf_matrix *times(const dmf_matrix *a, double factor)
{
    dmf_dtype dt = dmf_matrix_dtype(a);
    size_t count = dmf_matrix_rows(a) * dmf_matrix_cols(a);
    dmf_matrix *b = NULL;
    CHECK_OK(dmf_matrix_create(&b, dt, dmf_matrix_rows(a), dmf_matrix_cols(a)));
    for (size_t i = 0; i < count; i++)
        dmf_set(dt, dmf_matrix_data(b), i, dmf_get(dt, dmf_matrix_const_data(a), i) * factor);
    return b;
}

static int chain_finite(const dmf_chain *chain)
{
    for (size_t k = 0; k < dmf_chain_num_factors(chain); k++) {
        size_t a, b, c, d;
        dmf_chain_support(chain, k, &a, &b, &c, &d);
        if (dmf_first_nonfinite(dmf_chain_dtype(chain), dmf_chain_const_blocks(chain, k), a * b * c * d) <
            a * b * c * d)
            return 0;
    }
    return 1;
}

/* Factors a (power-of-two square) with `tree`; returns the chain and its
 * relative error (INFINITY when either call failed). */
static dmf_chain *factor(const dmf_matrix *a, const char *tree_spec, int orthonormalize, double *err)
{
    size_t n = dmf_matrix_rows(a), rm[64], rn[64], L;
    dmf_context *ctx;
    dmf_tree *tree;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    CHECK_OK(dmf_default_radices(n, n, rm, rn, 64, &L));
    CHECK_OK(dmf_tree_create(&tree, tree_spec, L));
    dmf_butterfly_options opts;
    dmf_butterfly_options_default(&opts);
    opts.orthonormalize = orthonormalize;
    dmf_chain *chain = NULL;
    *err = INFINITY;
    CHECK_OK(dmf_butterfly_factor(ctx, a, rm, rn, L, tree, &opts, &chain, NULL));
    if (chain) CHECK_OK(dmf_chain_rel_error(chain, a, err));
    dmf_tree_free(tree);
    dmf_context_free(ctx);
    return chain;
}

/* 1e300 H and 1e-300 H: exact recovery, finite factors, product s H. */
static void test_scaled_hadamard(void)
{
    dmf_matrix *h = builtin("hadamard", 32, DMF_F64);
    const double scales[] = {1e300, 1e-300, 0x1p-1060 /* subnormal entries */};
    for (int s = 0; s < 3; s++) {
        dmf_matrix *a = times(h, scales[s]);
        for (int t = 0; t < 3; t++)
            for (int ortho = 0; ortho < 2; ortho++) {
                double err;
                dmf_chain *chain = factor(a, trees[t], ortho, &err);
                if (!chain) continue;
                CHECK(err < 1e-14, "%g H, tree %s, orthonormalize %d: rel_error %.3g", scales[s],
                      trees[t], ortho, err);
                CHECK(chain_finite(chain), "%g H, tree %s: a factor is not finite", scales[s], trees[t]);
                dmf_matrix *d = NULL;
                CHECK_OK(dmf_chain_densify(chain, &d));
                double worst = 0;
                for (size_t i = 0; d && i < 32 * 32; i++) {
                    double want = dmf_get(DMF_F64, dmf_matrix_const_data(h), i);
                    double got = creal(dmf_get(DMF_F64, dmf_matrix_const_data(d), i)) / scales[s];
                    worst = fmax(worst, fabs(got - want));
                }
                /* The subnormal case keeps only the bits a subnormal has. */
                double tol = s == 2 ? 1e-3 : 1e-14;
                CHECK(worst <= tol, "%g H, tree %s, orthonormalize %d: product differs from s H by %.3g",
                      scales[s], trees[t], ortho, worst);
                dmf_matrix_free(d);
                dmf_chain_free(chain);
            }
        dmf_matrix_free(a);
    }
    dmf_matrix_free(h);
}

/* The relative error of a scaled Gaussian is that of the unscaled one. */
static void test_scale_invariance(dmf_dtype dt, const double *scales, int num_scales, double tol)
{
    dmf_matrix *g = builtin("gaussian", 32, dt);
    for (int t = 0; t < 3; t++)
        for (int ortho = 0; ortho < 2; ortho++) {
            double ref;
            dmf_chain *base = factor(g, trees[t], ortho, &ref);
            dmf_chain_free(base);
            for (int s = 0; s < num_scales; s++) {
                dmf_matrix *a = times(g, scales[s]);
                double err;
                dmf_chain *chain = factor(a, trees[t], ortho, &err);
                CHECK(fabs(err - ref) <= tol * ref, "%s gaussian x %g, %s, orthonormalize %d: rel_error %.17g, "
                                                     "unscaled %.17g", dmf_dtype_name(dt), scales[s], trees[t],
                      ortho, err, ref);
                CHECK(!chain || chain_finite(chain), "%s gaussian x %g: a factor is not finite",
                      dmf_dtype_name(dt), scales[s]);
                dmf_chain_free(chain);
                dmf_matrix_free(a);
            }
        }
    dmf_matrix_free(g);
}

/* Half the entries 1e200, half 1e-200: the tiny ones are below the
 * rounding of the huge ones, so the error is that of the 1e200 pattern. */
static void test_mixed_magnitudes(void)
{
    dmf_matrix *g = builtin("gaussian", 16, DMF_F64), *a = NULL, *b = NULL;
    CHECK_OK(dmf_matrix_create(&a, DMF_F64, 16, 16));
    CHECK_OK(dmf_matrix_create(&b, DMF_F64, 16, 16));
    double *x = dmf_matrix_data(a), *y = dmf_matrix_data(b);
    const double *z = dmf_matrix_const_data(g);
    for (size_t i = 0; i < 256; i++) {
        x[i] = z[i] > 0 ? 1e200 : 1e-200;
        y[i] = z[i] > 0 ? 1 : 0;
    }
    for (int ortho = 0; ortho < 2; ortho++) {
        double err, ref;
        dmf_chain *chain = factor(a, "balanced", ortho, &err), *plain = factor(b, "balanced", ortho, &ref);
        CHECK(chain && chain_finite(chain), "mixed 1e200/1e-200: factors missing or not finite");
        CHECK(fabs(err - ref) <= 1e-12 * ref, "mixed 1e200/1e-200, orthonormalize %d: rel_error %.17g, "
                                               "the 1/0 pattern's %.17g", ortho, err, ref);
        dmf_chain_free(chain);
        dmf_chain_free(plain);
    }
    dmf_matrix_free(a);
    dmf_matrix_free(b);
    dmf_matrix_free(g);
}

/* One entry near 2.2e-162 beside a 1 and zeros: a 2 x n block whose sum of
 * squares is the least subnormal, whose Gram matrix's top eigenvalue
 * rounds to 0 (0.5 * (g11 + g22)).  The factors must come out exact, as
 * for any other rank-one input (the balance between W and H once came
 * from that eigenvalue alone: 1 / 0, "the factorization overflowed"). */
static void test_least_subnormal_block(void)
{
    const double tiny[] = {2.2e-162, 2.2227587494850775e-162, 2.3e-162};
    const size_t places[] = {4, 9, 36, 63};
    for (int dt = 0; dt < 2; dt++)
        for (size_t t = 0; t < sizeof tiny / sizeof *tiny; t++)
            for (size_t p = 0; p < sizeof places / sizeof *places; p++)
                for (int tr = 0; tr < 3; tr++) {
                    dmf_matrix *a = NULL;
                    CHECK_OK(dmf_matrix_create(&a, dt ? DMF_C128 : DMF_F64, 8, 8));
                    dmf_set(dmf_matrix_dtype(a), dmf_matrix_data(a), 0, 1);
                    dmf_set(dmf_matrix_dtype(a), dmf_matrix_data(a), places[p], tiny[t]);
                    double err;
                    dmf_chain *chain = factor(a, trees[tr], 0, &err);
                    CHECK(chain && chain_finite(chain) && err <= 1e-15,
                          "%s 8 x 8, 1 and %.17g at %zu, %s: rel_error %.3g", dt ? "c128" : "f64", tiny[t],
                          places[p], trees[tr], err);
                    dmf_chain_free(chain);
                    dmf_matrix_free(a);
                }
}

/* Row 0 of the Hadamard 16 times 2^x: every tree succeeds, at the
 * Hadamard's error, and entry by entry (the small rows too).  Scaled so the
 * largest entry was near 1, rows 2^515 ... 2^535 apart made subnormal Gram
 * matrices whose eigenvector's power of two overflowed ("the factorization
 * overflowed"), and from 2^540 the small rows came back as zeros (in f32
 * they lost digits from 2^66 while the 2 x 2 closed form rounded to f32).
 * The scaled copy's largest entry now sits at the top of the safe range:
 * up to 2^600 (f64) and 2^120 (f32) hold; from about 2^700 r2l's deeper
 * splits underflow again. */
static void test_rows_far_apart(dmf_dtype dt, const int *exponents, int count, double tol)
{
    dmf_matrix *h = builtin("hadamard", 16, dt);
    for (int x = 0; x < count; x++) {
        dmf_matrix *a = times(h, 1);
        for (size_t j = 0; j < 16; j++)
            dmf_set(dt, dmf_matrix_data(a), j, ldexp(creal(dmf_get(dt, dmf_matrix_const_data(a), j)), exponents[x]));
        for (int t = 0; t < 3; t++) {
            double err, worst = INFINITY;
            dmf_chain *chain = factor(a, trees[t], 0, &err);
            dmf_matrix *back = NULL;
            if (chain && dmf_chain_densify(chain, &back) == DMF_OK) {
                worst = 0;
                for (size_t i = 0; i < 256; i++) {
                    double want = creal(dmf_get(dt, dmf_matrix_const_data(a), i));
                    worst = fmax(worst, fabs(creal(dmf_get(dt, dmf_matrix_const_data(back), i)) - want) / fabs(want));
                }
            }
            CHECK(chain && chain_finite(chain) && err <= tol && worst <= tol,
                  "%s row 0 times 2^%d, %s: rel_error %.3g, worst entry off by %.3g of itself",
                  dmf_dtype_name(dt), exponents[x], trees[t], err, worst);
            dmf_chain_free(chain);
            dmf_matrix_free(back);
        }
        dmf_matrix_free(a);
    }
    dmf_matrix_free(h);
}

/* Inputs in the ordinary range are factored as they are. */
static void test_range_shift(void)
{
    double x[4] = {0x1p-459, 0x1p458, -3, 0};
    CHECK(dmf_range_shift(DMF_F64, x, 4) == 0, "2^458 needs no scaling in f64");
    x[1] = 0x1p459;
    CHECK(dmf_range_shift(DMF_F64, x, 4) == -460, "2^459 is scaled to 1/2 in f64 (shift %d)",
          dmf_range_shift(DMF_F64, x, 4));
    double tiny[2] = {0x1p-461, -0x1p-470};
    CHECK(dmf_range_shift(DMF_F64, tiny, 2) == 460, "2^-461 is scaled to 1/2 (shift %d)",
          dmf_range_shift(DMF_F64, tiny, 2));
    double zero[2] = {0, 0};
    CHECK(dmf_range_shift(DMF_F64, zero, 2) == 0, "zeros are not scaled");
    float f[2] = {0x1p39f, 1e-20f};
    CHECK(dmf_range_shift(DMF_F32, f, 2) == 0, "2^39 needs no scaling in f32");
    f[0] = 1e19f;
    CHECK(dmf_range_shift(DMF_F32, f, 2) == -64, "1e19 is scaled by 2^-64 in f32 (shift %d)",
          dmf_range_shift(DMF_F32, f, 2));
    float complex c[1] = {CMPLXF(0, 1e30f)};
    CHECK(dmf_range_shift(DMF_C64, c, 1) == -100, "c64 1e30 i: shift %d, expected -100",
          dmf_range_shift(DMF_C64, c, 1));
}

/* Frobenius norms of matrices whose squares overflow or underflow. */
static void test_norms(void)
{
    const double scales[] = {1, 1e300, 1e-300, 0x1p-1070};
    const dmf_dtype dts[] = {DMF_F64, DMF_C128};
    for (int t = 0; t < 2; t++) {
        dmf_matrix *h = builtin("hadamard", 16, dts[t]);
        for (int s = 0; s < 4; s++) {
            dmf_matrix *a = times(h, scales[s]);
            double norm = dmf_matrix_norm_fro(a), want = 16 * scales[s];
            /* 256 sequential adds: a few ulps per hundred terms */
            CHECK(fabs(norm - want) <= 1e-13 * want, "%s ||%g H_16||_F = %.17g, expected %.17g",
                  dmf_dtype_name(dts[t]), scales[s], norm, want);
            dmf_matrix_free(a);
        }
        dmf_matrix_free(h);
    }
    double big[2] = {DBL_MAX, DBL_MAX};
    dmf_matrix *m;
    CHECK_OK(dmf_matrix_wrap(&m, DMF_F64, 1, 2, big));
    CHECK(isinf(dmf_matrix_norm_fro(m)), "the norm of [DBL_MAX, DBL_MAX] is not representable");
    dmf_matrix_free(m);
}

/* A chain whose product overflows: the error is DMF_ERR_NUMERIC, not NaN. */
static void test_overflowing_product(void)
{
    size_t r[4] = {2, 2, 2, 2};
    dmf_chain *chain;
    CHECK_OK(dmf_chain_create(&chain, DMF_F64, 4, r, r, NULL));
    CHECK_OK(dmf_chain_randomize(chain, 5));
    for (size_t k = 0; k < 4; k++) dmf_scale_pow2(DMF_F64, dmf_chain_blocks(chain, k), 16, 300);
    dmf_matrix *g = builtin("gaussian", 16, DMF_F64);
    double err = 0;
    CHECK_STATUS(dmf_chain_rel_error(chain, g, &err), DMF_ERR_NUMERIC);
    CHECK(strstr(dmf_last_error(), "overflow") != NULL, "message '%s' names the overflow", dmf_last_error());
    dmf_matrix *d = NULL, *y = NULL;
    CHECK_STATUS(dmf_chain_densify(chain, &d), DMF_ERR_NUMERIC);
    CHECK(d == NULL, "densify of an overflowing product hands back no matrix");
    CHECK_STATUS(dmf_chain_apply(chain, g, &y), DMF_ERR_NUMERIC);
    CHECK(y == NULL, "apply of an overflowing product hands back no matrix");
    double x[16], out[16];
    for (int i = 0; i < 16; i++) x[i] = 1;
    CHECK_STATUS(dmf_chain_apply_op(NULL, chain, DMF_OP_T, 1, x, 1, 1, out, 1, 1), DMF_ERR_NUMERIC);
    /* The same chain scaled back into range applies and densifies. */
    for (size_t k = 0; k < 4; k++) dmf_scale_pow2(DMF_F64, dmf_chain_blocks(chain, k), 16, -300);
    CHECK_OK(dmf_chain_densify(chain, &d));
    CHECK_OK(dmf_chain_apply(chain, g, &y));
    dmf_matrix_free(d);
    dmf_matrix_free(y);
    dmf_matrix_free(g);
    dmf_chain_free(chain);
}

/* Scaling back spreads over the factors when one alone would leave the
 * normal range, and refuses what no spreading can represent. */
static void test_unscale_spread(void)
{
    size_t r[4] = {2, 2, 2, 2};
    dmf_chain *chain, *copy;
    CHECK_OK(dmf_chain_create(&chain, DMF_F32, 4, r, r, NULL));
    CHECK_OK(dmf_chain_create(&copy, DMF_F32, 4, r, r, NULL));
    CHECK_OK(dmf_chain_randomize(chain, 9));
    for (size_t k = 0; k < 4; k++) memcpy(dmf_chain_blocks(copy, k), dmf_chain_blocks(chain, k), 16 * sizeof(float));
    dmf_matrix *before = NULL, *after = NULL;
    CHECK_OK(dmf_chain_densify(chain, &before));
    /* 2^-124 in one factor would make its smaller entries subnormal. */
    CHECK_OK(dmf_butterfly_unscale(chain, -124));
    CHECK_OK(dmf_chain_densify(chain, &after));
    int moved = 0, finite = chain_finite(chain);
    for (size_t k = 0; k < 4; k++)
        moved += memcmp(dmf_chain_blocks(chain, k), dmf_chain_blocks(copy, k), 16 * sizeof(float)) != 0;
    CHECK(moved == 4 && finite, "2^-124 spread over %d of 4 factors (expected 4), finite %d", moved, finite);
    double worst = 0;
    for (size_t i = 0; before && after && i < 256; i++) {
        double want = ldexp(crealf(dmf_get(DMF_F32, dmf_matrix_const_data(before), i)), -124);
        double got = creal(dmf_get(DMF_F32, dmf_matrix_const_data(after), i));
        worst = fmax(worst, fabs(got - want) / 0x1p-124);
    }
    CHECK(worst <= 1e-5, "the spread scale changed the product by %.3g (relative to 2^-124)", worst);
    CHECK_STATUS(dmf_butterfly_unscale(copy, 1000), DMF_ERR_NUMERIC);
    dmf_matrix_free(before);
    dmf_matrix_free(after);
    dmf_chain_free(chain);
    dmf_chain_free(copy);
}

/* FSMF on a block-diagonal support (8 x 8, four 2 x 2 blocks, K = 4) and
 * a full one (K = 2): the error of s A is that of A, and X Y = s A on the
 * support, for s near the ends of the double range. */
static void test_fsmf_scaled(dmf_dtype dt)
{
    dmf_matrix *g = builtin("gaussian", 8, dt), *sx = NULL, *sy = NULL;
    CHECK_OK(dmf_matrix_create(&sx, DMF_F64, 8, 4));
    CHECK_OK(dmf_matrix_create(&sy, DMF_F64, 4, 8));
    double *px = dmf_matrix_data(sx), *py = dmf_matrix_data(sy);
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 2 * k; i < 2 * k + 2; i++) px[i * 4 + k] = py[k * 8 + i] = 1;
    dmf_matrix *sx_t = NULL, *sy_t = NULL;
    CHECK_OK(dmf_matrix_convert(sx, dt, &sx_t));
    CHECK_OK(dmf_matrix_convert(sy, dt, &sy_t));
    int single = dt == DMF_F32 || dt == DMF_C64;
    const double scales[] = {1, single ? 1e36 : 1e300, single ? 1e-36 : 1e-300, single ? 0x1p100 : 0x1p-1000};
    double ref = -1;
    for (int s = 0; s < 4; s++) {
        dmf_matrix *a = times(g, scales[s]), *x = NULL, *y = NULL;
        dmf_fsmf_report rep;
        CHECK_OK(dmf_fsmf(NULL, a, sx_t, sy_t, &x, &y, &rep));
        if (s == 0) ref = rep.rel_error;
        CHECK(fabs(rep.rel_error - ref) <= (single ? 1e-5 : 1e-12) * ref,
              "%s fsmf of %g A: rel_error %.17g, of A %.17g", dmf_dtype_name(dt), scales[s], rep.rel_error, ref);
        /* ||A/s - X (Y/s)||_F / ||A/s||_F recomputed here matches. */
        double diff = 0, norm = 0;
        for (size_t i = 0; x && y && i < 8; i++)
            for (size_t j = 0; j < 8; j++) {
                double complex v = 0, want = dmf_get(dt, dmf_matrix_const_data(a), i * 8 + j) / scales[s];
                for (size_t k = 0; k < 4; k++)
                    v += dmf_get(dt, dmf_matrix_const_data(x), i * 4 + k) *
                         (dmf_get(dt, dmf_matrix_const_data(y), k * 8 + j) / scales[s]);
                diff += cabs(want - v) * cabs(want - v);
                norm += cabs(want) * cabs(want);
            }
        double again = sqrt(diff / norm);
        CHECK(fabs(again - ref) <= (single ? 1e-5 : 1e-12) * ref,
              "%s fsmf of %g A: X Y / s has error %.17g, expected %.17g", dmf_dtype_name(dt), scales[s],
              again, ref);
        dmf_matrix_free(x);
        dmf_matrix_free(y);
        dmf_matrix_free(a);
    }
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
    dmf_matrix_free(sx_t);
    dmf_matrix_free(sy_t);
    dmf_matrix_free(g);
}

/* Ranks of the lifted operator do not depend on the scale of the
 * coefficients; its singular values scale with their product, and when
 * that leaves double's range the answer is DMF_ERR_NUMERIC naming the rank,
 * not a rank of 0 from a sample matrix of infinities. */
static dmf_network *two_layers(double c1, double c2)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"type\": \"triplets\", \"layers\": ["
             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0,0,0,%.17g],[1,1,1,%.17g],[0,1,2,%.17g]]},"
             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0,0,0,%.17g],[1,1,1,%.17g],[1,0,2,%.17g]]}]}",
             c1, c1, c1, c2, c2, c2);
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(json, "test", &net));
    return net;
}

static void test_liftrank_scaled(void)
{
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    dmf_network *base = two_layers(1, 1);
    dmf_liftrank_report ref;
    CHECK_OK(dmf_liftrank(ctx, base, 3, 0, &ref));
    double ref_min = 0;
    size_t ref_rank = 0;
    CHECK_OK(dmf_lift_sigma_min(base, 1000000, &ref_min, &ref_rank));
    CHECK(ref.rank == 4 && ref_rank == 4, "the reference network has rank %zu / %zu, expected 4", ref.rank, ref_rank);
    const double c[][2] = {{1e300, 1}, {1e-300, 1}, {1e200, 1e-200}, {1e300, 1e-300}, {1e150, 1e150}};
    for (int i = 0; i < 5; i++) {
        dmf_network *net = two_layers(c[i][0], c[i][1]);
        dmf_liftrank_report rep;
        CHECK_OK(dmf_liftrank(ctx, net, 3, 0, &rep));
        double product = c[i][0] * c[i][1];
        CHECK(rep.rank == ref.rank && rep.rank_gap == ref.rank_gap && rep.rank_sqrt_eps == ref.rank_sqrt_eps,
              "coefficients %g, %g: rank %zu, expected %zu", c[i][0], c[i][1], rep.rank, ref.rank);
        for (size_t j = 0; rep.spectrum && j < rep.spectrum_length && j < ref.spectrum_length; j++)
            CHECK(fabs(rep.spectrum[j] / product - ref.spectrum[j]) <= 1e-12 * ref.spectrum[0],
                  "coefficients %g, %g: sigma_%zu = %.17g, expected %.17g", c[i][0], c[i][1], j,
                  rep.spectrum[j], ref.spectrum[j] * product);
        double smin = 0;
        size_t r = 0;
        CHECK_OK(dmf_lift_sigma_min(net, 1000000, &smin, &r));
        CHECK(r == ref_rank && fabs(smin / product - ref_min) <= 1e-12 * ref_min,
              "coefficients %g, %g: sigma_min %.17g (rank %zu), expected %.17g", c[i][0], c[i][1], smin, r,
              ref_min * product);
        dmf_liftrank_report_free(&rep);
        dmf_network_free(net);
    }
    const double beyond[][2] = {{1e300, 1e300}, {1e-300, 1e-300}, {1e300, 1e8}};
    for (int i = 0; i < 3; i++) {
        dmf_network *net = two_layers(beyond[i][0], beyond[i][1]);
        dmf_liftrank_report rep;
        CHECK_STATUS(dmf_liftrank(ctx, net, 3, 0, &rep), DMF_ERR_NUMERIC);
        CHECK(strstr(dmf_last_error(), "rank is 4") != NULL, "coefficients %g, %g: message '%s' names the rank",
              beyond[i][0], beyond[i][1], dmf_last_error());
        dmf_liftrank_report_free(&rep);
        double smin;
        size_t r;
        /* 1e308: sigma_max overflows, sigma_min (1e308) does not */
        if (i < 2) CHECK_STATUS(dmf_lift_sigma_min(net, 1000000, &smin, &r), DMF_ERR_NUMERIC);
        else CHECK_OK(dmf_lift_sigma_min(net, 1000000, &smin, &r));
        dmf_network_free(net);
    }
    dmf_liftrank_report_free(&ref);
    dmf_network_free(base);
    dmf_context_free(ctx);
}

/* Generators from weight files: weights whose partial products leave the
 * range where G and Algorithm 1's squares are computed safely are refused
 * with the exponents, instead of synthesizing NaN or all-zero y0. */
static int generator_with(double s1, double s2, dmf_dtype dtype, dmf_generator **out)
{
    dmf_matrix *w[2];
    CHECK_OK(dmf_matrix_create(&w[0], DMF_F64, 6, 3));
    CHECK_OK(dmf_matrix_create(&w[1], DMF_F64, 8, 6));
    dmf_rng rng;
    dmf_rng_seed(&rng, 11);
    for (size_t e = 0; e < 18; e++) ((double *)dmf_matrix_data(w[0]))[e] = dmf_rng_normal(&rng) * s1;
    for (size_t e = 0; e < 48; e++) ((double *)dmf_matrix_data(w[1]))[e] = dmf_rng_normal(&rng) * s2;
    int status = dmf_generator_from_weights(out, (const dmf_matrix *const *)w, 2);
    if (status == DMF_OK && dtype != DMF_F64) {
        status = dmf_generator_set_dtype(*out, dtype);
        if (status != DMF_OK) {
            dmf_generator_free(*out);
            *out = NULL;
        }
    }
    dmf_matrix_free(w[0]);
    dmf_matrix_free(w[1]);
    return status;
}

static void test_generator_scale(void)
{
    dmf_generator *g = NULL;
    const double ok[][2] = {{1, 1}, {1e50, 1e-50}, {1e30, 1e20}, {1e-30, 1e-20}};
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    for (int i = 0; i < 4; i++) {
        CHECK_OK(generator_with(ok[i][0], ok[i][1], DMF_F64, &g));
        double h[3] = {0.3, -1.2, 0.8}, y[8];
        if (g) CHECK_OK(dmf_generator_forward(ctx, g, h, 1, y));
        for (int j = 0; g && j < 8; j++) CHECK(isfinite(y[j]), "weights %g, %g: G(h)[%d] = %g", ok[i][0], ok[i][1], j, y[j]);
        dmf_generator_free(g);
    }
    const double bad[][2] = {{1e200, 1}, {1e-200, 1}, {1e100, 1e-100}, {1e40, 1e40}};
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(generator_with(bad[i][0], bad[i][1], DMF_F64, &g), DMF_ERR_NUMERIC);
        CHECK(strstr(dmf_last_error(), "2^") != NULL, "weights %g, %g: message '%s' gives the exponents",
              bad[i][0], bad[i][1], dmf_last_error());
    }
    CHECK_OK(generator_with(1e3, 1e3, DMF_F32, &g));
    dmf_generator_free(g);
    CHECK_STATUS(generator_with(1e19, 1, DMF_F32, &g), DMF_ERR_NUMERIC);
    CHECK_STATUS(generator_with(1e6, 1e6, DMF_F32, &g), DMF_ERR_NUMERIC);
    dmf_context_free(ctx);
}

/* Factored with `ctx`: the chain (NULL on failure) and the status, the
 * message copied to `message`. */
static dmf_chain *factor_on(dmf_context *ctx, const dmf_matrix *a, const char *tree_spec, int *status,
                            char *message, size_t size)
{
    size_t n = dmf_matrix_rows(a), rm[64], rn[64], L;
    dmf_tree *tree;
    CHECK_OK(dmf_default_radices(n, n, rm, rn, 64, &L));
    CHECK_OK(dmf_tree_create(&tree, tree_spec, L));
    dmf_chain *chain = NULL;
    *status = dmf_butterfly_factor(ctx, a, rm, rn, L, tree, NULL, &chain, NULL);
    snprintf(message, size, "%s", *status == DMF_OK ? "" : dmf_last_error());
    dmf_tree_free(tree);
    return chain;
}

/* On host memory the input is scanned for its range and for NaN only when
 * the root split's sum of squares says it needed to be (otherwise the
 * split is that scan).  At and around both ends of the range that needs no
 * scaling, and with a NaN or an infinity, every tree gives what a context
 * that always scans gives: the same factors bit for bit, or the same
 * error.  The scanning context is the CPU table saying that its memory is
 * not the host's, so every input is scanned first (and copied). */
static void test_scan_on_demand(void)
{
    dmf_backend always_table = *dmf_backend_cpu();
    always_table.host_memory = 0;
    dmf_context *always, *cpu;
    CHECK_OK(dmf_context_create_from_backend(&always, &always_table));
    CHECK_OK(dmf_context_create(&cpu, "cpu"));
    const dmf_dtype dtypes[] = {DMF_F64, DMF_C64};
    for (int di = 0; di < 2; di++) {
        dmf_dtype dt = dtypes[di];
        int bound = dt == DMF_F64 ? DMF_SAFE_EXP_DOUBLE : DMF_SAFE_EXP_SINGLE;
        const int exps[] = {0, bound - 3, bound - 1, bound, bound + 1, -bound + 2, -bound, -bound - 1, -bound - 2, -bound - 5};
        dmf_matrix *g = builtin("gaussian", 16, dt);
        for (size_t e = 0; e < sizeof exps / sizeof exps[0] + 2; e++) {
            int special = e >= sizeof exps / sizeof exps[0]; /* a NaN, then an infinity */
            dmf_matrix *a = times(g, special ? 1 : ldexp(1.0, exps[e]));
            if (special) dmf_set(dt, dmf_matrix_data(a), 37, e == sizeof exps / sizeof exps[0] ? NAN : INFINITY);
            for (int t = 0; t < 3; t++) {
                int st_cpu, st_always;
                char msg_cpu[512], msg_always[512];
                dmf_chain *c1 = factor_on(cpu, a, trees[t], &st_cpu, msg_cpu, sizeof msg_cpu);
                dmf_chain *c2 = factor_on(always, a, trees[t], &st_always, msg_always, sizeof msg_always);
                CHECK(st_cpu == st_always && strcmp(msg_cpu, msg_always) == 0,
                      "%s, entries x 2^%d%s, %s: status %d '%s', always scanning %d '%s'", dmf_dtype_name(dt),
                      special ? 0 : exps[e], special ? " with a non-finite entry" : "", trees[t], st_cpu, msg_cpu,
                      st_always, msg_always);
                CHECK(!special || st_cpu == DMF_ERR_NUMERIC, "a non-finite entry gave status %d", st_cpu);
                int same = c1 && c2;
                for (size_t k = 0; same && k < dmf_chain_num_factors(c1); k++) {
                    size_t fa, fb, fc, fd;
                    dmf_chain_support(c1, k, &fa, &fb, &fc, &fd);
                    same = memcmp(dmf_chain_const_blocks(c1, k), dmf_chain_const_blocks(c2, k),
                                  fa * fb * fc * fd * dmf_dtype_size(dt)) == 0;
                }
                CHECK(special || same, "%s, entries x 2^%d, %s: the factors differ from those of a scanned input",
                      dmf_dtype_name(dt), exps[e], trees[t]);
                dmf_chain_free(c1);
                dmf_chain_free(c2);
            }
            dmf_matrix_free(a);
        }
        dmf_matrix_free(g);
    }
    dmf_context_free(cpu);
    dmf_context_free(always);
}

int main(void)
{
    test_scan_on_demand();
    const int far_double[] = {515, 530, 540, 600}, far_single[] = {64, 70, 100, 120};
    test_rows_far_apart(DMF_F64, far_double, 4, 1e-15);
    test_rows_far_apart(DMF_F32, far_single, 4, 1e-6);
    test_range_shift();
    test_norms();
    test_scaled_hadamard();
    /* 1e90 and 0x1p300 are factored as they are: the 2 x 2 Gram matrices
     * of l2r and r2l then hold 4th powers of 1e90 (they once overflowed). */
    const double wide[] = {1e150, 1e-200, 0x1p600, 1e300 / 4096, 1e90, 0x1p300};
    test_scale_invariance(DMF_F64, wide, 6, 1e-12);
    test_scale_invariance(DMF_C128, wide, 6, 1e-12);
    const double single[] = {1e19, 1e-19, 1e30};
    test_scale_invariance(DMF_F32, single, 3, 1e-5);
    test_scale_invariance(DMF_C64, single, 3, 1e-5);
    test_mixed_magnitudes();
    test_least_subnormal_block();
    test_overflowing_product();
    test_unscale_spread();
    test_fsmf_scaled(DMF_F64);
    test_fsmf_scaled(DMF_C128);
    test_fsmf_scaled(DMF_F32);
    test_liftrank_scaled();
    test_generator_scale();
    return check_report("test_numeric_range");
}
