/* Hierarchical butterfly factorization: exact recovery on matrices with a
 * known chain (Hadamard, bit-reversed DFT, products of random chain factors,
 * mixed radix, rectangular, rank > 1), every tree and dtype; noisy inputs
 * against the paper's bound; apply and densify against the dense index
 * formulas of docs/butterfly.md; bad inputs.
 *
 * Tolerances: 1e-12 in double and 1e-5 in single (docs/butterfly.md), a few hundred
 * times the unit roundoff, which leaves room for the O(L) rounding of the
 * products but not for a wrong block or a non-converged rank-one step. */
#include <complex.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "check.h"

static double tolerance(dmf_dtype dtype) { return dmf_dtype_eps(dtype) > 1e-10 ? 1e-5 : 1e-12; }

static const char *const trees[] = {"l2r", "r2l", "balanced"};

/* Factors `a` with the given radices and every tree; checks the error of
 * the product and that the library's error agrees with a dense check. */
static void check_recovery(const char *what, const dmf_matrix *a, const size_t *m, const size_t *n,
                           size_t L, const char *extra_tree, size_t rank)
{
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    for (int t = 0; t < 4; t++) {
        const char *spec = t < 3 ? trees[t] : extra_tree;
        if (!spec) continue;
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, spec, L));
        dmf_butterfly_options opts;
        dmf_butterfly_options_default(&opts);
        opts.rank = rank;
        dmf_chain *chain = NULL;
        dmf_butterfly_report rep;
        CHECK_OK(dmf_butterfly_factor(ctx, a, m, n, L, tree, &opts, &chain, &rep));
        double err = INFINITY;
        if (chain) CHECK_OK(dmf_chain_rel_error(chain, a, &err));
        double tol = tolerance(dmf_matrix_dtype(a));
        CHECK(err <= tol, "%s %s tree %s: rel_error %.3g > %.1g", what,
              dmf_dtype_name(dmf_matrix_dtype(a)), spec, err, tol);
        CHECK(rep.num_nodes == L - 1, "%s: %zu nodes for %zu factors", what, rep.num_nodes, L);
        for (size_t i = 0; i < rep.num_nodes; i++)
            CHECK(rep.nodes[i].blocks_failed == 0, "%s: node %zu had failed blocks", what, i);
        dmf_chain_free(chain);
        dmf_tree_free(tree);
    }
    dmf_context_free(ctx);
}

static dmf_matrix *builtin(const char *name, size_t rows, size_t cols, dmf_dtype dtype,
                           const size_t *m, const size_t *n, size_t L, double noise)
{
    dmf_matrix_spec spec = {name, rows, cols, dtype, noise, 42, m, n, m ? L : 0};
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    return a;
}

static void test_known_chains(void)
{
    size_t two[16];
    for (int k = 0; k < 16; k++) two[k] = 2;
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *h = builtin("hadamard", 64, 64, dt, NULL, NULL, 0, 0);
        check_recovery("hadamard 64", h, two, two, 6, "[[0,[1,2]],[[3,4],5]]", 1);
        dmf_matrix_free(h);
        dmf_matrix *r = builtin("random-chain", 32, 32, dt, NULL, NULL, 0, 0);
        check_recovery("random-chain 32", r, two, two, 5, "[[0,1],[2,[3,4]]]", 1);
        dmf_matrix_free(r);
    }
    for (dmf_dtype dt = DMF_C64; dt <= DMF_C128; dt++) {
        dmf_matrix *f = builtin("dft-bitrev", 256, 256, dt, NULL, NULL, 0, 0);
        check_recovery("dft-bitrev 256", f, two, two, 8, NULL, 1);
        dmf_matrix_free(f);
    }
    /* An exact rank-one chain asked for rank 2 and 3: the extra terms must
     * come out zero, not rounding noise that the next splits scale up and
     * take for structure (l2r lost 13 digits here). */
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *r = builtin("random-chain", 512, 512, dt, NULL, NULL, 0, 0);
        check_recovery("random-chain 512, rank 2", r, two, two, 9, NULL, 2);
        check_recovery("random-chain 512, rank 3", r, two, two, 9, NULL, 3);
        dmf_matrix_free(r);
    }
    /* Monarch: two factors of 32 x 32 blocks, the power method's size 31..33 range. */
    size_t monarch[2] = {32, 32};
    dmf_matrix *mo = builtin("random-chain", 1024, 1024, DMF_F64, monarch, monarch, 2, 0);
    check_recovery("monarch 1024", mo, monarch, monarch, 2, NULL, 1);
    dmf_matrix_free(mo);
    size_t odd_m[2] = {31, 33}, odd_n[2] = {33, 31};
    dmf_matrix *od = builtin("random-chain", 31 * 33, 33 * 31, DMF_C128, odd_m, odd_n, 2, 0);
    check_recovery("31x33 blocks", od, odd_m, odd_n, 2, NULL, 1);
    dmf_matrix_free(od);
}

/* Known answer for the r2l tree's accuracy: its splits have tall n x 2
 * blocks (n up to N/2), whose projection h = x^H S and scale ||S v|| are
 * long sums of terms of one magnitude and phase on the DFT.  Summed in
 * order they cost r2l a digit (9e-15 against 6.5e-16 for balanced at
 * N = 1024, c128); r2l must stay within twice the balanced tree's error,
 * and so must l2r (2 x n blocks). */
static void test_r2l_accuracy(void)
{
    size_t two[10];
    for (int k = 0; k < 10; k++) two[k] = 2;
    dmf_matrix *a = builtin("dft-bitrev", 1024, 1024, DMF_C128, NULL, NULL, 0, 0);
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    double err[3] = {INFINITY, INFINITY, INFINITY};
    for (int t = 0; t < 3; t++) {
        dmf_tree *tree;
        dmf_chain *chain = NULL;
        CHECK_OK(dmf_tree_create(&tree, trees[t], 10));
        CHECK_OK(dmf_butterfly_factor(ctx, a, two, two, 10, tree, NULL, &chain, NULL));
        if (chain) CHECK_OK(dmf_chain_rel_error(chain, a, &err[t]));
        /* The error's sums are of fixed chunks, added in order. */
        double one_thread = NAN;
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        if (chain) CHECK_OK(dmf_chain_rel_error(chain, a, &one_thread));
        omp_set_num_threads(threads);
        CHECK(one_thread == err[t], "%s: rel_error %.17g on one thread, %.17g on %d", trees[t], one_thread, err[t],
              threads);
        dmf_chain_free(chain);
        dmf_tree_free(tree);
    }
    printf("dft-bitrev 1024 c128: rel_error l2r %.3g, r2l %.3g, balanced %.3g\n", err[0], err[1], err[2]);
    CHECK(err[2] <= 2e-15, "balanced: rel_error %.3g > 2e-15", err[2]);
    CHECK(err[1] <= 2 * err[2], "r2l: rel_error %.3g > twice balanced's %.3g", err[1], err[2]);
    CHECK(err[0] <= 2 * err[2], "l2r: rel_error %.3g > twice balanced's %.3g", err[0], err[2]);
    dmf_context_free(ctx);
    dmf_matrix_free(a);
}

/* A node's error counts the factors as written: in single precision the
 * rounding of an exact block's factors to the dtype misses it by ~1e-8
 * relative, so a node error far below that (the factors' residual in
 * double, before rounding) would be an error the user does not get. */
static void test_single_precision_node_errors(void)
{
    dmf_matrix *a = builtin("dft-bitrev", 256, 256, DMF_C64, NULL, NULL, 0, 0);
    size_t two[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    for (int t = 0; t < 3; t++) {
        dmf_tree *tree;
        dmf_chain *chain = NULL;
        dmf_butterfly_report rep;
        CHECK_OK(dmf_tree_create(&tree, trees[t], 8));
        CHECK_OK(dmf_butterfly_factor(ctx, a, two, two, 8, tree, NULL, &chain, &rep));
        for (size_t i = 0; i < rep.num_nodes; i++)
            CHECK(rep.nodes[i].rel_error >= 1e-9 && rep.nodes[i].rel_error <= 1e-6,
                  "dft-bitrev 256 c64 %s: node [%zu, %zu] (%zu x %zu blocks) rel_error %.3g outside [1e-9, 1e-6]",
                  trees[t], rep.nodes[i].p, rep.nodes[i].q, rep.nodes[i].block_rows, rep.nodes[i].block_cols,
                  rep.nodes[i].rel_error);
        dmf_chain_free(chain);
        dmf_tree_free(tree);
    }
    dmf_context_free(ctx);
    dmf_matrix_free(a);
}

static void test_mixed_radix(void)
{
    size_t m[3] = {3, 2, 4}, n[3] = {2, 5, 3};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *a = builtin("random-chain", 24, 30, dt, m, n, 3, 0);
        check_recovery("mixed radix 24x30", a, m, n, 3, "[[0,1],2]", 1);
        dmf_matrix_free(a);
    }
    size_t r3[4] = {3, 3, 3, 3};
    dmf_matrix *b = builtin("random-chain", 81, 81, DMF_C128, r3, r3, 4, 0);
    check_recovery("radix 3, 81", b, r3, r3, 4, "[[0,1],[2,3]]", 1);
    dmf_matrix_free(b);
    size_t tall_m[3] = {5, 1, 3}, tall_n[3] = {1, 2, 1};
    dmf_matrix *c = builtin("random-chain", 15, 2, DMF_F64, tall_m, tall_n, 3, 0);
    check_recovery("radix 1 entries 15x2", c, tall_m, tall_n, 3, NULL, 1);
    dmf_matrix_free(c);
}

/* A chain of rank-2 factors is recovered by rank-2 splits. */
static void test_rank_two(void)
{
    size_t m[4] = {2, 2, 2, 2}, ranks[3] = {2, 2, 2};
    for (dmf_dtype dt = DMF_F64; dt <= DMF_C128; dt += 2) {
        dmf_chain *truth;
        CHECK_OK(dmf_chain_create(&truth, dt, 4, m, m, ranks));
        CHECK_OK(dmf_chain_randomize(truth, 7));
        dmf_matrix *a;
        CHECK_OK(dmf_chain_densify(truth, &a));
        check_recovery("rank-2 chain 16", a, m, m, 4, "[0,[[1,2],3]]", 2);
        dmf_matrix_free(a);
        dmf_chain_free(truth);
    }
}

/* The error pass for rank 2 (entry by entry): zero, to rounding, for a
 * chain against its own product; against another chain's product the same
 * bit for bit on one thread and on two. */
static void test_rank_two_error(void)
{
    size_t two[10], ranks[9];
    for (int k = 0; k < 10; k++) two[k] = 2, ranks[k < 9 ? k : 8] = 2;
    dmf_chain *x = NULL, *y = NULL;
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_chain_create(&x, DMF_C128, 10, two, two, ranks));
    CHECK_OK(dmf_chain_create(&y, DMF_C128, 10, two, two, ranks));
    if (x && y) {
        CHECK_OK(dmf_chain_randomize(x, 3));
        CHECK_OK(dmf_chain_randomize(y, 4));
        CHECK_OK(dmf_chain_densify(x, &a));
    }
    if (a) {
        double self = INFINITY, two_threads = NAN, one_thread = NAN;
        CHECK_OK(dmf_chain_rel_error(x, a, &self));
        CHECK(self <= 1e-14, "rank-2 chain 1024 against its own product: rel_error %.3g", self);
        CHECK_OK(dmf_chain_rel_error(y, a, &two_threads));
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        CHECK_OK(dmf_chain_rel_error(y, a, &one_thread));
        omp_set_num_threads(threads);
        CHECK(one_thread == two_threads && two_threads > 0.1,
              "rank-2 chains 1024: rel_error %.17g on one thread, %.17g on %d", one_thread, two_threads, threads);
    }
    dmf_matrix_free(a);
    dmf_chain_free(x);
    dmf_chain_free(y);
}

/* Noisy Hadamard: the error stays within the paper's (N/2 - 1) factor of
 * the noise (the best chain is at least as close as the clean matrix), and
 * is not below what the noise forces: a chain cannot fit Gaussian noise. */
static void test_noisy(void)
{
    size_t two[7] = {2, 2, 2, 2, 2, 2, 2};
    const double noise = 1e-3;
    dmf_matrix *a = builtin("hadamard", 128, 128, DMF_F64, NULL, NULL, 0, noise);
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    for (int t = 0; t < 3; t++) {
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, trees[t], 7));
        dmf_chain *chain = NULL;
        CHECK_OK(dmf_butterfly_factor(ctx, a, two, two, 7, tree, NULL, &chain, NULL));
        double err = INFINITY;
        if (chain) CHECK_OK(dmf_chain_rel_error(chain, a, &err));
        double ratio = err * sqrt(1 + noise * noise) / noise;
        printf("noisy hadamard 128, tree %s: rel_error %.3e, error/noise %.3f\n", trees[t], err, ratio);
        CHECK(ratio <= 128 / 2 - 1, "tree %s: error/noise %.3g above the bound 63", trees[t], ratio);
        CHECK(ratio >= 0.5, "tree %s: error/noise %.3g: a chain should not fit the noise", trees[t], ratio);
        dmf_chain_free(chain);
        dmf_tree_free(tree);
    }
    dmf_context_free(ctx);
    dmf_matrix_free(a);
}

/* Dense factor from the index formula F_k[i*b*d + beta*d + v, i*c*d + gamma*d + v]. */
static double complex *dense_factor(const dmf_chain *chain, size_t k, size_t *rows, size_t *cols)
{
    size_t a, b, c, d;
    dmf_chain_support(chain, k, &a, &b, &c, &d);
    *rows = a * b * d;
    *cols = a * c * d;
    double complex *f = calloc(*rows * *cols, sizeof *f);
    const double complex *blocks = dmf_chain_const_blocks(chain, k);
    for (size_t i = 0; i < a; i++)
        for (size_t v = 0; v < d; v++)
            for (size_t beta = 0; beta < b; beta++)
                for (size_t gamma = 0; gamma < c; gamma++)
                    f[(i * b * d + beta * d + v) * *cols + i * c * d + gamma * d + v] =
                        blocks[((i * d + v) * b + beta) * c + gamma];
    return f;
}

static void test_densify_and_apply(void)
{
    size_t m[3] = {3, 2, 2}, n[3] = {2, 2, 3}, ranks[2] = {2, 1};
    dmf_chain *chain;
    CHECK_OK(dmf_chain_create(&chain, DMF_C128, 3, m, n, ranks));
    CHECK_OK(dmf_chain_randomize(chain, 3));
    /* Dense product by the definition, factor by factor. */
    size_t rows, cols, r2, c2;
    double complex *prod = dense_factor(chain, 0, &rows, &cols);
    for (size_t k = 1; k < 3; k++) {
        double complex *f = dense_factor(chain, k, &r2, &c2);
        CHECK(r2 == cols, "factor %zu has %zu rows, expected %zu", k, r2, cols);
        double complex *next = calloc(rows * c2, sizeof *next);
        for (size_t i = 0; i < rows; i++)
            for (size_t t = 0; t < cols; t++)
                for (size_t j = 0; j < c2; j++) next[i * c2 + j] += prod[i * cols + t] * f[t * c2 + j];
        free(prod);
        free(f);
        prod = next;
        cols = c2;
    }
    CHECK(rows == 12 && cols == 12, "product is %zu x %zu", rows, cols);
    dmf_matrix *dense;
    CHECK_OK(dmf_chain_densify(chain, &dense));
    const double complex *dd = dmf_matrix_const_data(dense);
    double diff = 0, norm = 0;
    for (size_t e = 0; e < rows * cols; e++) {
        diff += cabs(dd[e] - prod[e]) * cabs(dd[e] - prod[e]);
        norm += cabs(prod[e]) * cabs(prod[e]);
    }
    CHECK(sqrt(diff / norm) < 1e-14, "densify differs from the dense product by %.3g", sqrt(diff / norm));

    /* Apply to 5 vectors equals the dense product times them. */
    dmf_matrix *x, *y;
    CHECK_OK(dmf_matrix_create(&x, DMF_C128, cols, 5));
    double complex *xd = dmf_matrix_data(x);
    for (size_t e = 0; e < cols * 5; e++) xd[e] = (double)(e % 7) - 3.0 + I * (double)(e % 5);
    CHECK_OK(dmf_chain_apply(chain, x, &y));
    diff = norm = 0;
    const double complex *yd = dmf_matrix_const_data(y);
    for (size_t i = 0; i < rows; i++)
        for (size_t t = 0; t < 5; t++) {
            double complex want = 0;
            for (size_t j = 0; j < cols; j++) want += prod[i * cols + j] * xd[j * 5 + t];
            diff += cabs(yd[i * 5 + t] - want) * cabs(yd[i * 5 + t] - want);
            norm += cabs(want) * cabs(want);
        }
    CHECK(sqrt(diff / norm) < 1e-14, "apply differs from the dense product by %.3g", sqrt(diff / norm));

    dmf_matrix *wrong;
    CHECK_OK(dmf_matrix_create(&wrong, DMF_C128, cols + 1, 1));
    dmf_matrix *none = NULL;
    CHECK_STATUS(dmf_chain_apply(chain, wrong, &none), DMF_ERR_SHAPE);
    dmf_matrix_free(wrong);
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    dmf_matrix_free(dense);
    free(prod);
    dmf_chain_free(chain);
}

/* Unit-norm check of every column (rows = 0) or row (rows = 1) of every
 * block of factor k: for rank one the rank groups are single vectors. */
static double worst_unit_norm(const dmf_chain *chain, size_t k, int rows)
{
    size_t aa, b, c, d;
    dmf_chain_support(chain, k, &aa, &b, &c, &d);
    const double complex *blk = dmf_chain_const_blocks(chain, k);
    double worst = 0;
    for (size_t e = 0; e < aa * d; e++)
        for (size_t x = 0; x < (rows ? b : c); x++) {
            double norm2 = 0;
            for (size_t y = 0; y < (rows ? c : b); y++)
                norm2 += pow(cabs(blk[e * b * c + (rows ? x * c + y : y * c + x)]), 2);
            worst = fmax(worst, fabs(sqrt(norm2) - 1));
        }
    return worst;
}

/* Le et al.'s orthonormalization: before each split the finished factors on
 * the left get orthonormal columns and the pending ranges on the right
 * orthonormal rows.  With l2r every factor but the last two was split off
 * before a later split, so it ends column-orthonormal; with r2l the mirror.
 * The product is exact either way, and noisy inputs stay within the bound. */
static void test_orthonormalize(void)
{
    size_t two[5] = {2, 2, 2, 2, 2};
    dmf_matrix *a = builtin("random-chain", 32, 32, DMF_C128, NULL, NULL, 0, 0);
    dmf_matrix *noisy = builtin("dft-bitrev", 32, 32, DMF_C128, NULL, NULL, 0, 1e-2);
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    for (int t = 0; t < 3; t++) {
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, trees[t], 5));
        dmf_butterfly_options opts = {1, 1};
        dmf_chain *chain = NULL;
        CHECK_OK(dmf_butterfly_factor(ctx, a, two, two, 5, tree, &opts, &chain, NULL));
        double err = 1;
        CHECK_OK(dmf_chain_rel_error(chain, a, &err));
        CHECK(err < 1e-12, "orthonormalized %s: rel_error %.3g", trees[t], err);
        for (size_t k = 0; k < 5; k++) {
            if (t == 0 && k + 2 < 5)
                CHECK(worst_unit_norm(chain, k, 0) < 1e-13, "l2r factor %zu: columns off unit by %.3g", k,
                      worst_unit_norm(chain, k, 0));
            if (t == 1 && k >= 2)
                CHECK(worst_unit_norm(chain, k, 1) < 1e-13, "r2l factor %zu: rows off unit by %.3g", k,
                      worst_unit_norm(chain, k, 1));
        }
        dmf_chain_free(chain);
        CHECK_OK(dmf_butterfly_factor(ctx, noisy, two, two, 5, tree, &opts, &chain, NULL));
        CHECK_OK(dmf_chain_rel_error(chain, noisy, &err));
        double ratio = err * sqrt(1 + 1e-4) / 1e-2;
        printf("noisy dft-bitrev 32, orthonormalized %s: error/noise %.3f\n", trees[t], ratio);
        CHECK(ratio <= 32 / 2 - 1, "orthonormalized %s: error/noise %.3g above 15", trees[t], ratio);
        dmf_chain_free(chain);
        dmf_tree_free(tree);
    }
    dmf_context_free(ctx);
    dmf_matrix_free(a);
    dmf_matrix_free(noisy);
}

/* The transforms are what their names say: dft, dct2 and dst2 are unitary
 * (orthonormal) at sizes that are not powers of two too, and dft-bitrev is
 * dft with bit-reversed columns. */
static double complex entry_at(const dmf_matrix *a, size_t k)
{
    const void *d = dmf_matrix_const_data(a);
    switch (dmf_matrix_dtype(a)) {
    case DMF_F32: return ((const float *)d)[k];
    case DMF_F64: return ((const double *)d)[k];
    case DMF_C64: return ((const float complex *)d)[k];
    default: return ((const double complex *)d)[k];
    }
}

/* Every built-in without noise is finite in every dtype (the command line
 * skips their finiteness pass on that ground). */
static void test_builtins_finite(void)
{
    for (const char *const *name = dmf_matrix_builtin_names(); *name; name++)
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            for (size_t n = 2; n <= 2048; n *= 32) {
                if (!strncmp(*name, "dft", 3) && dt != DMF_C64 && dt != DMF_C128) continue; /* complex only */
                dmf_matrix *a = builtin(*name, n, n, dt, NULL, NULL, 0, 0);
                CHECK(a && dmf_matrix_check_finite(a) == DMF_OK, "%s %zu %s: %s", *name, n, dmf_dtype_name(dt),
                      dmf_last_error());
                dmf_matrix_free(a);
            }
}

static void test_builtin_transforms(void)
{
    const char *names[] = {"dft", "dct2", "dst2"};
    for (int t = 0; t < 3; t++)
        for (size_t n = 1; n <= 24; n += 11) {
            dmf_matrix *a = builtin(names[t], n, n, DMF_C128, NULL, NULL, 0, 0);
            const double complex *d = dmf_matrix_const_data(a);
            double worst = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                    double complex dot = 0;
                    for (size_t k = 0; k < n; k++) dot += d[i * n + k] * conj(d[j * n + k]);
                    worst = fmax(worst, cabs(dot - (i == j)));
                }
            CHECK(worst < 1e-13, "%s %zu: A A^H differs from I by %.3g", names[t], n, worst);
            dmf_matrix_free(a);
        }
    dmf_matrix *f = builtin("dft", 16, 16, DMF_C128, NULL, NULL, 0, 0);
    dmf_matrix *b = builtin("dft-bitrev", 16, 16, DMF_C128, NULL, NULL, 0, 0);
    const double complex *fd = dmf_matrix_const_data(f), *bd = dmf_matrix_const_data(b);
    const size_t rev[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    double worst = 0;
    for (size_t i = 0; i < 16; i++)
        for (size_t j = 0; j < 16; j++) worst = fmax(worst, cabs(bd[i * 16 + j] - fd[i * 16 + rev[j]]));
    CHECK(worst == 0, "dft-bitrev is not dft[:, bitrev] (%.3g)", worst);
    CHECK(cabs(fd[1 * 16 + 1] - cexp(-2 * M_PI * I / 16) / 4) < 1e-15, "dft[1, 1] = %g%+gi",
          creal(fd[17]), cimag(fd[17]));
    dmf_matrix_free(f);
    dmf_matrix_free(b);
    /* Every dtype holds the same rows: hadamard's (-1)^popcount(i & j), and
     * dct2/dst2 rounded once from their double values. */
    const dmf_dtype dtypes[4] = {DMF_F32, DMF_F64, DMF_C64, DMF_C128};
    for (int t = 0; t < 4; t++) {
        dmf_matrix *h = builtin("hadamard", 32, 32, dtypes[t], NULL, NULL, 0, 0);
        dmf_matrix *c = builtin("dct2", 24, 24, dtypes[t], NULL, NULL, 0, 0);
        dmf_matrix *s = builtin("dst2", 24, 24, dtypes[t], NULL, NULL, 0, 0);
        int wrong = 0;
        for (size_t i = 0; i < 32; i++)
            for (size_t j = 0; j < 32; j++)
                wrong += entry_at(h, i * 32 + j) !=
                         (__builtin_popcountll(i & j) & 1 ? -1.0 : 1.0);
        double worst = 0, eps = dtypes[t] == DMF_F32 || dtypes[t] == DMF_C64 ? 0x1p-24 : 0x1p-53;
        for (size_t k = 0; k < 24; k++)
            for (size_t j = 0; j < 24; j++) {
                double ck = sqrt((k == 0 ? 1.0 : 2.0) / 24), sk = sqrt((k == 23 ? 1.0 : 2.0) / 24);
                /* angles reduced mod 2 pi in integers, so the reference is
                 * within an ulp or two of the exact entry */
                double dct = ck * cos(M_PI * (double)((2 * j + 1) * k % 96) / 48);
                double dst = sk * sin(M_PI * (double)((2 * j + 1) * (k + 1) % 96) / 48);
                worst = fmax(worst, cabs(entry_at(c, k * 24 + j) - dct));
                worst = fmax(worst, cabs(entry_at(s, k * 24 + j) - dst));
            }
        CHECK(wrong == 0, "hadamard 32 %s: %d entries differ from (-1)^popcount(i & j)", dmf_dtype_name(dtypes[t]), wrong);
        CHECK(worst <= 4 * eps, "dct2/dst2 24 %s: %.3g from the formulas", dmf_dtype_name(dtypes[t]), worst);
        dmf_matrix_free(h);
        dmf_matrix_free(c);
        dmf_matrix_free(s);
    }
}

static void test_bad_input(void)
{
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    dmf_matrix *a;
    CHECK_OK(dmf_matrix_create(&a, DMF_F64, 8, 8));
    size_t two[3] = {2, 2, 2}, wrong[3] = {2, 2, 3};
    dmf_tree *tree;
    CHECK_OK(dmf_tree_create(&tree, "balanced", 3));
    dmf_chain *chain = NULL;
    CHECK_STATUS(dmf_butterfly_factor(ctx, a, wrong, two, 3, tree, NULL, &chain, NULL), DMF_ERR_SHAPE);
    ((double *)dmf_matrix_data(a))[9] = NAN;
    CHECK_STATUS(dmf_butterfly_factor(ctx, a, two, two, 3, tree, NULL, &chain, NULL), DMF_ERR_NUMERIC);
    CHECK(chain == NULL, "no chain on bad input");
    dmf_tree *bad = NULL;
    CHECK_STATUS(dmf_tree_create(&bad, "[[0,1],", 3), DMF_ERR_FORMAT);
    CHECK_STATUS(dmf_tree_create(&bad, "[[0,2],1]", 3), DMF_ERR_FORMAT);
    CHECK_STATUS(dmf_tree_create(&bad, "[0,1,2]", 3), DMF_ERR_FORMAT);
    CHECK_STATUS(dmf_tree_create(&bad, "[[0,1],[2,3]]", 3), DMF_ERR_FORMAT);
    CHECK_STATUS(dmf_tree_create(&bad, "/nonexistent/tree.json", 3), DMF_ERR_IO);
    size_t radices[8], count;
    CHECK_STATUS(dmf_default_radices(12, 12, radices, radices, 8, &count), DMF_ERR_SHAPE);
    CHECK(strstr(dmf_last_error(), "--radix-m") != NULL, "message names the option: %s", dmf_last_error());
    dmf_context *none = NULL;
    CHECK_STATUS(dmf_context_create(&none, "tpu"), DMF_ERR_ARG);
    int cuda = dmf_context_create(&none, "cuda");
    CHECK(cuda == DMF_ERR_NOT_COMPILED || cuda == DMF_ERR_DEVICE || cuda == DMF_OK,
          "cuda context: %s", dmf_status_string(cuda));
    dmf_context_free(none);
    dmf_tree_free(tree);
    dmf_matrix_free(a);
    dmf_context_free(ctx);
}

/* Factors and node records do not depend on the threads: on two, the
 * halves of a node alike in size are walked at once, a thread each (an odd
 * number of factors gives halves of 2:1); on one, one after the other. */
static void test_same_on_one_thread(void)
{
    const struct {
        const char *matrix, *tree;
        dmf_dtype dtype;
        size_t n;
        double noise;
    } cases[] = {{"dft-bitrev", "balanced", DMF_C128, 1024, 0},
                 {"random-chain", "balanced", DMF_F64, 512, 0.1},
                 {"random-chain", "[[0,[1,2]],[[3,4],[5,[6,7]]]]", DMF_C64, 256, 0.05},
                 /* no butterfly structure: most root blocks take the dense
                  * SVD, some with a repeated top singular value */
                 {"dct2", "balanced", DMF_F64, 2048, 0}};
    dmf_context *ctx;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    const int threads = omp_get_max_threads() < 2 ? 2 : omp_get_max_threads();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t m[64], n[64], L;
        CHECK_OK(dmf_default_radices(cases[c].n, cases[c].n, m, n, 64, &L));
        dmf_matrix *a = builtin(cases[c].matrix, cases[c].n, cases[c].n, cases[c].dtype, NULL, NULL, 0, cases[c].noise);
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, cases[c].tree, L));
        dmf_chain *chain[2] = {NULL, NULL};
        dmf_butterfly_report rep[2];
        for (int one = 0; one < 2; one++) {
            omp_set_num_threads(one ? 1 : threads);
            CHECK_OK(dmf_butterfly_factor(ctx, a, m, n, L, tree, NULL, &chain[one], &rep[one]));
        }
        omp_set_num_threads(threads);
        int same = chain[0] && chain[1] && rep[0].num_nodes == rep[1].num_nodes;
        for (size_t k = 0; same && k < L; k++) {
            size_t sa, sb, sc, sd;
            CHECK_OK(dmf_chain_support(chain[0], k, &sa, &sb, &sc, &sd));
            same = !memcmp(dmf_chain_const_blocks(chain[0], k), dmf_chain_const_blocks(chain[1], k),
                           sa * sb * sc * sd * dmf_dtype_size(cases[c].dtype));
        }
        for (size_t i = 0; same && i < rep[0].num_nodes; i++) {
            const dmf_node_report *x = &rep[0].nodes[i], *y = &rep[1].nodes[i];
            same = x->p == y->p && x->q == y->q && x->split == y->split && x->rel_error == y->rel_error &&
                   x->blocks_iterative == y->blocks_iterative && x->blocks_dense_svd == y->blocks_dense_svd;
        }
        CHECK(same, "%s %s %zu tree %s: factors or node records on %d threads differ from one thread's",
              cases[c].matrix, dmf_dtype_name(cases[c].dtype), cases[c].n, cases[c].tree, threads);
        dmf_chain_free(chain[0]);
        dmf_chain_free(chain[1]);
        dmf_tree_free(tree);
        dmf_matrix_free(a);
    }
    dmf_context_free(ctx);
}

int main(void)
{
    test_known_chains();
    test_r2l_accuracy();
    test_same_on_one_thread();
    test_single_precision_node_errors();
    test_mixed_radix();
    test_rank_two();
    test_rank_two_error();
    test_noisy();
    test_densify_and_apply();
    test_orthonormalize();
    test_builtin_transforms();
    test_builtins_finite();
    test_bad_input();
    return check_report("test_butterfly");
}
