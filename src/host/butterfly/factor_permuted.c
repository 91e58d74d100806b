/* Factoring B = a[perm_rows][:, perm_cols] without writing B.
 *
 * A permuted copy of a large input costs more than its factorization: every
 * entry is read at a random place of its row, and the copy's fresh pages
 * fault in (on a virtual machine, about 2 s per GiB).  Only the root's split
 * reads the input; every later split reads the root's halves.  That split
 * is rank-one (rank-r) on sub-blocks whose rows share their low digits, the
 * row classes, so, as stream.c does for a streamed root, a group of row
 * classes is a problem of its own (the factors left of the split and one
 * factor of g rows): its rows are gathered through the permutations into a
 * buffer that stays in the cache, split, and the group's slices of the two
 * halves are put in place.  The halves are then walked as usual.  The
 * sub-blocks and their entries are the same as in B, so the factors are
 * the same bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "butterfly/factor_permuted.h"
#include "memory.h"
#include "scale.h"
#include "tree_internal.h"

/* Input bytes of a group: two threads' groups stay in the cache (stream.c
 * measured 1 to 4 MiB alike). */
#define GROUP_BYTES ((size_t)4 << 20)
/* A root half of at least BIG_HALF_BYTES and more than 1/HALF_FRACTION of
 * the input (l2r, r2l on large inputs) is streamed by dmf_butterfly_factor
 * so that it is never whole (stream.c's rule); those trees keep the
 * permuted copy. */
#define BIG_HALF_BYTES ((size_t)8 << 20)
#define HALF_FRACTION 16

typedef struct {
    const char *a;            /* the input (or its scaled copy) */
    const size_t *rows, *cols; /* the permutations (NULL: identity) */
    size_t elem, n;           /* element size, columns */
    size_t l;                 /* the root's split */
    size_t classes, class_rows; /* M row classes (low row digits) of T rows each */
    size_t group;             /* classes per group */
    size_t w_class;           /* W's values per class: W is [M][w_class] */
    size_t h_outer, h_class;  /* H is [h_outer][M][h_class] */
    const dmf_chain_shape *shape;
} root_plan;

/* out[r][j] = a[src[r]][cols[j]] for the `count` rows src. */
static void gather_rows(const root_plan *p, const size_t *src, size_t count, void *out)
{
    for (size_t r = 0; r < count; r++)
        dmf_gather_row(p->a + src[r] * p->n * p->elem, p->cols, p->n, p->elem, (char *)out + r * p->n * p->elem);
}

/* The group of classes [c0, c0 + g): gathered, split, its slices of W and
 * H put in place. */
static int split_group(const dmf_backend *backend, dmf_dtype dtype, const root_plan *p, size_t c0, size_t g,
                       size_t *src, void *target, void *wg, void *hg, void *w, void *h, dmf_split_stats *stats)
{
    const dmf_chain_shape *s = p->shape;
    const size_t L = s->num_factors, l = p->l, elem = p->elem;
    size_t m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS], ranks[DMF_MAX_FACTORS];
    for (size_t k = 0; k <= l; k++) m[k] = s->m[k], n[k] = s->n[k], ranks[k] = s->rank[k + 1];
    m[l + 1] = g;
    n[l + 1] = 1;
    for (size_t k = l + 1; k < L; k++) n[l + 1] *= s->n[k];
    dmf_chain_shape gs;
    DMF_TRY(dmf_chain_shape_init(&gs, l + 2, m, n, ranks));
    /* Row t*g + u of the group's target is B's row t*M + c0 + u. */
    for (size_t t = 0; t < p->class_rows; t++)
        for (size_t u = 0; u < g; u++) {
            size_t i = t * p->classes + c0 + u;
            src[t * g + u] = p->rows ? p->rows[i] : i;
        }
    gather_rows(p, src, p->class_rows * g, target);
    dmf_split_geometry geom = dmf_split_geometry_of(&gs, 0, l, l + 1);
    DMF_TRY(backend->split_rank_r(dtype, &geom, target, wg, hg, NULL, stats));
    memcpy((char *)w + c0 * p->w_class * elem, wg, g * p->w_class * elem);
    for (size_t o = 0; o < p->h_outer; o++)
        memcpy((char *)h + (o * p->classes + c0) * p->h_class * elem, (char *)hg + o * g * p->h_class * elem,
               g * p->h_class * elem);
    return DMF_OK;
}

/* The root's split into w and h, the groups shared among the threads (one
 * group's split on one thread, as stream.c does).  The sums of the groups'
 * records go to *stats. */
static int split_root(const dmf_backend *backend, dmf_dtype dtype, const root_plan *p, void *w, void *h,
                      dmf_split_stats *stats)
{
    const size_t groups = (p->classes + p->group - 1) / p->group;
    dmf_split_stats *each = calloc(groups, sizeof *each);
    if (!each) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the records of %zu groups", groups);
    int status = DMF_OK;
    char message[512] = "";
    /* The backend's rule: waking threads costs more than a node of a few
     * thousand entries. */
    const int parallel = groups > 1 && p->classes * p->class_rows * p->n > 65536;
#pragma omp parallel if (parallel)
    {
        const size_t rows = p->group * p->class_rows;
        size_t *src = malloc(rows * sizeof *src);
        void *target = NULL, *wg = NULL, *hg = NULL;
        int mine = src ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate a group's row list");
        if (mine == DMF_OK) mine = backend->mem_alloc(&target, rows * p->n * p->elem);
        if (mine == DMF_OK) mine = backend->mem_alloc(&wg, p->group * p->w_class * p->elem);
        if (mine == DMF_OK) mine = backend->mem_alloc(&hg, p->h_outer * p->group * p->h_class * p->elem);
#pragma omp for schedule(dynamic, 1)
        for (size_t k = 0; k < groups; k++) {
            int stop;
#pragma omp atomic read
            stop = status;
            if (stop != DMF_OK || mine != DMF_OK) continue;
            size_t c0 = k * p->group, g = p->classes - c0 < p->group ? p->classes - c0 : p->group;
            mine = split_group(backend, dtype, p, c0, g, src, target, wg, hg, w, h, &each[k]);
        }
        dmf_parallel_failed(mine, &status, message, sizeof message);
        backend->mem_free(hg);
        backend->mem_free(wg);
        backend->mem_free(target);
        free(src);
    }
    for (size_t k = 0; k < groups; k++) { /* in group order: the sums do not depend on the threads */
        stats->closed_form += each[k].closed_form;
        stats->iterative += each[k].iterative;
        stats->dense_svd += each[k].dense_svd;
        stats->failed += each[k].failed;
        stats->target_sq += each[k].target_sq;
        stats->residual_sq += each[k].residual_sq;
    }
    free(each);
    return status == DMF_OK ? DMF_OK : dmf_fail(status, "%s", message);
}

static root_plan plan_root(const dmf_chain_shape *s, const dmf_tree *tree, size_t elem)
{
    root_plan p = {0};
    const size_t L = s->num_factors;
    size_t a, b, c, d;
    p.shape = s;
    p.elem = elem;
    p.l = dmf_tree_split(tree, 0, L - 1);
    dmf_range_support(s, 0, p.l, &a, &b, &c, &d);
    p.classes = d;
    p.w_class = a * b * c;
    p.class_rows = b / s->rank[0];
    dmf_range_support(s, p.l + 1, L - 1, &a, &b, &c, &d);
    p.h_outer = a * s->rank[p.l + 1];
    p.h_class = c * d;
    p.n = dmf_range_size(s, 0, L - 1) / (p.classes * p.class_rows);
    size_t class_bytes = p.class_rows * p.n * elem, want = GROUP_BYTES / (class_bytes ? class_bytes : 1);
    /* At least four groups where there are classes for them: the threads
     * share the groups. */
    if (want > (p.classes + 3) / 4) want = (p.classes + 3) / 4;
    p.group = want < 1 ? 1 : want;
    return p;
}

/* The permuted copy, then the ordinary factorization. */
static int factor_copy(dmf_context *ctx, const dmf_matrix *a, const size_t *perm_rows, const size_t *perm_cols,
                       const size_t *radix_m, const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                       const dmf_butterfly_options *opts, dmf_chain **out, dmf_butterfly_report *report)
{
    if (!perm_rows && !perm_cols)
        return dmf_butterfly_factor(ctx, a, radix_m, radix_n, num_factors, tree, opts, out, report);
    dmf_matrix *b = NULL;
    DMF_TRY(dmf_matrix_permute(a, perm_rows, perm_cols, &b));
    int status = dmf_butterfly_factor(ctx, b, radix_m, radix_n, num_factors, tree, opts, out, report);
    dmf_matrix_free(b);
    return status;
}

/* The root split through the permutations, then the walk of its halves. */
static int factor_tree(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                       const dmf_butterfly_options *opts, const root_plan *plan, dmf_butterfly_report *report,
                       size_t *failed)
{
    const dmf_chain_shape *s = &chain->shape;
    const size_t L = s->num_factors, l = plan->l, elem = plan->elem;
    double start = dmf_now_seconds();
    void *w = NULL, *h = NULL, *leaves[DMF_MAX_FACTORS] = {0};
    dmf_split_stats stats = {0};
    int status = backend->mem_alloc(&w, dmf_range_size(s, 0, l) * elem);
    if (status == DMF_OK) status = backend->mem_alloc(&h, dmf_range_size(s, l + 1, L - 1) * elem);
    if (status == DMF_OK) status = split_root(backend, chain->dtype, plan, w, h, &stats);
    if (status != DMF_OK) {
        backend->mem_free(w);
        backend->mem_free(h);
        return status;
    }
    report->nodes[report->num_nodes++] = dmf_node_record(s, 0, l, L - 1, &stats, start);
    *failed += stats.failed;
    /* Depth-first, left first: the records come in the walk's order. */
    status = dmf_butterfly_walk(backend, chain, tree, opts, 0, l, w, NULL, 0, leaves, report, NULL, failed);
    if (status == DMF_OK)
        return dmf_butterfly_walk(backend, chain, tree, opts, l + 1, L - 1, h, NULL, 0, leaves, report, NULL, failed);
    backend->mem_free(h);
    return status;
}

int dmf_butterfly_factor_permuted(dmf_context *ctx, const dmf_matrix *a, const size_t *perm_rows,
                                  const size_t *perm_cols, const size_t *radix_m, const size_t *radix_n,
                                  size_t num_factors, const dmf_tree *tree, const dmf_butterfly_options *opts_in,
                                  dmf_chain **out, dmf_butterfly_report *report)
{
    double start = dmf_now_seconds();
    *out = NULL;
    if (!a || !tree || !radix_m || !radix_n) return dmf_fail(DMF_ERR_ARG, "dmf_butterfly_factor_permuted: NULL argument");
    if (perm_rows) DMF_TRY(dmf_permutation_check(perm_rows, a->rows, "row"));
    if (perm_cols) DMF_TRY(dmf_permutation_check(perm_cols, a->cols, "column"));
    dmf_butterfly_options opts;
    size_t ranks[DMF_MAX_FACTORS];
    dmf_chain_shape shape;
    DMF_TRY(dmf_butterfly_prepare(a, radix_m, radix_n, num_factors, tree, opts_in, &opts, ranks, &shape));
    const dmf_backend *backend = dmf_context_backend(ctx);
    const size_t L = num_factors, total = a->rows * a->cols, elem = dmf_dtype_size(a->dtype);
    int direct = backend->host_memory && !opts.orthonormalize && L >= 2 && (perm_rows || perm_cols);
    if (direct) {
        size_t l = dmf_tree_split(tree, 0, L - 1), left = dmf_range_size(&shape, 0, l);
        size_t right = dmf_range_size(&shape, l + 1, L - 1), big = left > right ? left : right;
        direct = big * elem < BIG_HALF_BYTES || big <= total / HALF_FRACTION;
    }
    int status;
    dmf_butterfly_report local;
    if (!report) report = &local;
    if (!direct) {
        status = factor_copy(ctx, a, perm_rows, perm_cols, radix_m, radix_n, num_factors, tree, &opts, out, report);
    } else {
        memset(report, 0, sizeof *report);
        root_plan plan = plan_root(&shape, tree, elem);
        size_t l = plan.l;
        DMF_TRY(dmf_memory_check(((double)total + (double)dmf_range_size(&shape, 0, l) +
                                  (double)dmf_range_size(&shape, l + 1, L - 1)) * (double)elem,
                                 "factoring a %zu x %zu %s matrix", a->rows, a->cols, dmf_dtype_name(a->dtype)));
        /* Entries far from 1: a scaled copy, as dmf_butterfly_factor does. */
        void *scaled;
        int shift;
        DMF_TRY(dmf_butterfly_scale_input(a, &scaled, &shift));
        plan.a = scaled ? scaled : a->data;
        plan.rows = perm_rows, plan.cols = perm_cols;
        dmf_chain *chain;
        status = dmf_chain_create(&chain, a->dtype, num_factors, radix_m, radix_n, ranks);
        size_t failed = 0;
        if (status == DMF_OK) {
            plan.shape = &chain->shape;
            double tree_start = dmf_now_seconds();
            status = factor_tree(backend, chain, tree, &opts, &plan, report, &failed);
            report->device_s = dmf_now_seconds() - tree_start;
            backend->release_workspace();
        }
        free(scaled);
        if (status == DMF_OK) status = dmf_butterfly_unscale(chain, -shift);
        if (status == DMF_OK) status = dmf_chain_check_finite(chain);
        if (status != DMF_OK) {
            dmf_chain_free(chain);
            return status;
        }
        *out = chain;
        if (failed) status = dmf_fail(DMF_ERR_NUMERIC, "%zu blocks: the SVD did not converge", failed);
    }
    if (*out) {
        int set = dmf_chain_set_permutations(*out, perm_rows, perm_cols);
        if (set != DMF_OK) {
            dmf_chain_free(*out);
            *out = NULL;
            return set;
        }
    }
    report->time_s = dmf_now_seconds() - start;
    return status;
}
