/* Cross-check of the CUDA split and normalize kernels against the CPU
 * backend on the same inputs (skipped, exit 77, without a usable GPU).
 *
 * Per case the test compares, with eps the unit roundoff of the dtype and
 * n = b1 + c2:
 *  - the residual ||T - W H||^2 the kernels report:
 *      |gpu - cpu| <= 100 n eps ||T||^2;
 *  - the products W H restricted to the sub-blocks (the rank-r
 *    approximations, which do not depend on the sign or phase of x and y):
 *      ||WH_gpu - WH_cpu||_F / (||WH_cpu||_F n eps) <= 1000
 *    for inputs whose top singular values are well separated (random and
 *    rank-one-plus-noise blocks; skipped for the sigma2/sigma1 = 0.999
 *    blocks, whose best approximation is ill-conditioned);
 *  - the outcome counts (closed forms exactly; iterative + SVD in total),
 *    and that info[] agrees with the counts;
 *  - after normalize_pair on either side: the products W H, same bound.
 * Geometries: every split of square radix 2, radix 3, mixed rectangular,
 * radix-1, rank 2 and 3 chains, blocks 1 x n, 2 x n, n x 2, 31/32/33 and
 * several batches' worth of sub-blocks. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "butterfly/chain_internal.h"
#include "check.h"

static const dmf_backend *cuda;

typedef enum { FILL_RANDOM, FILL_RANK_ONE_NOISY, FILL_ZERO, FILL_SLOW, FILL_COUNT } fill_kind;

static void fill(dmf_dtype dtype, const dmf_split_geometry *g, void *t, fill_kind kind, uint64_t seed)
{
    size_t B = g->b1 * g->b2, C = g->c1 * g->c2, total = g->a * g->d * B * C;
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    dmf_rng_fill_normal(&rng, dtype, t, total);
    if (kind == FILL_RANDOM) return;
    for (size_t e = 0; e < total; e++) {
        size_t alpha = ((e / C) % B) / g->b2, beta = (e % C) % g->c2;
        double complex value = 0;
        if (kind == FILL_RANK_ONE_NOISY) value = (1.0 + alpha) * (2.0 - 0.5 * beta) + 1e-3 * dmf_get(dtype, t, e);
        if (kind == FILL_SLOW) {
            const double c = cos(0.5), sn = sin(0.5), s1 = 1.0, s2 = 0.999;
            const double m2[2][2] = {{c * c * s1 + sn * sn * s2, c * sn * (s1 - s2)},
                                     {c * sn * (s1 - s2), sn * sn * s1 + c * c * s2}};
            value = alpha < 2 && beta < 2 ? m2[alpha][beta] : alpha == beta ? 0.5 : 0.0;
        }
        dmf_set(dtype, t, e, value);
    }
}

static size_t w_size(const dmf_split_geometry *g) { return g->a * g->b2 * g->d * g->b1 * g->c1 * g->rank; }
static size_t h_size(const dmf_split_geometry *g) { return g->a * g->c1 * g->d * g->rank * g->b2 * g->c2; }
static size_t t_size(const dmf_split_geometry *g) { return g->a * g->d * g->b1 * g->b2 * g->c1 * g->c2; }

/* Uploads host arrays, runs the CUDA entry, downloads the results. */
static int cuda_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                      dmf_split_stats *stats)
{
    size_t es = dmf_dtype_size(dtype);
    void *dt = NULL, *dw = NULL, *dh = NULL;
    int status = cuda->mem_alloc(&dt, t_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_alloc(&dw, w_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_alloc(&dh, h_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_upload(dt, t, t_size(g) * es);
    if (status == DMF_OK) status = cuda->split_rank_r(dtype, g, dt, dw, dh, info, stats);
    if (status == DMF_OK) status = cuda->mem_download(w, dw, w_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_download(h, dh, h_size(g) * es);
    cuda->mem_free(dt), cuda->mem_free(dw), cuda->mem_free(dh);
    return status;
}

static int cuda_normalize(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h, dmf_normalize_side side)
{
    size_t es = dmf_dtype_size(dtype);
    void *dw = NULL, *dh = NULL;
    int status = cuda->mem_alloc(&dw, w_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_alloc(&dh, h_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_upload(dw, w, w_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_upload(dh, h, h_size(g) * es);
    if (status == DMF_OK) status = cuda->normalize_pair(dtype, g, dw, dh, side);
    if (status == DMF_OK) status = cuda->mem_download(w, dw, w_size(g) * es);
    if (status == DMF_OK) status = cuda->mem_download(h, dh, h_size(g) * es);
    cuda->mem_free(dw), cuda->mem_free(dh);
    return status;
}

/* ||WH_a - WH_b||_F / (||WH_b||_F n eps). */
static double product_ratio(dmf_dtype dtype, const dmf_split_geometry *g, const void *wa, const void *ha,
                            const void *wb, const void *hb)
{
    void *ref = calloc(t_size(g), dmf_dtype_size(dtype));
    dmf_merge_ranges(dtype, g, wb, hb, ref, NULL, NULL, NULL);
    double diff = 0, norm = 0;
    dmf_merge_ranges(dtype, g, wa, ha, NULL, ref, &diff, &norm);
    free(ref);
    if (norm == 0) return diff == 0 ? 0 : INFINITY;
    return sqrt(diff) / (sqrt(norm) * (double)(g->b1 + g->c2) * dmf_dtype_eps(dtype));
}

static void run_case(dmf_dtype dtype, const dmf_split_geometry *g, fill_kind kind, uint64_t seed)
{
    size_t es = dmf_dtype_size(dtype), count = dmf_split_num_sub_blocks(g);
    void *t = calloc(t_size(g), es), *wc = calloc(w_size(g), es), *hc = calloc(h_size(g), es);
    void *wg = calloc(w_size(g), es), *hg = calloc(h_size(g), es);
    int *info_c = calloc(count, sizeof(int)), *info_g = calloc(count, sizeof(int));
    fill(dtype, g, t, kind, seed);
    dmf_split_stats sc = {0}, sg = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, g, t, wc, hc, info_c, &sc));
    int st = cuda_split(dtype, g, t, wg, hg, info_g, &sg);
    CHECK(st == DMF_OK, "cuda split -> %s (%s)", dmf_status_string(st), dmf_last_error());
    const double eps = dmf_dtype_eps(dtype), n = (double)(g->b1 + g->c2);
    char what[160];
    snprintf(what, sizeof what, "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu) fill %d seed %llu", dmf_dtype_name(dtype), g->a,
             g->d, g->b1, g->b2, g->c1, g->c2, g->rank, (int)kind, (unsigned long long)seed);
    CHECK(fabs(sg.residual_sq - sc.residual_sq) <= 100 * n * eps * sc.target_sq + 1e-300,
          "%s: residual^2 gpu %.6e cpu %.6e", what, sg.residual_sq, sc.residual_sq);
    CHECK(fabs(sg.target_sq - sc.target_sq) <= 10 * eps * sc.target_sq, "%s: ||T||^2 gpu %.6e cpu %.6e", what,
          sg.target_sq, sc.target_sq);
    CHECK(sg.closed_form == sc.closed_form && sg.iterative + sg.dense_svd == sc.iterative + sc.dense_svd &&
              sg.failed == 0,
          "%s: outcomes gpu %zu/%zu/%zu/%zu cpu %zu/%zu/%zu/%zu", what, sg.closed_form, sg.iterative, sg.dense_svd,
          sg.failed, sc.closed_form, sc.iterative, sc.dense_svd, sc.failed);
    size_t seen[3] = {0, 0, 0};
    for (size_t s = 0; s < count; s++)
        if (info_g[s] >= 0 && info_g[s] <= 2) seen[info_g[s]]++;
    CHECK(seen[0] == sg.closed_form && seen[1] == sg.iterative && seen[2] == sg.dense_svd,
          "%s: info[] counts %zu/%zu/%zu, stats %zu/%zu/%zu", what, seen[0], seen[1], seen[2], sg.closed_form,
          sg.iterative, sg.dense_svd);
    if (kind == FILL_RANDOM || kind == FILL_RANK_ONE_NOISY) {
        double ratio = product_ratio(dtype, g, wg, hg, wc, hc);
        CHECK(ratio <= 1000, "%s: ||WH gpu - WH cpu|| / (||WH cpu|| n eps) = %.3g", what, ratio);
    }
    if (kind == FILL_RANDOM)
        for (int side = DMF_NORMALIZE_LEFT; side <= DMF_NORMALIZE_RIGHT; side++) {
            void *wc2 = malloc(w_size(g) * es), *hc2 = malloc(h_size(g) * es);
            memcpy(wc2, wc, w_size(g) * es), memcpy(hc2, hc, h_size(g) * es);
            CHECK_OK(dmf_backend_cpu()->normalize_pair(dtype, g, wc2, hc2, (dmf_normalize_side)side));
            CHECK_OK(cuda_normalize(dtype, g, wc, hc, (dmf_normalize_side)side));
            double ratio = product_ratio(dtype, g, wc, hc, wc2, hc2);
            CHECK(ratio <= 100 * (double)g->rank, "%s: normalize side %d: W H ratio %.3g", what, side, ratio);
            free(wc2), free(hc2);
        }
    free(t), free(wc), free(hc), free(wg), free(hg), free(info_c), free(info_g);
}

int main(void)
{
    int status;
    cuda = dmf_backend_cuda(&status);
    if (!cuda) {
        printf("test_cuda_split: skipped: %s\n", dmf_last_error());
        return 77;
    }
    /* Split geometries (a, d, b1, b2, c1, c2, rank) beyond the chains below:
     * 31/32/33 blocks, 1 x n, n x 1, many sub-blocks, sizes past 32 for the
     * per-block SVD. */
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
            for (int kind = 0; kind < FILL_COUNT; kind++) run_case(dt, &g, (fill_kind)kind, seed++);
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
                        for (int kind = 0; kind < FILL_COUNT; kind++) run_case(dt, &g, (fill_kind)kind, seed++);
                }
    }
    cuda->release_workspace();
    return check_report("test_cuda_split");
}
