/* Chains behind unknown row and column permutations: the digit reversal,
 * permutations carried by a chain (apply, densify, error, files), and the
 * search of dmf_butterfly_identify_permutations on matrices whose answer is
 * known: the natural-order DFT (its columns are the digit reversal of a
 * chain's), random chains under random permutations, Hadamard, noise, and a
 * Gaussian matrix that is no chain at all.
 *
 * The search can only find the permutations up to those that map the
 * chain's support onto itself (they preserve, at every split, the row
 * classes -- rows that share their low digits -- and the column classes --
 * columns that share their high digits); `equivalent` tests that relation,
 * not equality with one representative. */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "butterfly/chain_internal.h"
#include "butterfly/factor_permuted.h"
#include "check.h"

/* Under AddressSanitizer (about ten times slower) the statistics run at a
 * smaller scale, which still takes every code path; the release build runs
 * them in full. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif


static uint64_t rng_state = 88172645463325252ULL;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static void shuffle(size_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = i;
    for (size_t i = n; i-- > 1;) {
        size_t j = next_random() % (i + 1), t = p[i];
        p[i] = p[j], p[j] = t;
    }
}

static size_t product(const size_t *r, size_t from, size_t to)
{
    size_t p = 1;
    for (size_t k = from; k < to; k++) p *= r[k];
    return p;
}

/* Class of chain row i at split s: its low digits; of column j: its high
 * digits. */
static size_t class_of(int rows, size_t index, const size_t *radix, size_t L, size_t s)
{
    size_t low = product(radix, s + 1, L);
    return rows ? index % low : index / low;
}

/* found and truth map chain indices to indices of A; equivalent when
 * truth^{-1}(found(.)) keeps every split's classes together. */
static int equivalent(int rows, const size_t *found, const size_t *truth, size_t count, const size_t *radix, size_t L)
{
    size_t *inverse = malloc(count * sizeof *inverse), *image = malloc(count * sizeof *image);
    int ok = 1;
    for (size_t i = 0; i < count; i++) inverse[truth[i]] = i;
    for (size_t s = 0; s + 1 < L && ok; s++) {
        for (size_t i = 0; i < count; i++) image[i] = SIZE_MAX;
        for (size_t i = 0; i < count && ok; i++) {
            size_t c = class_of(rows, i, radix, L, s), d = class_of(rows, inverse[found[i]], radix, L, s);
            if (image[c] == SIZE_MAX) image[c] = d;
            else if (image[c] != d) ok = 0;
        }
    }
    free(image);
    free(inverse);
    return ok;
}

static dmf_context *ctx;


/* Finds the permutations, factors a[rows][:, cols] and returns the error of
 * the chain (carrying them) against a itself. */
static double search_and_factor(const dmf_matrix *a, const size_t *m, const size_t *n, size_t L, size_t *rows,
                                size_t *cols, dmf_perm_report *rep)
{
    CHECK_OK(dmf_butterfly_identify_permutations(a, L, m, n, rows, cols, rep));
    dmf_matrix *b = NULL;
    CHECK_OK(dmf_matrix_permute(a, rows, cols, &b));
    dmf_tree *tree = NULL;
    CHECK_OK(dmf_tree_create(&tree, "balanced", L));
    dmf_butterfly_options opts;
    dmf_butterfly_options_default(&opts);
    dmf_chain *chain = NULL;
    double err = INFINITY;
    if (b && tree) CHECK_OK(dmf_butterfly_factor(ctx, b, m, n, L, tree, &opts, &chain, NULL));
    if (chain) {
        CHECK_OK(dmf_chain_set_permutations(chain, rows, cols));
        CHECK_OK(dmf_chain_rel_error(chain, a, &err));
    }
    dmf_chain_free(chain);
    dmf_tree_free(tree);
    dmf_matrix_free(b);
    return err;
}

static void test_digit_reversal(void)
{
    size_t two[3] = {2, 2, 2}, perm[24];
    CHECK_OK(dmf_digit_reversal(3, two, perm));
    const size_t bitrev8[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    CHECK(!memcmp(perm, bitrev8, sizeof bitrev8), "bit reversal of 8");
    /* Radices (3, 2, 4): i = 4*2*d0 + 4*d1 + d2 -> d0 + 3*d1 + 6*d2; the
     * reversal in the reversed radices (4, 2, 3) undoes it. */
    size_t mixed[3] = {3, 2, 4}, back_radix[3] = {4, 2, 3}, back[24];
    CHECK_OK(dmf_digit_reversal(3, mixed, perm));
    CHECK_OK(dmf_digit_reversal(3, back_radix, back));
    CHECK(perm[1] == 6 && perm[4] == 3 && perm[8] == 1 && perm[23] == 23, "mixed digits: %zu %zu %zu", perm[1],
          perm[4], perm[8]);
    int inverse = 1;
    for (size_t i = 0; i < 24; i++) inverse &= back[perm[i]] == i;
    CHECK(inverse, "reversal in the reversed radices is the inverse");
    size_t zero[2] = {2, 0};
    CHECK_STATUS(dmf_digit_reversal(2, zero, perm), DMF_ERR_ARG);
}

/* A chain with permutations is the matrix A, in every operation. */
static void test_chain_permutations(void)
{
    size_t m[3] = {2, 3, 2}, n[3] = {3, 2, 2}, rows[12], cols[12], bad[12];
    dmf_chain *chain = NULL;
    CHECK_OK(dmf_chain_create(&chain, DMF_C128, 3, m, n, NULL));
    if (!chain) return;
    CHECK_OK(dmf_chain_randomize(chain, 7));
    dmf_matrix *plain = NULL, *a = NULL, *expect = NULL;
    CHECK_OK(dmf_chain_densify(chain, &plain));
    shuffle(rows, 12);
    shuffle(cols, 12);
    CHECK(dmf_chain_perm_rows(chain) == NULL && dmf_chain_perm_cols(chain) == NULL, "no permutation by default");
    memcpy(bad, rows, sizeof bad);
    bad[3] = bad[4];
    CHECK_STATUS(dmf_chain_set_permutations(chain, bad, NULL), DMF_ERR_ARG);
    bad[3] = 12;
    CHECK_STATUS(dmf_chain_set_permutations(chain, bad, NULL), DMF_ERR_ARG);
    CHECK_OK(dmf_chain_set_permutations(chain, rows, cols));
    CHECK(dmf_chain_perm_rows(chain) && dmf_chain_perm_rows(chain)[5] == rows[5], "rows kept");
    CHECK_OK(dmf_chain_densify(chain, &a));
    if (!a || !plain) goto done;
    /* densify gives A: A[rows[i]][cols[j]] = plain[i][j]. */
    const double complex *pa = dmf_matrix_const_data(a), *pp = dmf_matrix_const_data(plain);
    double worst = 0;
    for (size_t i = 0; i < 12; i++)
        for (size_t j = 0; j < 12; j++) worst = fmax(worst, cabs(pa[rows[i] * 12 + cols[j]] - pp[i * 12 + j]));
    CHECK(worst == 0, "densify scatters the product into A's order (%g)", worst);
    double err = 1;
    CHECK_OK(dmf_chain_rel_error(chain, a, &err));
    CHECK(err < 1e-15, "error against A itself: %g", err);
    CHECK_OK(dmf_chain_rel_error(chain, plain, &err));
    CHECK(err > 0.1, "the unpermuted product is not A (%g)", err);
    /* apply: A x, and A^H x through the strided entry point. */
    dmf_matrix *x = NULL, *y = NULL;
    CHECK_OK(dmf_matrix_create(&x, DMF_C128, 12, 2));
    double complex *px = dmf_matrix_data(x);
    for (size_t k = 0; k < 24; k++) px[k] = (double)(k % 5) - 2.0 + I * (double)(k % 3);
    CHECK_OK(dmf_chain_apply(chain, x, &y));
    double complex yh[24];
    CHECK_OK(dmf_chain_apply_op(ctx, chain, DMF_OP_H, 2, px, 2, 1, yh, 2, 1));
    worst = 0;
    for (size_t i = 0; y && i < 12; i++)
        for (size_t t = 0; t < 2; t++) {
            double complex s = 0, h = 0;
            for (size_t j = 0; j < 12; j++) {
                s += pa[i * 12 + j] * px[j * 2 + t];
                h += conj(pa[j * 12 + i]) * px[j * 2 + t];
            }
            worst = fmax(worst, cabs(s - ((double complex *)dmf_matrix_data(y))[i * 2 + t]));
            worst = fmax(worst, cabs(h - yh[i * 2 + t]));
        }
    CHECK(worst < 1e-12, "apply and apply_op(H) of A: %g", worst);
    /* Files: the permutations go with the chain and come back; a
     * permutation file of another chain is refused. */
    char dir[] = "/tmp/dmf_perm_XXXXXX", path[64], cmd[128];
    if (mkdtemp(dir)) {
        snprintf(path, sizeof path, "%s/chain", dir);
        CHECK_OK(dmf_chain_write(chain, path));
        dmf_chain *back = NULL;
        CHECK_OK(dmf_chain_read(path, &back));
        if (back) {
            CHECK(dmf_chain_perm_rows(back) && !memcmp(dmf_chain_perm_rows(back), rows, sizeof rows) &&
                      dmf_chain_perm_cols(back) && !memcmp(dmf_chain_perm_cols(back), cols, sizeof cols),
                  "permutations read back");
            CHECK_OK(dmf_chain_rel_error(back, a, &err));
            CHECK(err < 1e-15, "read chain is A: %g", err);
        }
        dmf_chain_free(back);
        size_t swapped[12];
        memcpy(swapped, rows, sizeof swapped);
        swapped[0] = rows[1], swapped[1] = rows[0];
        snprintf(cmd, sizeof cmd, "%s/perm_rows.npy", path);
        CHECK_OK(dmf_npy_write_indices(cmd, 12, swapped));
        CHECK_STATUS(dmf_chain_read(path, &back), DMF_ERR_FORMAT);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0, "cleanup");
    }
    dmf_matrix_free(x);
    dmf_matrix_free(y);
done:
    dmf_matrix_free(expect);
    dmf_matrix_free(a);
    dmf_matrix_free(plain);
    dmf_chain_free(chain);
}

/* The natural-order DFT is a chain up to the bit reversal of its columns. */
static void test_dft(void)
{
    for (size_t L = 3; L <= (SANITIZED ? 10 : 12); L++) {
        size_t N = (size_t)1 << L, radix[12], *rows = malloc(N * sizeof *rows), *cols = malloc(N * sizeof *cols);
        size_t *identity = malloc(N * sizeof *identity), *bitrev = malloc(N * sizeof *bitrev);
        for (size_t k = 0; k < L; k++) radix[k] = 2;
        for (size_t i = 0; i < N; i++) identity[i] = i;
        CHECK_OK(dmf_digit_reversal(L, radix, bitrev));
        dmf_matrix_spec spec = {.name = "dft", .rows = N, .cols = N, .dtype = DMF_C128};
        dmf_matrix *a = NULL;
        CHECK_OK(dmf_matrix_builtin(&spec, &a));
        dmf_perm_report rep;
        double err = a ? search_and_factor(a, radix, radix, L, rows, cols, &rep) : 1;
        CHECK(err <= 1e-12, "DFT %zu: rel_error %g", N, err);
        CHECK(equivalent(1, rows, identity, N, radix, L), "DFT %zu: rows equivalent to the natural order", N);
        CHECK(equivalent(0, cols, bitrev, N, radix, L), "DFT %zu: columns equivalent to the bit reversal", N);
        CHECK(rep.num_levels == L - 1 && rep.min_score > 1 - 1e-9, "DFT %zu: scores %g", N, rep.min_score);
        dmf_matrix_free(a);
        free(rows), free(cols), free(identity), free(bitrev);
    }
}

/* Mixed-radix natural-order DFTs: rows at other distances than the first
 * group's have minors vanishing on whole residue classes of column pairs
 * and tie with the group (the first ten were not found before the tied
 * rows' candidate groups were verified by their cut). */
static void test_dft_mixed(void)
{
    static const struct {
        size_t N, L, radix[4];
    } cases[] = {
        {48, 2, {4, 12}},   {48, 2, {3, 16}},    {36, 2, {3, 12}},      {36, 3, {2, 3, 6}},  {36, 3, {3, 3, 4}},
        {60, 2, {5, 12}},   {72, 2, {8, 9}},     {96, 2, {3, 32}},      {96, 3, {2, 3, 16}}, {120, 2, {8, 15}},
        {48, 2, {12, 4}},   {48, 2, {6, 8}},     {48, 2, {2, 24}},      {36, 2, {12, 3}},    {36, 2, {4, 9}},
        {36, 2, {9, 4}},    {60, 3, {3, 4, 5}},  {60, 2, {4, 15}},      {60, 2, {2, 30}},    {72, 3, {2, 4, 9}},
        {72, 2, {6, 12}},   {96, 2, {4, 24}},    {100, 2, {10, 10}},    {100, 2, {4, 25}},   {120, 4, {2, 3, 4, 5}},
        {64, 2, {2, 32}},   {64, 2, {4, 16}},    {64, 2, {8, 8}},       {64, 3, {4, 4, 4}},  {128, 2, {2, 64}},
        {27, 2, {3, 9}},    {81, 2, {3, 27}},    {81, 2, {9, 9}},
    };
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        const size_t N = cases[t].N, L = cases[t].L, *radix = cases[t].radix;
        size_t *rows = malloc(N * sizeof *rows), *cols = malloc(N * sizeof *cols);
        dmf_matrix_spec spec = {.name = "dft", .rows = N, .cols = N, .dtype = DMF_C128};
        dmf_matrix *a = NULL;
        CHECK_OK(dmf_matrix_builtin(&spec, &a));
        dmf_perm_report rep;
        double err = a ? search_and_factor(a, radix, radix, L, rows, cols, &rep) : 1;
        CHECK(err <= 1e-12 && rep.min_score > 1 - 1e-9, "DFT %zu on %zu radices (%zu, %zu, ...): rel_error %g, scores %g",
              N, L, radix[0], radix[1], err, rep.min_score);
        dmf_matrix_free(a);
        free(rows), free(cols);
    }
}

/* A random chain, shuffled: found up to the support's own symmetries. */
static int shuffled_chain(const char *what, dmf_dtype dtype, const size_t *m, const size_t *n, size_t L,
                          uint64_t seed, int orthogonal, double noise, int exponent, double *err_out)
{
    dmf_chain *chain = NULL;
    CHECK_OK(dmf_chain_create(&chain, dtype, L, m, n, NULL));
    if (!chain) return 0;
    CHECK_OK(dmf_chain_randomize(chain, seed));
    if (orthogonal) {
        /* Unitary 2 x 2 blocks: a well-conditioned product, for the noise test. */
        for (size_t k = 0; k < L; k++) {
            size_t a, b, c, d;
            dmf_chain_support(chain, k, &a, &b, &c, &d);
            double complex *blk = dmf_chain_blocks(chain, k);
            for (size_t t = 0; t < a * d; t++) {
                /* [[x, -conj(y)], [y, conj(x)]], |x|^2 + |y|^2 = 1: unitary. */
                double u = (double)(next_random() % 100000) / 1e5, p1 = 6.283185307179586 * (double)(next_random() % 100000) / 1e5;
                double p2 = 6.283185307179586 * (double)(next_random() % 100000) / 1e5;
                double complex x = sqrt(u) * cexp(I * p1), y = sqrt(1 - u) * cexp(I * p2);
                blk[4 * t] = x, blk[4 * t + 1] = -conj(y), blk[4 * t + 2] = y, blk[4 * t + 3] = conj(x);
            }
        }
    }
    dmf_matrix *c = NULL, *a = NULL;
    CHECK_OK(dmf_chain_densify(chain, &c));
    dmf_chain_free(chain);
    if (!c) return 0;
    const size_t R = dmf_matrix_rows(c), C = dmf_matrix_cols(c);
    size_t *sr = malloc(R * sizeof *sr), *sc = malloc(C * sizeof *sc), *tr = malloc(R * sizeof *tr);
    size_t *tc = malloc(C * sizeof *tc), *rows = malloc(R * sizeof *rows), *cols = malloc(C * sizeof *cols);
    shuffle(sr, R);
    shuffle(sc, C);
    CHECK_OK(dmf_matrix_permute(c, sr, sc, &a)); /* A[i][j] = C[sr[i]][sc[j]] */
    if (exponent != 0 && a) /* times 2^exponent: exact */
        for (size_t k = 0; k < R * C; k++) {
            double complex v = dmf_get(dtype, dmf_matrix_data(a), k);
            dmf_set(dtype, dmf_matrix_data(a), k, ldexp(creal(v), exponent) + I * ldexp(cimag(v), exponent));
        }
    if (noise > 0 && a) {
        /* ||E||_F = noise ||A||_F, Gaussian. */
        double complex *pa = dmf_matrix_data(a);
        double norm = dmf_matrix_norm_fro(a), scale = noise * norm / sqrt((double)(R * C));
        for (size_t k = 0; k < R * C; k++) {
            double u1 = ((double)(next_random() >> 11) + 0.5) / 9007199254740992.0;
            double u2 = ((double)(next_random() >> 11) + 0.5) / 9007199254740992.0;
            double g = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
            pa[k] += scale * g;
        }
    }
    /* Chain row i is row sr^{-1}(i) of A. */
    for (size_t i = 0; i < R; i++) tr[sr[i]] = i;
    for (size_t j = 0; j < C; j++) tc[sc[j]] = j;
    dmf_perm_report rep;
    double err = a ? search_and_factor(a, m, n, L, rows, cols, &rep) : 1;
    int same = equivalent(1, rows, tr, R, m, L) && equivalent(0, cols, tc, C, n, L);
    *err_out = err;
    (void)what;
    dmf_matrix_free(a);
    dmf_matrix_free(c);
    free(sr), free(sc), free(tr), free(tc), free(rows), free(cols);
    return same;
}

static void test_random_chains(void)
{
    static const struct {
        const char *what;
        size_t L, m[10], n[10];
        dmf_dtype dtype;
    } shapes[] = {
        {"radix 2, 256, f64", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}, DMF_F64},
        {"radix 2, 1024, c128", 10, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, DMF_C128},
        {"mixed (3,4,2,4) square, c128", 4, {3, 4, 2, 4}, {3, 4, 2, 4}, DMF_C128},
        {"mixed 24 x 60, f64", 3, {2, 3, 4}, {5, 3, 4}, DMF_F64},
        {"rectangular radix 2 64 x 256, c128", 6, {2, 2, 2, 2, 2, 2}, {4, 4, 2, 2, 2, 2}, DMF_C128},
        {"radix 2, 128, f32", 7, {2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2}, DMF_F32},
        {"mixed (4,3,2) square, c64", 3, {4, 3, 2}, {4, 3, 2}, DMF_C64},
    };
    const int seeds = SANITIZED ? 4 : 20;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int good = 0, same = 0;
        double worst = 0;
        for (uint64_t seed = 1; seed <= (uint64_t)seeds; seed++) {
            double err;
            int eq = shuffled_chain(shapes[s].what, shapes[s].dtype, shapes[s].m, shapes[s].n, shapes[s].L, seed, 0, 0,
                                    0, &err);
            good += err <= (dmf_dtype_eps(shapes[s].dtype) > 1e-10 ? 1e-4 : 1e-10);
            same += eq;
            worst = fmax(worst, err);
        }
        CHECK(good >= seeds - seeds / 20, "%s: %d of %d seeds reach 1e-10 (1e-4 in single precision; worst %g)", shapes[s].what, good, seeds, worst);
        CHECK(same >= seeds - seeds / 20, "%s: %d of %d seeds find permutations equivalent to the truth", shapes[s].what,
              same, seeds);
        printf("%s: %d/%d exact, %d/%d equivalent to the truth, worst error %.2e\n", shapes[s].what, good, seeds, same,
               seeds, worst);
    }
}

/* Shuffled chains times 2^e far from 1: the search works on a copy scaled
 * near 1, so it finds them as at 2^0 (at 2^260 its scores were NaN and its
 * selection ran off its array; at 2^-280 it gave "not a permuted chain"). */
static void test_scaled_chains(void)
{
    size_t m[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    const int exponents[] = {260, 300, -280, -1000};
    for (int x = 0; x < 4; x++)
        for (int d = 0; d < 2; d++) {
            dmf_dtype dt = d ? DMF_C128 : DMF_F64;
            double err;
            int same = shuffled_chain("scaled", dt, m, m, 8, 3, 0, 0, exponents[x], &err);
            CHECK(same && err <= 1e-10, "%s chain times 2^%d: permutations %s the truth's, error %.3g",
                  dmf_dtype_name(dt), exponents[x], same ? "equivalent to" : "not", err);
        }
}

/* Noise of 1e-2 on a well-conditioned chain: the same permutations, and the
 * error of the unpermuted factorization (about the noise). */
static void test_noise(void)
{
    size_t m[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    int same = 0, close = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        double err;
        same += shuffled_chain("noisy", DMF_C128, m, m, 8, seed, 1, 1e-2, 0, &err);
        close += err <= 1.5e-2;
    }
    CHECK(same >= 9, "noise 1e-2: %d of 10 seeds find the permutations of the noiseless chain", same);
    CHECK(close >= 9, "noise 1e-2: %d of 10 seeds reach an error within 1.5x the noise", close);
    printf("noise 1e-2, 256, unitary blocks: %d/10 same permutations, %d/10 error <= 1.5e-2\n", same, close);
}

static void test_hadamard_and_gaussian(void)
{
    size_t radix[8] = {2, 2, 2, 2, 2, 2, 2, 2}, *rows = malloc(256 * sizeof *rows), *cols = malloc(256 * sizeof *cols);
    size_t sr[256], sc[256];
    dmf_matrix_spec spec = {.name = "hadamard", .rows = 256, .cols = 256, .dtype = DMF_F64};
    dmf_matrix *h = NULL, *a = NULL, *g = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &h));
    shuffle(sr, 256);
    shuffle(sc, 256);
    if (h) CHECK_OK(dmf_matrix_permute(h, sr, sc, &a));
    dmf_perm_report rep;
    double err = a ? search_and_factor(a, radix, radix, 8, rows, cols, &rep) : 1;
    CHECK(err <= 1e-13, "shuffled Hadamard 256: rel_error %g", err);
    spec.name = "gaussian";
    CHECK_OK(dmf_matrix_builtin(&spec, &g));
    err = g ? search_and_factor(g, radix, radix, 8, rows, cols, &rep) : 0;
    CHECK(err > 0.5 && rep.min_score < 0.5, "Gaussian: error %g, smallest score %g: no chain found", err,
          rep.min_score);
    size_t wrong[2] = {4, 4};
    CHECK_STATUS(dmf_butterfly_identify_permutations(g, 2, wrong, wrong, rows, cols, NULL), DMF_ERR_SHAPE);
    dmf_matrix_free(a);
    dmf_matrix_free(h);
    dmf_matrix_free(g);
    free(rows), free(cols);
}


/* dmf_butterfly_factor_permuted gives the factors of the permuted copy bit
 * for bit, with the permutations on the chain: through the permutations
 * (CPU, no root half big enough to stream) and through a copy (a streamed
 * root half, orthonormalization). */
static void test_factor_permuted(void)
{
    static const struct {
        const char *what, *tree;
        dmf_dtype dtype;
        size_t L, m[5], n[5], rank;
        int orthonormalize, rows_only, cols_only, huge;
    } cases[] = {
        {"radix 2, 1024, c128, balanced", "balanced", DMF_C128, 10, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 0, 0, 0, 0},
        {"mixed (3,4,2,4), f64, balanced", "balanced", DMF_F64, 4, {3, 4, 2, 4}, {3, 4, 2, 4}, 1, 0, 0, 0, 0},
        {"rectangular 24 x 60, c64, balanced", "balanced", DMF_C64, 3, {2, 3, 4}, {5, 3, 4}, 1, 0, 0, 0, 0},
        {"radix 2, 256, f32, rows only", "balanced", DMF_F32, 8, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 0, 1, 0, 0},
        {"radix 2, 256, f64, columns only, rank 2", "balanced", DMF_F64, 8, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 2, 0, 0, 1, 0},
        {"radix 2, 256, c128, entries near 1e300", "balanced", DMF_C128, 8, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 0, 0, 0, 1},
        {"radix 2, 256, c128, l2r", "l2r", DMF_C128, 8, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 0, 0, 0, 0},
        {"radix 2, 1024, c128, l2r (copied: streamed half)", "l2r", DMF_C128, 10, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 0, 0, 0, 0},
        {"radix 2, 256, f64, orthonormalized (copied)", "balanced", DMF_F64, 8, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1, 1, 0, 0, 0},
    };
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        size_t m[16], n[16], L = cases[t].L;
        for (size_t k = 0; k < L; k++) m[k] = k < 5 ? cases[t].m[k] : 2, n[k] = k < 5 ? cases[t].n[k] : 2;
        dmf_matrix_spec spec = {.name = "gaussian", .rows = product(m, 0, L), .cols = product(n, 0, L),
                                .dtype = cases[t].dtype, .seed = 7 + t};
        dmf_matrix *a = NULL, *b = NULL;
        CHECK_OK(dmf_matrix_builtin(&spec, &a));
        if (!a) continue;
        if (cases[t].huge) { /* factored as a scaled copy */
            double complex *x = dmf_matrix_data(a);
            for (size_t k = 0; k < spec.rows * spec.cols; k++) x[k] *= 1e300;
        }
        size_t *rows = malloc(spec.rows * sizeof *rows), *cols = malloc(spec.cols * sizeof *cols);
        shuffle(rows, spec.rows);
        shuffle(cols, spec.cols);
        const size_t *r = cases[t].cols_only ? NULL : rows, *c = cases[t].rows_only ? NULL : cols;
        CHECK_OK(dmf_matrix_permute(a, r, c, &b));
        dmf_tree *tree = NULL;
        CHECK_OK(dmf_tree_create(&tree, cases[t].tree, L));
        dmf_butterfly_options opts = {.rank = cases[t].rank, .orthonormalize = cases[t].orthonormalize};
        dmf_chain *copied = NULL, *direct = NULL;
        dmf_butterfly_report rc, rd;
        CHECK_OK(dmf_butterfly_factor(ctx, b, m, n, L, tree, &opts, &copied, &rc));
        CHECK_OK(dmf_butterfly_factor_permuted(ctx, a, r, c, m, n, L, tree, &opts, &direct, &rd));
        if (copied && direct) {
            int same = rc.num_nodes == rd.num_nodes;
            for (size_t k = 0; k < L && same; k++)
                same = !memcmp(copied->blocks[k], direct->blocks[k],
                               dmf_range_size(&copied->shape, k, k) * dmf_dtype_size(spec.dtype));
            for (size_t k = 0; k < rc.num_nodes && same; k++)
                same = rc.nodes[k].p == rd.nodes[k].p && rc.nodes[k].q == rd.nodes[k].q &&
                       fabs(rc.nodes[k].rel_error - rd.nodes[k].rel_error) <= 1e-12;
            CHECK(same, "%s: the factors and records of the permuted copy", cases[t].what);
            const size_t *pr = dmf_chain_perm_rows(direct), *pc = dmf_chain_perm_cols(direct);
            CHECK((r ? pr && !memcmp(pr, r, spec.rows * sizeof *r) : !pr) &&
                      (c ? pc && !memcmp(pc, c, spec.cols * sizeof *c) : !pc),
                  "%s: the chain carries the permutations", cases[t].what);
            double e1 = 0, e2 = 0;
            CHECK_OK(dmf_chain_rel_error(copied, b, &e1));
            CHECK_OK(dmf_chain_rel_error(direct, a, &e2));
            CHECK(fabs(e1 - e2) <= 1e-12, "%s: the error against A is the copy's (%g, %g)", cases[t].what, e1, e2);
        }
        dmf_chain_free(copied);
        dmf_chain_free(direct);
        dmf_tree_free(tree);
        dmf_matrix_free(b);
        dmf_matrix_free(a);
        free(rows), free(cols);
    }
}

int main(void)
{
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    if (SANITIZED) printf("sanitizer build: 4 seeds per shape and the DFT up to 1024 (the release build: 20 seeds, up to 4096)\n");
    test_digit_reversal();
    test_chain_permutations();
    test_dft();
    test_dft_mixed();
    test_random_chains();
    test_noise();
    test_scaled_chains();
    test_hadamard_and_gaussian();
    test_factor_permuted();
    dmf_context_free(ctx);
    return check_report("test_permutations");
}
