/* Lifting rank, scattering and sigma_min against the known answers of
 * Malgouyres & Landsberg: one path of K contiguous supports {0..S-1} has
 * rank K(S-1)+1 and is not scattered; the undecimated Haar path {0, 2^k} has
 * rank 2^K, is scattered and has sigma_min = sqrt(N); the paper's two
 * examples; DAGs worked out by hand; a triplet network equal to a
 * convolutional one has the same rank.  And a case where float32 samples
 * or the Gram matrix give the wrong rank while dmf's float64 SVD of the
 * samples does not. */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "network_specs.h"

static dmf_context *ctx;

static size_t rank_of(const dmf_network *net, dmf_liftrank_report *rep)
{
    CHECK_OK(dmf_liftrank(ctx, net, 7, 4, rep));
    return rep->rank;
}

static void test_contiguous_path(void)
{
    const size_t cases[][3] = {{2, 3, 16}, {3, 2, 8}, {4, 3, 32}, {2, 5, 12}, {5, 2, 9}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t K = cases[c][0], S = cases[c][1], N = cases[c][2];
        char support[64];
        snprintf(support, sizeof support, "{\"contiguous\": %zu}", S);
        const char *supports[32];
        for (size_t k = 0; k < K; k++) supports[k] = support;
        dmf_network *net = path_network(N, K, supports);
        if (!net) continue;
        dmf_liftrank_report rep;
        size_t rank = rank_of(net, &rep);
        CHECK(rank == K * (S - 1) + 1, "K=%zu S=%zu N=%zu: rank %zu, expected %zu", K, S, N, rank, K * (S - 1) + 1);
        CHECK(rep.rules_agree, "K=%zu S=%zu: rules disagree (%zu %zu %zu)", K, S, rep.rank_eps, rep.rank_gap,
              rep.rank_sqrt_eps);
        CHECK(rep.samples > rank, "R = %zu must exceed the rank %zu", rep.samples, rank);
        dmf_scatter_report sc;
        CHECK_OK(dmf_scatter(net, &sc));
        CHECK(!sc.scattered && sc.num_offending > 0, "K=%zu S=%zu should not be scattered", K, S);
        dmf_liftrank_report_free(&rep);
        dmf_network_free(net);
    }
}

static void test_haar(void)
{
    for (size_t K = 1; K <= 5; K++) {
        size_t N = (size_t)1 << (K + 1);
        dmf_network *net = haar_path(N, K);
        if (!net) continue;
        dmf_liftrank_report rep;
        size_t rank = rank_of(net, &rep);
        CHECK(rank == (size_t)1 << K, "Haar K=%zu: rank %zu, expected %zu", K, rank, (size_t)1 << K);
        dmf_scatter_report sc;
        CHECK_OK(dmf_scatter(net, &sc));
        CHECK(sc.scattered, "Haar K=%zu should be scattered", K);
        double sigma_min = 0;
        size_t full_rank = 0;
        CHECK_OK(dmf_lift_sigma_min(net, 10000000, &sigma_min, &full_rank));
        CHECK(fabs(sigma_min - sqrt((double)N)) < 1e-12 * sqrt((double)N),
              "Haar K=%zu N=%zu: sigma_min %.17g, expected sqrt(N) = %.17g", K, N, sigma_min, sqrt((double)N));
        CHECK(full_rank == rank, "explicit A has rank %zu, Monte Carlo %zu", full_rank, rank);
        dmf_liftrank_report_free(&rep);
        dmf_network_free(net);
    }
}

/* Section 8: supports {1,2,3} twice are not scattered (an entry is 2 or
 * more), {1,2,3} and {1,10} are. */
static void test_paper_examples(void)
{
    const char *twice[2] = {"[1, 2, 3]", "[1, 2, 3]"}, *apart[2] = {"[1, 2, 3]", "[1, 10]"};
    dmf_network *a = path_network(16, 2, twice), *b = path_network(16, 2, apart);
    dmf_scatter_report sc;
    if (a) {
        CHECK_OK(dmf_scatter(a, &sc));
        CHECK(!sc.scattered, "{1,2,3} twice should not be scattered");
        CHECK(sc.num_offending == 3 && sc.offending[0].value == 2 && sc.offending[1].value == 3,
              "offending entries: %zu, first values %lld %lld", sc.num_offending, sc.offending[0].value,
              sc.offending[1].value);
    }
    if (b) {
        CHECK_OK(dmf_scatter(b, &sc));
        CHECK(sc.scattered, "{1,2,3} and {1,10} should be scattered");
        dmf_liftrank_report rep;
        CHECK(rank_of(b, &rep) == 6, "{1,2,3} * {1,10}: rank %zu, expected 6", rep.rank);
        dmf_liftrank_report_free(&rep);
    }
    dmf_network_free(a);
    dmf_network_free(b);
}

/* Two leaves through a shared edge: kernels alpha (g0 d0 + g1 d1) and
 * beta (g0 d0 + g1 d1): four monomials at four distinct (leaf, position),
 * rank 4, scattered.  A diamond f -> a -> r, f -> b -> r with all supports
 * {0}: both paths land on position 0 of the one leaf, rank 1, and the
 * all-ones network gives 2 there: not scattered. */
static void test_dags(void)
{
    dmf_network *two = parse("{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                             "{\"from\": \"m\", \"to\": \"r\", \"support\": [0, 1]},"
                             "{\"from\": \"a\", \"to\": \"m\", \"support\": [0]},"
                             "{\"from\": \"b\", \"to\": \"m\", \"support\": [0]}]}");
    dmf_network *diamond = parse("{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                                 "{\"from\": \"a\", \"to\": \"r\", \"support\": [0]},"
                                 "{\"from\": \"b\", \"to\": \"r\", \"support\": [0]},"
                                 "{\"from\": \"f\", \"to\": \"a\", \"support\": [0]},"
                                 "{\"from\": \"f\", \"to\": \"b\", \"support\": [0]}]}");
    dmf_liftrank_report rep;
    dmf_scatter_report sc;
    if (two) {
        CHECK(rank_of(two, &rep) == 4, "two leaves: rank %zu, expected 4", rep.rank);
        dmf_liftrank_report_free(&rep);
        CHECK_OK(dmf_scatter(two, &sc));
        CHECK(sc.scattered, "two leaves should be scattered");
    }
    if (diamond) {
        CHECK(rank_of(diamond, &rep) == 1, "diamond: rank %zu, expected 1", rep.rank);
        dmf_liftrank_report_free(&rep);
        CHECK_OK(dmf_scatter(diamond, &sc));
        CHECK(!sc.scattered && sc.offending[0].value == 2, "diamond: scattered %d, value %lld", sc.scattered,
              sc.offending[0].value);
    }
    dmf_network_free(two);
    dmf_network_free(diamond);
}

/* The layers of a convolutional network written as a triplet network give
 * the same rank: the probes differ (all columns vs one per leaf) but the
 * span of the samples is the same. */
static void test_triplets_match_conv(void)
{
    const char *supports[3] = {"[0, 1]", "[0, 2]", "[0, 1, 3]"};
    dmf_network *conv = path_network(8, 3, supports);
    if (!conv) return;
    char *json = malloc(1 << 20);
    int len = snprintf(json, 1 << 20, "{\"type\": \"triplets\", \"layers\": [");
    for (size_t k = 0; k < conv->num_layers; k++) {
        const dmf_layer *layer = &conv->layers[k];
        len += snprintf(json + len, (size_t)(1 << 20) - (size_t)len, "%s{\"rows\": %zu, \"cols\": %zu, \"entries\": [",
                        k ? ", " : "", layer->rows, layer->cols);
        for (size_t e = 0; e < layer->count; e++)
            len += snprintf(json + len, (size_t)(1 << 20) - (size_t)len, "%s[%zu, %zu, %zu, %g]", e ? ", " : "",
                            layer->entries[e].row, layer->entries[e].col, layer->entries[e].param,
                            layer->entries[e].coef);
        len += snprintf(json + len, (size_t)(1 << 20) - (size_t)len, "]}");
    }
    snprintf(json + len, (size_t)(1 << 20) - (size_t)len, "]}");
    dmf_network *trip = parse(json);
    free(json);
    dmf_liftrank_report a, b;
    if (trip) {
        CHECK(rank_of(conv, &a) == rank_of(trip, &b), "conv rank %zu, triplet rank %zu", a.rank, b.rank);
        CHECK(b.sample_length == 64 && a.sample_length == 8, "sample lengths %zu and %zu", a.sample_length,
              b.sample_length);
        dmf_liftrank_report_free(&a);
        dmf_liftrank_report_free(&b);
    }
    dmf_network_free(conv);
    dmf_network_free(trip);
}

/* Singular values of a column-major matrix in float32 (sgesdd), for the
 * naive rank a single-precision implementation would report. */
static size_t rank_float32(const double *a, size_t rows, size_t cols)
{
    size_t k = rows < cols ? rows : cols;
    float *f = calloc(rows * cols + 64, sizeof *f), *sv = calloc(k + 64, sizeof *sv);
    for (size_t e = 0; e < rows * cols; e++) f[e] = (float)a[e];
    LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)rows, (lapack_int)cols, f, (lapack_int)rows, sv, NULL, 1,
                   NULL, 1);
    size_t r = 0;
    while (r < k && sv[r] > (float)(rows > cols ? rows : cols) * FLT_EPSILON * sv[0]) r++;
    free(f);
    free(sv);
    return r;
}

/* Rank from the eigenvalues of the Gram matrix S^T S (double), with the
 * same relative tolerance on sqrt(eigenvalue): the condition number is
 * squared, so small singular values drown in rounding. */
static size_t rank_gram(const double *a, size_t rows, size_t cols)
{
    double *g = calloc(cols * cols + 64, sizeof *g), *w = calloc(cols + 64, sizeof *w);
    for (size_t i = 0; i < cols; i++)
        for (size_t j = 0; j < cols; j++)
            for (size_t e = 0; e < rows; e++) g[i * cols + j] += a[i * rows + e] * a[j * rows + e];
    LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)cols, g, (lapack_int)cols, w);
    double top = w[cols - 1];
    size_t r = 0;
    for (size_t i = 0; i < cols; i++)
        if (w[i] > 0 && sqrt(w[i]) > (double)(rows > cols ? rows : cols) * DBL_EPSILON * sqrt(top)) r++;
    free(g);
    free(w);
    return r;
}

/* A deep contiguous path: the monomial counts per kernel position are
 * multinomial coefficients spanning many orders of magnitude, so the sample
 * matrix is badly conditioned while its rank K(S-1)+1 is exact. */
static void test_precision_matters(void)
{
    const size_t K = 16, S = 3, N = 40;
    char support[32];
    snprintf(support, sizeof support, "{\"contiguous\": %zu}", S);
    const char *supports[32];
    for (size_t k = 0; k < K; k++) supports[k] = support;
    dmf_network *net = path_network(N, K, supports);
    if (!net) return;
    dmf_liftrank_report rep;
    size_t rank = rank_of(net, &rep);
    size_t want = K * (S - 1) + 1;
    CHECK(rank == want, "deep path: dmf rank %zu, expected %zu", rank, want);
    /* The same samples, ranked naively. */
    size_t R = rep.samples, D = rep.sample_length;
    double *h = malloc(R * K * S * sizeof *h), *samples = malloc(R * D * sizeof *samples);
    dmf_rng rng;
    dmf_rng_seed(&rng, 7);
    for (size_t e = 0; e < R * K * S; e++) h[e] = dmf_rng_normal(&rng);
    dmf_sparse_layer views[32];
    for (size_t k = 0; k < K; k++)
        views[k] = (dmf_sparse_layer){net->layers[k].rows, net->layers[k].cols, net->layers[k].count,
                                      net->layers[k].entries};
    CHECK_OK(dmf_backend_cpu()->lift_samples(K, views, S, net->probes, net->num_probes, R, h, samples));
    size_t r32 = rank_float32(samples, D, R), rgram = rank_gram(samples, D, R);
    printf("deep contiguous path K=%zu S=%zu: rank dmf %zu, float32 %zu, Gram %zu (true %zu); "
           "sigma_max/sigma_min %.3g\n", K, S, rank, r32, rgram, want,
           rep.spectrum[0] / rep.spectrum[rank - 1]);
    CHECK(r32 != want, "float32 rank %zu should miss the true rank %zu here", r32, want);
    CHECK(rgram != want, "Gram rank %zu should miss the true rank %zu here", rgram, want);
    free(h);
    free(samples);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
}

/* Hand-worked verdicts and bounds.  X = M_1(h_1) M_2(h_2) with
 * M_1(h) = sum_i h_i B_i (2 x 2) and M_2(g) = sum_j g_j C_j (2 x 4), all
 * entries nonzero and scattered over [-1, 1]: A maps the 9 tensors e_i (x) e_j to the
 * 8 entries of X onto, rk A = 8 = 4(S-1) = dim Sigma_2 for K = 2, S = 3, so
 * Thm 6.4 applies (2K(S-1)+2 = 10 would have left it inconclusive). */
static void test_k2_threshold(void)
{
    dmf_network *net = k2_threshold_network();
    if (!net) return;
    dmf_liftrank_report rep;
    CHECK(rank_of(net, &rep) == 8 && rep.rules_agree, "K=2 S=3 triplets: rank %zu (rules agree %d), expected 8",
          rep.rank, rep.rules_agree);
    dmf_lift_verdict v;
    CHECK_OK(dmf_lift_verdict_get(net, rep.rank, &v));
    CHECK(v.dim_sigma2 == 8 && v.identifiable_thm_6_4 && !v.not_identifiable_thm_6_5,
          "K=2 S=3 rank 8: dim Sigma_2 %zu, identifiable %d", v.dim_sigma2, v.identifiable_thm_6_4);
    CHECK(!strcmp(v.verdict, "identifiable for almost every A (Thm 6.4)"), "verdict '%s'", v.verdict);
    CHECK(v.twice_s == 6 && !v.has_thm_8_4 && !strcmp(v.upper_bound_rule, "monomials"),
          "2S %zu, has 8.4 %d, rule %s", v.twice_s, v.has_thm_8_4, v.upper_bound_rule);
    CHECK(v.valid_monomials == 9 && rep.upper_bound == 8, "valid %zu, upper bound %zu", v.valid_monomials,
          rep.upper_bound);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
}

/* The 2 x 2 x 2 dense network (one parameter per entry, rk A = 4 = all
 * four entries of X reachable independently) as triplets, the first
 * layer's coefficients c[0..3]. */
static dmf_network *dense_2x2x2(const double c[4])
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"type\": \"triplets\", \"layers\": ["
             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, %.17g], [0, 1, 1, %.17g], [1, 0, 2, %.17g], "
             "[1, 1, 3, %.17g]]}, "
             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1], [0, 1, 1, 1], [1, 0, 2, 1], [1, 1, 3, 1]]}]}",
             c[0], c[1], c[2], c[3]);
    return parse(json);
}

/* Coefficients of very different sizes: with standard Gaussian h the
 * directions only the small ones reach fall below the rank rules' eps
 * (rank 2 of 4 here, all rules agreeing); each parameter drawn at its own
 * scale gives the rank back.  One parameter whose own coefficients span
 * 2^996 cannot be evened out: it is reported. */
static void test_coefficient_scales(void)
{
    const double cases[][4] = {{1, 1, 1, 1}, {1e300, 1, 1, 1}, {0x1p100, 0x1p-100, 0x1p50, 1}, {1, 1, 1, 0x1p-30}};
    const int rescaled[] = {0, 1, 1, 1};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dmf_network *net = dense_2x2x2(cases[c]);
        if (!net) return;
        dmf_liftrank_report rep;
        CHECK(rank_of(net, &rep) == 4 && rep.rules_agree, "dense 2x2x2 case %zu: rank %zu (rules agree %d), expected 4",
              c, rep.rank, rep.rules_agree);
        CHECK(rep.params_rescaled == rescaled[c] && rep.residual_spread_log2 == 0,
              "dense 2x2x2 case %zu: rescaled %d, spread %d", c, rep.params_rescaled, rep.residual_spread_log2);
        dmf_liftrank_report_free(&rep);
        dmf_network_free(net);
    }
    /* A parameter shared by entries of sizes 1e300 and 1: flagged. */
    dmf_network *net = parse("{\"type\": \"triplets\", \"layers\": ["
                             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1e300], [0, 1, 0, 1], [1, 0, 1, 1], "
                             "[1, 1, 1, 2]]}, "
                             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1], [0, 1, 1, 1], [1, 0, 2, 1], "
                             "[1, 1, 3, 1]]}]}");
    if (!net) return;
    dmf_liftrank_report rep;
    rank_of(net, &rep);
    CHECK(rep.params_rescaled && rep.residual_spread_log2 > 900, "shared parameter: rescaled %d, spread %d",
          rep.params_rescaled, rep.residual_spread_log2);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
    /* The same inside one parameter where the parameters' largest
     * coefficients agree (nothing to rescale): still reported. */
    net = parse("{\"type\": \"triplets\", \"layers\": ["
                "{\"rows\": 1, \"cols\": 2, \"entries\": [[0, 0, 0, 1.2676506002282294e30], [0, 1, 0, 1]]}, "
                "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1], [0, 1, 0, 1], [1, 0, 1, 1], "
                "[1, 1, 2, 1]]}]}");
    if (!net) return;
    rank_of(net, &rep);
    CHECK(!rep.params_rescaled && rep.residual_spread_log2 == 100, "one parameter 2^100: rescaled %d, spread %d",
          rep.params_rescaled, rep.residual_spread_log2);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
}

/* dim Sigma_2 for K > 2 (2K(S-1)+2, or the whole space when smaller) and
 * for layers of different sizes, on paths of dilated and listed supports
 * (S_k = |support|). */
static void test_dim_sigma2(void)
{
    struct { size_t K; const char *support[4]; size_t dim; } cases[] = {
        {1, {"[0, 1, 2, 3, 4]"}, 5},                                          /* K' = 1: R^5 */
        {2, {"[0, 1, 2]", "[0, 3, 6]"}, 8},                                   /* 4(S-1) */
        {2, {"[0, 1]", "[0, 2]"}, 4},                                         /* 4(S-1) = S^2 */
        {3, {"[0, 1]", "[0, 2]", "[0, 4]"}, 8},                               /* 2K(S-1)+2 = 8 = 2^3 */
        {4, {"[0, 1]", "[0, 2]", "[0, 4]", "[0, 8]"}, 10},                    /* 2K(S-1)+2 */
        {4, {"[0, 1, 2]", "[0, 3, 6]", "[0, 9, 18]", "[0, 27, 54]"}, 18},    /* 2K(S-1)+2 */
        {3, {"[0, 1, 2]", "[0]", "[0, 3, 6]"}, 8},                            /* S_2 = 1 drops out */
        {3, {"[0, 1]", "[0, 2, 4]", "[0, 8, 16, 24]"}, 14},                   /* 2(1+2+3)+2 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dmf_network *net = path_network(128, cases[c].K, cases[c].support);
        if (!net) continue;
        dmf_lift_verdict v;
        CHECK_OK(dmf_lift_verdict_get(net, 0, &v));
        CHECK(v.dim_sigma2 == cases[c].dim, "case %zu: dim Sigma_2 %zu, expected %zu (%s)", c, v.dim_sigma2,
              cases[c].dim, v.dim_sigma2_rule);
        CHECK(v.has_thm_8_4 && v.notion && v.conditions_thm_6_4 && v.conditions_thm_8_4, "case %zu: strings", c);
        dmf_network_free(net);
    }
}

/* upper_bound from the valid paths.  A two-path DAG x -> a -> r,
 * x -> b -> r with supports of two: S_1 = S_2 = 4, 16 monomials, of which
 * the 2 paths carry 2 x 2 each: 8, all at distinct positions (rank 8).
 * A Haar tree of depth 2 (r <- a, b; a <- c, d; b <- e, f): S_1 = 4,
 * S_2 = 8, 32 monomials, 4 paths of 4: 16 = the rank.  A masked network
 * counts its input-output paths: sizes 2, 3, 2 with masks [[1,1,0],[0,1,1]]
 * and dense: paths through the 4 allowed entries times 2 = 8 < 4 x 6 = 24. */
static void test_path_bounds(void)
{
    dmf_network *dag = parse("{\"type\": \"conv\", \"N\": 16, \"root\": \"r\", \"edges\": ["
                             "{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1]},"
                             "{\"from\": \"b\", \"to\": \"r\", \"support\": [4, 5]},"
                             "{\"from\": \"x\", \"to\": \"a\", \"support\": [0, 2]},"
                             "{\"from\": \"x\", \"to\": \"b\", \"support\": [0, 2]}]}");
    dmf_network *tree = haar_tree_8();
    dmf_network *masked = parse("{\"type\": \"masked\", \"sizes\": [2, 3, 2], "
                                "\"masks\": [[[1, 1, 0], [0, 1, 1]], \"dense\"]}");
    const struct { dmf_network *net; const char *name; size_t valid, rank; } cases[] = {
        {dag, "two-path DAG", 8, 8}, {tree, "Haar tree K=2", 16, 16}, {masked, "masked 2x3x2", 8, 0}};
    for (size_t c = 0; c < 3; c++) {
        if (!cases[c].net) continue;
        dmf_lift_verdict v;
        CHECK_OK(dmf_lift_verdict_get(cases[c].net, 0, &v));
        CHECK(v.valid_monomials == cases[c].valid && !strcmp(v.upper_bound_rule, "valid paths"),
              "%s: %zu valid monomials (%s), expected %zu", cases[c].name, v.valid_monomials, v.upper_bound_rule,
              cases[c].valid);
        dmf_liftrank_report rep;
        size_t rank = rank_of(cases[c].net, &rep);
        CHECK(rep.upper_bound <= cases[c].valid && rank <= rep.upper_bound, "%s: rank %zu, bound %zu", cases[c].name,
              rank, rep.upper_bound);
        if (cases[c].rank)
            CHECK(rank == cases[c].rank && rep.reached_bound && rep.samples == cases[c].valid + 1,
                  "%s: rank %zu (expected %zu), reached %d, samples %zu", cases[c].name, rank, cases[c].rank,
                  rep.reached_bound, rep.samples);
        dmf_liftrank_report_free(&rep);
        dmf_network_free(cases[c].net);
    }
}

/* Definition 8.1 extended to 0/1 networks: entry (i, j) of M(1) counts the
 * paths from input j to output i.  A butterfly chain has one path per
 * entry; the LU masks (lower then upper triangular) have min(i, j) + 1,
 * so the n = 4 network has (n - 1)^2 = 9 offending entries, the first at
 * column 1, row 1 (2 paths), the largest 4 at (3, 3); two dense layers
 * through 3 inner nodes give 3 paths everywhere; other coefficients are
 * refused. */
static void test_scatter_beyond_convolutions(void)
{
    dmf_scatter_report sc;
    dmf_network *bf = parse("{\"type\": \"butterfly\", \"radix_m\": [2, 2, 2], \"radix_n\": [2, 2, 2]}");
    if (bf) {
        CHECK_OK(dmf_scatter(bf, &sc));
        CHECK(sc.scattered && sc.num_offending == 0 && !sc.convolutional, "butterfly 8: %d %zu", sc.scattered,
              sc.num_offending);
        CHECK(strstr(dmf_scatter_verdict(&sc), "not claimed") != NULL, "%s", dmf_scatter_verdict(&sc));
    }
    dmf_network *lu = parse("{\"type\": \"masked\", \"sizes\": [4, 4, 4], \"masks\": ["
                            "[[1,0,0,0],[1,1,0,0],[1,1,1,0],[1,1,1,1]], [[1,1,1,1],[0,1,1,1],[0,0,1,1],[0,0,0,1]]]}");
    if (lu) {
        CHECK_OK(dmf_scatter(lu, &sc));
        CHECK(!sc.scattered && sc.num_offending == 9, "LU 4: %zu offending", sc.num_offending);
        CHECK(sc.offending[0].leaf == 1 && sc.offending[0].position == 1 && sc.offending[0].value == 2,
              "first offending (%zu, %zu) = %lld", sc.offending[0].position, sc.offending[0].leaf,
              sc.offending[0].value);
        long long largest = 0, total = 0;
        for (size_t k = 0; k < sc.num_offending; k++) {
            size_t i = sc.offending[k].position, j = sc.offending[k].leaf;
            CHECK(sc.offending[k].value == (long long)((i < j ? i : j) + 1), "(%zu, %zu) = %lld", i, j,
                  sc.offending[k].value);
            if (sc.offending[k].value > largest) largest = sc.offending[k].value;
            total += sc.offending[k].value;
        }
        CHECK(largest == 4 && total == 2 * 5 + 3 * 3 + 4, "largest %lld, total %lld", largest, total);
        CHECK(strstr(dmf_scatter_verdict(&sc), "Thm 6.4") != NULL, "%s", dmf_scatter_verdict(&sc));
    }
    dmf_network *dense = parse("{\"type\": \"masked\", \"sizes\": [2, 3, 2], \"masks\": [\"dense\", \"dense\"]}");
    if (dense) {
        CHECK_OK(dmf_scatter(dense, &sc));
        CHECK(!sc.scattered && sc.num_offending == 4, "dense 2x3x2: %zu offending", sc.num_offending);
        for (size_t k = 0; k < sc.num_offending; k++) CHECK(sc.offending[k].value == 3, "%lld", sc.offending[k].value);
    }
    dmf_network *weighted = parse("{\"type\": \"triplets\", \"layers\": [{\"rows\": 2, \"cols\": 2, "
                                  "\"entries\": [[0, 0, 0, 2], [1, 1, 1, 1]]}]}");
    if (weighted) CHECK_STATUS(dmf_scatter(weighted, &sc), DMF_ERR_ARG);
    dmf_network_free(bf);
    dmf_network_free(lu);
    dmf_network_free(dense);
    dmf_network_free(weighted);
}

int main(void)
{
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    test_contiguous_path();
    test_haar();
    test_paper_examples();
    test_dags();
    test_triplets_match_conv();
    test_precision_matters();
    test_k2_threshold();
    test_coefficient_scales();
    test_dim_sigma2();
    test_path_bounds();
    test_scatter_beyond_convolutions();
    dmf_context_free(ctx);
    return check_report("test_lift");
}
