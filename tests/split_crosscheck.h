/* The comparison of another implementation of split_rank_r (and optionally
 * normalize_pair) with the CPU backend, shared by test_cuda_split (the GPU)
 * and test_split_emulated (the same kernels run on the CPU).
 *
 * Per case, with eps the unit roundoff of the dtype and n = b1 + c2:
 *  - the residual ||T - W H||^2 reported:  |other - cpu| <= 100 n eps ||T||^2;
 *  - ||T||^2 reported:  |other - cpu| <= 10 eps ||T||^2;
 *  - the products W H restricted to the sub-blocks (the rank-r
 *    approximations, which do not depend on the sign or phase of x and y):
 *      ||WH_other - WH_cpu||_F / (||WH_cpu||_F n eps) <= 1000
 *    for inputs whose top singular values are well separated (random and
 *    rank-one-plus-noise blocks; not for the sigma2/sigma1 = 0.999 blocks,
 *    whose best approximation is ill-conditioned);
 *  - the outcome counts (closed forms exactly, iterative + SVD in total,
 *    none failed) and info[] against the counts;
 *  - after normalize_pair on either side: the products W H,
 *    ratio <= 100 r.
 * Geometries: every split of square radix 2, radix 3, mixed rectangular,
 * radix-1, rank 2 and 3 chains, and blocks 1 x n, n x 1, 2 x n, n x 2,
 * 31/32/33, sizes past 32 (per-block SVD), many sub-blocks. */
#ifndef DMF_TEST_SPLIT_CROSSCHECK_H
#define DMF_TEST_SPLIT_CROSSCHECK_H

#include <complex.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "butterfly/chain_internal.h"
#include "check.h"
#include "split_fill.h"

/* Host arrays in, host arrays out. */
typedef int (*crosscheck_split_fn)(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h,
                                   int *info, dmf_split_stats *stats);
typedef int (*crosscheck_normalize_fn)(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h,
                                       dmf_normalize_side side);

/* The fills compared across implementations: not identity blocks, whose
 * repeated singular values leave the best rank-one approximation open. */
static const split_fill crosscheck_fills[] = {FILL_RANDOM, FILL_RANK_ONE_NOISY, FILL_ZERO, FILL_SLOW, FILL_DIRECT_SUM};
#define CROSSCHECK_NUM_FILLS (sizeof crosscheck_fills / sizeof crosscheck_fills[0])

static size_t crosscheck_w_size(const dmf_split_geometry *g) { return g->a * g->b2 * g->d * g->b1 * g->c1 * g->rank; }
static size_t crosscheck_h_size(const dmf_split_geometry *g) { return g->a * g->c1 * g->d * g->rank * g->b2 * g->c2; }
static size_t crosscheck_t_size(const dmf_split_geometry *g) { return g->a * g->d * g->b1 * g->b2 * g->c1 * g->c2; }

/* ||WH_a - WH_b||_F / (||WH_b||_F n eps). */
static double crosscheck_product_ratio(dmf_dtype dtype, const dmf_split_geometry *g, const void *wa, const void *ha,
                                       const void *wb, const void *hb)
{
    void *ref = calloc(crosscheck_t_size(g), dmf_dtype_size(dtype));
    dmf_merge_ranges(dtype, g, wb, hb, ref, NULL, NULL, NULL);
    double diff = 0, norm = 0;
    dmf_merge_ranges(dtype, g, wa, ha, NULL, ref, &diff, &norm);
    free(ref);
    if (norm == 0) return diff == 0 ? 0 : INFINITY;
    return sqrt(diff) / (sqrt(norm) * (double)(g->b1 + g->c2) * dmf_dtype_eps(dtype));
}

static void crosscheck_case(crosscheck_split_fn split, crosscheck_normalize_fn normalize, dmf_dtype dtype,
                            const dmf_split_geometry *g, split_fill kind, uint64_t seed)
{
    size_t es = dmf_dtype_size(dtype), count = dmf_split_num_sub_blocks(g);
    size_t ws = crosscheck_w_size(g), hs = crosscheck_h_size(g);
    void *t = calloc(crosscheck_t_size(g), es), *wc = calloc(ws, es), *hc = calloc(hs, es);
    void *wo = calloc(ws, es), *ho = calloc(hs, es);
    int *info_c = calloc(count, sizeof(int)), *info_o = calloc(count, sizeof(int));
    split_fill_target(dtype, g, t, kind, seed);
    dmf_split_stats sc = {0}, so = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, g, t, wc, hc, info_c, &sc));
    int st = split(dtype, g, t, wo, ho, info_o, &so);
    CHECK(st == DMF_OK, "split -> %s (%s)", dmf_status_string(st), dmf_last_error());
    const double eps = dmf_dtype_eps(dtype), n = (double)(g->b1 + g->c2);
    char what[160];
    snprintf(what, sizeof what, "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu) fill %d seed %llu", dmf_dtype_name(dtype), g->a,
             g->d, g->b1, g->b2, g->c1, g->c2, g->rank, (int)kind, (unsigned long long)seed);
    /* Power iteration stops early where its rate cannot meet the test
     * (here sigma2 / sigma1 = 0.999): five steps a block, then the SVD. */
    if (kind == FILL_SLOW && g->rank == 1 && g->b1 > 2 && g->c2 > 2)
        CHECK(so.power_steps <= 5 * count, "%s: %zu power steps for %zu slow blocks", what, so.power_steps, count);
    CHECK(fabs(so.residual_sq - sc.residual_sq) <= 100 * n * eps * sc.target_sq + 1e-300,
          "%s: residual^2 %.6e, cpu %.6e", what, so.residual_sq, sc.residual_sq);
    CHECK(fabs(so.target_sq - sc.target_sq) <= 10 * eps * sc.target_sq, "%s: ||T||^2 %.6e, cpu %.6e", what,
          so.target_sq, sc.target_sq);
    CHECK(so.closed_form == sc.closed_form && so.iterative + so.dense_svd == sc.iterative + sc.dense_svd &&
              so.failed == 0,
          "%s: outcomes %zu/%zu/%zu/%zu, cpu %zu/%zu/%zu/%zu", what, so.closed_form, so.iterative, so.dense_svd,
          so.failed, sc.closed_form, sc.iterative, sc.dense_svd, sc.failed);
    size_t seen[3] = {0, 0, 0};
    for (size_t s = 0; s < count; s++)
        if (info_o[s] >= 0 && info_o[s] <= 2) seen[info_o[s]]++;
    CHECK(seen[0] == so.closed_form && seen[1] == so.iterative && seen[2] == so.dense_svd,
          "%s: info[] counts %zu/%zu/%zu, stats %zu/%zu/%zu", what, seen[0], seen[1], seen[2], so.closed_form,
          so.iterative, so.dense_svd);
    if (kind == FILL_RANDOM || kind == FILL_RANK_ONE_NOISY) {
        double ratio = crosscheck_product_ratio(dtype, g, wo, ho, wc, hc);
        CHECK(ratio <= 1000, "%s: ||WH - WH cpu|| / (||WH cpu|| n eps) = %.3g", what, ratio);
    }
    if (kind == FILL_RANDOM && normalize)
        for (int side = DMF_NORMALIZE_LEFT; side <= DMF_NORMALIZE_RIGHT; side++) {
            void *wc2 = malloc(ws * es), *hc2 = malloc(hs * es);
            memcpy(wc2, wc, ws * es), memcpy(hc2, hc, hs * es);
            CHECK_OK(dmf_backend_cpu()->normalize_pair(dtype, g, wc2, hc2, (dmf_normalize_side)side));
            CHECK_OK(normalize(dtype, g, wc, hc, (dmf_normalize_side)side));
            double ratio = crosscheck_product_ratio(dtype, g, wc, hc, wc2, hc2);
            CHECK(ratio <= 100 * (double)g->rank, "%s: normalize side %d: W H ratio %.3g", what, side, ratio);
            free(wc2), free(hc2);
        }
    free(t), free(wc), free(hc), free(wo), free(ho), free(info_c), free(info_o);
}

/* Every geometry and fill in every dtype. */
static void crosscheck_all(crosscheck_split_fn split, crosscheck_normalize_fn normalize)
{
    /* (a, d, b1, b2, c1, c2, rank) beyond the chains below. */
    const size_t shapes[][7] = {
        {1, 1, 31, 2, 2, 33, 1}, {1, 1, 32, 1, 2, 32, 1}, {1, 1, 33, 2, 1, 31, 1}, {1, 1, 1, 3, 2, 5, 1},
        {1, 1, 5, 2, 3, 1, 1},   {2, 1, 2, 2, 3, 7, 1},   {1, 2, 7, 3, 2, 2, 1},   {1, 1, 40, 2, 3, 36, 2},
        {4, 4, 8, 4, 4, 8, 1},   {1, 1, 3, 2, 70, 2, 1},  {1, 1, 31, 1, 1, 33, 3}, {64, 1, 2, 32, 2, 2, 1},
    };
    uint64_t seed = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dmf_split_geometry g = {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                                shapes[s][4], shapes[s][5], shapes[s][6]};
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            for (size_t f = 0; f < CROSSCHECK_NUM_FILLS; f++)
                crosscheck_case(split, normalize, dt, &g, crosscheck_fills[f], seed++);
    }
    typedef struct {
        size_t num, m[5], n[5], rank;
    } chain_case;
    const chain_case cases[] = {
        {5, {2, 2, 2, 2, 2}, {2, 2, 2, 2, 2}, 1}, {3, {3, 3, 3}, {3, 3, 3}, 1}, {3, {2, 3, 4}, {3, 2, 5}, 1},
        {3, {4, 1, 3}, {1, 5, 2}, 1},             {3, {2, 2, 3}, {2, 3, 2}, 2}, {4, {2, 2, 2, 2}, {2, 2, 2, 2}, 3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dmf_chain_shape shape;
        size_t ranks[5] = {cases[c].rank, cases[c].rank, cases[c].rank, cases[c].rank, cases[c].rank};
        CHECK_OK(dmf_chain_shape_init(&shape, cases[c].num, cases[c].m, cases[c].n, ranks));
        for (size_t p = 0; p < cases[c].num; p++)
            for (size_t q = p + 1; q < cases[c].num; q++)
                for (size_t l = p; l < q; l++) {
                    dmf_split_geometry g = dmf_split_geometry_of(&shape, p, l, q);
                    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
                        for (size_t f = 0; f < CROSSCHECK_NUM_FILLS; f++)
                            crosscheck_case(split, normalize, dt, &g, crosscheck_fills[f], seed++);
                }
    }
}

/* The short list for compute-sanitizer: a power-iteration block past 32,
 * closed forms (2 x n, many sub-blocks), a rank-2 block through the SVD,
 * every fill, two dtypes; and every split of one chain. */
static void crosscheck_small(crosscheck_split_fn split, crosscheck_normalize_fn normalize)
{
    const size_t shapes[][7] = {
        {1, 1, 33, 2, 1, 31, 1}, {2, 1, 2, 2, 3, 7, 1}, {64, 1, 2, 32, 2, 2, 1}, {1, 1, 40, 2, 3, 36, 2},
    };
    const dmf_dtype dtypes[2] = {DMF_F32, DMF_C128};
    uint64_t seed = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dmf_split_geometry g = {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                                shapes[s][4], shapes[s][5], shapes[s][6]};
        for (int d = 0; d < 2; d++)
            for (size_t f = 0; f < CROSSCHECK_NUM_FILLS; f++)
                crosscheck_case(split, normalize, dtypes[d], &g, crosscheck_fills[f], seed++);
    }
    const size_t m[4] = {2, 2, 2, 2}, n[4] = {2, 2, 2, 2}, ranks[4] = {1, 1, 1, 1};
    dmf_chain_shape shape;
    CHECK_OK(dmf_chain_shape_init(&shape, 4, m, n, ranks));
    for (size_t p = 0; p < 4; p++)
        for (size_t q = p + 1; q < 4; q++)
            for (size_t l = p; l < q; l++) {
                dmf_split_geometry g = dmf_split_geometry_of(&shape, p, l, q);
                crosscheck_case(split, normalize, DMF_F64, &g, FILL_RANDOM, seed++);
            }
}

#endif
