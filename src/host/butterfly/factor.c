/* Hierarchical butterfly factorization (Zheng et al.; Le et al.): walk the
 * tree from the root, splitting each node's compact target into the two
 * halves with one batched masked rank-r call per node. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "scale.h"
#include "tree_internal.h"

void dmf_butterfly_options_default(dmf_butterfly_options *opts)
{
    opts->rank = 1;
    opts->orthonormalize = 0;
}

int dmf_butterfly_check_shape(const dmf_matrix *a, const dmf_chain_shape *shape, const dmf_tree *tree)
{
    size_t rows = 1, cols = 1;
    for (size_t k = 0; k < shape->num_factors; k++) rows *= shape->m[k], cols *= shape->n[k];
    if (rows != a->rows || cols != a->cols)
        return dmf_fail(DMF_ERR_SHAPE,
                        "the radices multiply to %zu x %zu but the matrix is %zu x %zu", rows,
                        cols, a->rows, a->cols);
    if (tree->num_factors != shape->num_factors)
        return dmf_fail(DMF_ERR_ARG, "the tree has %zu leaves but the chain has %zu factors",
                        tree->num_factors, shape->num_factors);
    return DMF_OK;
}

int dmf_butterfly_check_input(const dmf_matrix *a, const dmf_chain_shape *shape, const dmf_tree *tree)
{
    DMF_TRY(dmf_butterfly_check_shape(a, shape, tree));
    return dmf_matrix_check_finite(a);
}

int dmf_butterfly_prepare(const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n, size_t num_factors,
                          const dmf_tree *tree, const dmf_butterfly_options *opts_in, dmf_butterfly_options *opts,
                          size_t ranks[DMF_MAX_FACTORS], dmf_chain_shape *shape)
{
    if (opts_in) *opts = *opts_in;
    else dmf_butterfly_options_default(opts);
    if (opts->rank < 1) return dmf_fail(DMF_ERR_ARG, "rank must be >= 1 (got %zu)", opts->rank);
    for (size_t k = 0; k < DMF_MAX_FACTORS; k++) ranks[k] = opts->rank;
    DMF_TRY(dmf_chain_shape_init(shape, num_factors, radix_m, radix_n, ranks));
    return dmf_butterfly_check_shape(a, shape, tree);
}

typedef struct {
    size_t p, q;
    void *values; /* compact target; owned unless it is the input matrix */
} pending_node;

/* The backend's buffer for the values of the range [p, q]. */
static int alloc_range(const dmf_backend *backend, const dmf_chain_shape *shape, size_t p, size_t q,
                       size_t elem, void **out)
{
    size_t bytes;
    *out = NULL;
    if (!dmf_mul_size(dmf_range_size(shape, p, q), elem, &bytes))
        return dmf_fail(DMF_ERR_SHAPE, "the values of factors %zu..%zu overflow the address space", p, q);
    return backend->mem_alloc(out, bytes);
}

/* Le et al.'s orthonormalization before splitting `x`: every finished
 * factor to its left gets orthonormal column groups and every pending range
 * to its right orthonormal row groups, sweeping towards x, so all the scale
 * of the current approximation sits in x and its split error is the error
 * added to the whole product.  In depth-first order the pieces left of x
 * are the leaves 0..p-1 and those right of it are the pending nodes, the
 * nearest on top of the stack. */
static int orthonormalize_around(const dmf_backend *backend, dmf_chain *chain, void *const *leaves,
                                 const pending_node *x, const pending_node *stack, size_t depth)
{
    const dmf_chain_shape *shape = &chain->shape;
    for (size_t k = 0; k < x->p; k++) {
        int next_is_x = k + 1 == x->p;
        size_t end = next_is_x ? x->q : k + 1;
        dmf_split_geometry g = dmf_split_geometry_of(shape, k, k, end);
        DMF_TRY(backend->normalize_pair(chain->dtype, &g, leaves[k],
                                        next_is_x ? x->values : leaves[k + 1], DMF_NORMALIZE_LEFT));
    }
    for (size_t idx = 0; idx < depth; idx++) { /* stack[idx] is farther right than stack[idx + 1] */
        const pending_node *right = &stack[idx];
        const pending_node *left = idx + 1 < depth ? &stack[idx + 1] : x;
        dmf_split_geometry g = dmf_split_geometry_of(shape, left->p, left->q, right->q);
        DMF_TRY(backend->normalize_pair(chain->dtype, &g, left->values, right->values,
                                        DMF_NORMALIZE_RIGHT));
    }
    return DMF_OK;
}

dmf_node_report dmf_node_record(const dmf_chain_shape *shape, size_t p, size_t l, size_t q,
                                const dmf_split_stats *stats, double start)
{
    dmf_split_geometry g = dmf_split_geometry_of(shape, p, l, q);
    return (dmf_node_report){
        .p = p, .q = q, .split = l,
        .num_blocks = dmf_split_num_sub_blocks(&g),
        .block_rows = g.b1, .block_cols = g.c2,
        .rel_error = stats->target_sq > 0 ? sqrt(stats->residual_sq / stats->target_sq) : 0,
        .blocks_iterative = stats->iterative,
        .blocks_dense_svd = stats->dense_svd,
        .blocks_failed = stats->failed,
        .time_s = dmf_now_seconds() - start,
    };
}

/* Whether the two halves of the walk's first node [p, q] (split after l)
 * go to the two threads, each half's splits on one thread.  Below the root
 * the nodes are small and many, and sharing each split between the threads
 * gave them two thirds of the threads' time (balanced DFT-bitrev 4096
 * c128: 4.5 ms for nodes that took 6.0 ms on one thread); a half each,
 * they wait on no one.  Only where both halves have splits of their own
 * and neither holds more than three times the other's entries (the larger
 * half sets the time); orthonormalization reads the other half's leaves. */
static int halves_together(const dmf_backend *backend, const dmf_butterfly_options *opts,
                           const dmf_chain_shape *shape, size_t p, size_t l, size_t q)
{
    if (!backend->host_memory || opts->orthonormalize || omp_in_parallel() || omp_get_max_threads() < 2 ||
        l == p || l + 1 == q)
        return 0;
    const double left = (double)dmf_range_size(shape, p, l), right = (double)dmf_range_size(shape, l + 1, q);
    return 3 * fmin(left, right) >= fmax(left, right);
}

/* The halves w = [p, l] and h = [l + 1, q] walked at once, a thread each;
 * their records follow in the order of a walk of one (left, then right),
 * so the report does not depend on which finished first. */
static int walk_halves_together(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                                const dmf_butterfly_options *opts, size_t p, size_t l, size_t q, void *w, void *h,
                                void **leaves, dmf_butterfly_report *report, dmf_split_stats *node_stats,
                                size_t *failed)
{
    dmf_butterfly_report part[2] = {{0}, {0}};
    dmf_split_stats *part_stats[2] = {NULL, NULL};
    size_t part_failed[2] = {0, 0};
    int status[2] = {DMF_OK, DMF_OK};
    char message[2][512] = {"", ""};
    if (node_stats) {
        part_stats[0] = calloc(2 * DMF_MAX_FACTORS, sizeof(dmf_split_stats));
        if (!part_stats[0]) {
            backend->mem_free(w);
            backend->mem_free(h);
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the records of two halves");
        }
        part_stats[1] = part_stats[0] + DMF_MAX_FACTORS;
    }
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int k = 0; k < 2; k++) {
        status[k] = dmf_butterfly_walk(backend, chain, tree, opts, k ? l + 1 : p, k ? q : l, k ? h : w, NULL, 0,
                                       leaves, &part[k], part_stats[k], &part_failed[k]);
        if (status[k] != DMF_OK) snprintf(message[k], sizeof message[k], "%s", dmf_last_error());
    }
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < part[k].num_nodes; i++) {
            if (node_stats) node_stats[report->num_nodes] = part_stats[k][i];
            report->nodes[report->num_nodes++] = part[k].nodes[i];
        }
        *failed += part_failed[k];
    }
    free(part_stats[0]);
    for (int k = 0; k < 2; k++)
        if (status[k] != DMF_OK) return dmf_fail(status[k], "%s", message[k]);
    return DMF_OK;
}

/* Depth-first (see tree_internal.h): at most one pending node per level,
 * so the peak memory is the root's target plus the two halves of its split
 * and their pending descendants. */
int dmf_butterfly_walk(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                       const dmf_butterfly_options *opts, size_t p, size_t q, void *values,
                       const void *input, size_t root_stride, void **leaves, dmf_butterfly_report *report,
                       dmf_split_stats *node_stats, size_t *failed)
{
    pending_node root = {p, q, values};
    const dmf_chain_shape *shape = &chain->shape;
    size_t elem = dmf_dtype_size(chain->dtype);
    pending_node stack[DMF_MAX_FACTORS + 1];
    size_t depth = 0;
    stack[depth++] = root;
    int status = DMF_OK;
    while (depth > 0 && status == DMF_OK) {
        pending_node node = stack[--depth];
        int owned = node.values != input;
        if (node.p == node.q) {
            if (!owned) { /* a one-factor chain on the host is the matrix itself */
                memcpy(chain->blocks[node.p], node.values, dmf_range_size(shape, node.p, node.p) * elem);
            } else if (backend->host_memory) {
                free(chain->blocks[node.p]);
                if (!chain->recycled_blocks) dmf_recycle_disown(node.values); /* the chain frees it with free() */
                chain->blocks[node.p] = node.values;
            }
            leaves[node.p] = owned ? node.values : chain->blocks[node.p];
            continue;
        }
        double node_start = dmf_now_seconds();
        size_t l = dmf_tree_split(tree, node.p, node.q);
        dmf_split_geometry g = dmf_split_geometry_of(shape, node.p, l, node.q);
        if (node.values == values) g.row_stride = root_stride;
        void *w = NULL, *h = NULL;
        dmf_split_stats stats = {0};
        status = alloc_range(backend, shape, node.p, l, elem, &w);
        if (status == DMF_OK) status = alloc_range(backend, shape, l + 1, node.q, elem, &h);
        if (status != DMF_OK)
            dmf_fail_context(status, "the halves of node [%zu, %zu]", node.p, node.q);
        else if (opts->orthonormalize)
            status = orthonormalize_around(backend, chain, leaves, &node, stack, depth);
        if (status == DMF_OK)
            status = backend->split_rank_r(chain->dtype, &g, node.values, w, h, NULL, &stats);
        if (owned) backend->mem_free(node.values);
        if (status != DMF_OK) {
            backend->mem_free(w);
            backend->mem_free(h);
            break;
        }
        if (node_stats) node_stats[report->num_nodes] = stats;
        report->nodes[report->num_nodes++] = dmf_node_record(shape, node.p, l, node.q, &stats, node_start);
        *failed += stats.failed;
        if (depth == 0 && halves_together(backend, opts, shape, node.p, l, node.q)) {
            status = walk_halves_together(backend, chain, tree, opts, node.p, l, node.q, w, h, leaves, report,
                                          node_stats, failed);
            break;
        }
        stack[depth++] = (pending_node){l + 1, node.q, h};
        stack[depth++] = (pending_node){node.p, l, w};
    }
    while (depth > 0) { /* after an error: release what is still pending */
        pending_node node = stack[--depth];
        if (node.values != input) backend->mem_free(node.values);
    }
    return status;
}

/* On a device backend: copies the leaves p..q into the chain, once each,
 * and frees them (also after an error). */
static int collect_leaves(const dmf_backend *backend, dmf_chain *chain, void **leaves, size_t p, size_t q,
                          int status, dmf_butterfly_report *report)
{
    if (backend->host_memory) return status;
    double start = dmf_now_seconds();
    size_t elem = dmf_dtype_size(chain->dtype);
    for (size_t k = p; k <= q; k++) {
        if (leaves[k] && status == DMF_OK)
            status = backend->mem_download(chain->blocks[k], leaves[k], dmf_range_size(&chain->shape, k, k) * elem);
        backend->mem_free(leaves[k]);
        leaves[k] = NULL;
    }
    report->transfer_s += dmf_now_seconds() - start;
    return status;
}

/* The tree's time on the backend (report->device_s): the device's own
 * clock where the backend has one, so the uploads before and downloads
 * after are not in it, else the host's clock over the same stretch. */
typedef struct {
    void *timer;
    double start;
} tree_clock;

static int tree_clock_start(const dmf_backend *backend, tree_clock *clock)
{
    clock->timer = NULL;
    clock->start = dmf_now_seconds();
    return backend->timer_start ? backend->timer_start(&clock->timer) : DMF_OK;
}

/* Adds the tree's time to the report unless `status` says the tree
 * failed; releases the timer in any case. */
static int tree_clock_stop(const dmf_backend *backend, tree_clock *clock, int status,
                           dmf_butterfly_report *report)
{
    double seconds = dmf_now_seconds() - clock->start;
    if (clock->timer) {
        int stop = backend->timer_stop(clock->timer, status == DMF_OK ? &seconds : NULL);
        if (status == DMF_OK) status = stop;
    }
    if (status == DMF_OK) report->device_s += seconds;
    return status;
}

/* The backend's copy of host values (the host values themselves on a
 * host-memory backend). */
static int to_backend(const dmf_backend *backend, const void *values, size_t bytes, void **out,
                      dmf_butterfly_report *report)
{
    *out = (void *)values;
    if (backend->host_memory) return DMF_OK;
    double start = dmf_now_seconds();
    int status = backend->mem_alloc(out, bytes);
    if (status == DMF_OK && (status = backend->mem_upload(*out, values, bytes)) != DMF_OK) {
        backend->mem_free(*out);
        *out = NULL;
    }
    report->transfer_s += dmf_now_seconds() - start;
    return status;
}

int dmf_butterfly_factor_subtree(const dmf_backend *backend, dmf_chain *chain,
                                 const dmf_tree *tree, size_t p, size_t q, void *values,
                                 dmf_butterfly_report *report, size_t *failed)
{
    dmf_butterfly_options opts;
    dmf_butterfly_options_default(&opts);
    void *leaves[DMF_MAX_FACTORS] = {0}, *root = NULL;
    int status = to_backend(backend, values, dmf_range_size(&chain->shape, p, q) * dmf_dtype_size(chain->dtype),
                            &root, report);
    if (root != values) free(values); /* taken over: uploaded, or not needed after a failed upload */
    tree_clock clock;
    if (status == DMF_OK && (status = tree_clock_start(backend, &clock)) == DMF_OK) {
        status = dmf_butterfly_walk(backend, chain, tree, &opts, p, q, root, NULL, 0, leaves, report, NULL, failed);
        status = tree_clock_stop(backend, &clock, status, report);
    }
    status = collect_leaves(backend, chain, leaves, p, q, status, report);
    backend->release_workspace();
    return status;
}

int dmf_butterfly_scale_input(const dmf_matrix *a, void **scaled, int *shift)
{
    size_t count = a->rows * a->cols;
    *scaled = NULL;
    if (!dmf_finite_range_shift(a->dtype, a->data, count, shift)) return dmf_matrix_check_finite(a);
    if (*shift == 0) return DMF_OK;
    /* The largest entry to 2^(B-2) ... 2^(B-1) rather than near 1: the safe
     * range's top half holds it and the small entries keep B binades more
     * above underflow (rows 2^540 apart in f64 kept their entries). */
    *shift += dmf_safe_exponent(a->dtype) - 1;
    *scaled = dmf_scaled_copy(a->dtype, a->data, count, *shift);
    if (!*scaled)
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the scaled copy of a %zu x %zu matrix",
                        a->rows, a->cols);
    return DMF_OK;
}

/* Floor of x / y for y > 0, also for negative x. */
static long floor_div(long x, long y) { return x >= 0 ? x / y : -((-x + y - 1) / y); }

int dmf_butterfly_unscale(dmf_chain *chain, int exponent)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t L = s->num_factors, nonzero = 0;
    int single = chain->dtype == DMF_F32 || chain->dtype == DMF_C64;
    /* frexp exponents of the largest finite and the smallest normal value */
    long max_exp = single ? FLT_MAX_EXP : DBL_MAX_EXP, min_exp = single ? FLT_MIN_EXP : DBL_MIN_EXP;
    int hi[DMF_MAX_FACTORS], lo[DMF_MAX_FACTORS], has[DMF_MAX_FACTORS];
    if (exponent == 0) return DMF_OK;
    for (size_t k = 0; k < L; k++) {
        size_t count = dmf_range_size(s, k, k);
        has[k] = dmf_extreme_exponent(chain->dtype, chain->blocks[k], count, 0, &hi[k]);
        if (has[k]) dmf_extreme_exponent(chain->dtype, chain->blocks[k], count, 1, &lo[k]);
        if (has[k] && hi[k] == INT_MAX) return DMF_OK; /* reported by the finiteness check */
        nonzero += (size_t)has[k];
    }
    if (nonzero == 0) return DMF_OK; /* a zero product stays zero */
    /* Into one factor when it stays within the normal range: the one whose
     * largest entry ends nearest 1. */
    size_t best = L;
    long best_dist = 0;
    for (size_t k = 0; k < L; k++) {
        long top = (long)hi[k] + exponent, bottom = (long)lo[k] + exponent;
        if (!has[k] || top > max_exp || bottom < min_exp) continue;
        long dist = top < 0 ? -top : top;
        if (best == L || dist < best_dist) best = k, best_dist = dist;
    }
    if (best < L) {
        dmf_scale_pow2(chain->dtype, chain->blocks[best], dmf_range_size(s, best, best), exponent);
        return DMF_OK;
    }
    /* Otherwise spread it so that the largest entries of the nonzero
     * factors get exponents as equal as the total allows. */
    long total = exponent;
    for (size_t k = 0; k < L; k++)
        if (has[k]) total += hi[k];
    long base = floor_div(total, (long)nonzero), extra = total - base * (long)nonzero;
    if (base + (extra > 0) > max_exp)
        return dmf_fail(DMF_ERR_NUMERIC, "the factors of a matrix this large overflow %s even "
                                         "with the scale spread over all %zu of them",
                        dmf_dtype_name(chain->dtype), L);
    for (size_t k = 0; k < L; k++) {
        if (!has[k]) continue;
        long target = base + (extra > 0);
        if (extra > 0) extra--;
        dmf_scale_pow2(chain->dtype, chain->blocks[k], dmf_range_size(s, k, k), (int)(target - hi[k]));
    }
    return DMF_OK;
}

int dmf_chain_check_finite(const dmf_chain *chain)
{
    for (size_t k = 0; k < chain->shape.num_factors; k++) {
        size_t count = dmf_range_size(&chain->shape, k, k);
        size_t bad = dmf_first_nonfinite(chain->dtype, chain->blocks[k], count);
        if (bad < count)
            return dmf_fail(DMF_ERR_NUMERIC, "factor %zu has a non-finite value (entry %zu of its "
                                             "%zu block values): the factorization overflowed",
                            k, bad, count);
    }
    return DMF_OK;
}

/* One factorization of `input` (a's values, or its scaled copy) into a
 * fresh *chain; *root_sq as dmf_butterfly_stream_top gives it. */
static int factor_attempt(const dmf_backend *backend, const dmf_matrix *a, const void *input,
                          const size_t *radix_m, const size_t *radix_n, size_t num_factors,
                          const size_t *ranks, const dmf_tree *tree, const dmf_butterfly_options *opts,
                          dmf_butterfly_report *report, size_t *failed, double *root_sq, dmf_chain **chain)
{
    *root_sq = NAN;
    *failed = 0;
    memset(report, 0, sizeof *report);
    DMF_TRY(dmf_chain_create(chain, a->dtype, num_factors, radix_m, radix_n, ranks));
    /* Node targets live in the backend's memory: the input goes there once
     * (unless that is host memory) and the leaves stay there until the end,
     * where each is copied into the chain once. */
    void *leaves[DMF_MAX_FACTORS] = {0}, *root = NULL;
    int status = to_backend(backend, input, a->rows * a->cols * dmf_dtype_size(a->dtype), &root, report);
    tree_clock clock;
    if (status == DMF_OK && (status = tree_clock_start(backend, &clock)) == DMF_OK) {
        status = dmf_butterfly_stream_top(backend, *chain, tree, opts, root, input, leaves, report, failed,
                                          root_sq);
        status = tree_clock_stop(backend, &clock, status, report);
    }
    status = collect_leaves(backend, *chain, leaves, 0, num_factors - 1, status, report);
    backend->release_workspace();
    if (status != DMF_OK) {
        dmf_chain_free(*chain);
        *chain = NULL;
    }
    return status;
}

int dmf_butterfly_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                         const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                         const dmf_butterfly_options *opts_in, dmf_chain **out,
                         dmf_butterfly_report *report)
{
    /* time_s is what the caller waits for: the checks and scans of the
     * input count, as the factorization itself does. */
    double start = dmf_now_seconds();
    *out = NULL;
    dmf_butterfly_options opts;
    size_t ranks[DMF_MAX_FACTORS];
    dmf_chain_shape shape;
    DMF_TRY(dmf_butterfly_prepare(a, radix_m, radix_n, num_factors, tree, opts_in, &opts, ranks, &shape));
    /* The input and the largest half a split makes (a range of all factors
     * but the first or the last): refused with the figure up front. */
    size_t half = num_factors < 2 ? 0 : dmf_range_size(&shape, 0, num_factors - 2);
    if (num_factors >= 2 && dmf_range_size(&shape, 1, num_factors - 1) > half)
        half = dmf_range_size(&shape, 1, num_factors - 1);
    DMF_TRY(dmf_memory_check(((double)a->rows * (double)a->cols + (double)half) * (double)dmf_dtype_size(a->dtype),
                             "factoring a %zu x %zu %s matrix", a->rows, a->cols, dmf_dtype_name(a->dtype)));
    dmf_butterfly_report local;
    if (!report) report = &local;
    const dmf_backend *backend = dmf_context_backend(ctx);
    /* Entries far from 1 are factored as a copy scaled by a power of two
     * (exact), whose product is scaled back into the factors at the end;
     * the ordinary range is factored as it is.  Telling the two apart
     * (and refusing NaN and infinities) takes a pass over the input.  On
     * host memory the root's split makes that pass anyway: its sum of
     * squares says whether the input needed the scan, so the input is
     * factored as it is first, and scanned and factored again only when
     * the sum says it did (out of range, not finite, or the attempt
     * failed). */
    void *scaled = NULL;
    int shift = 0, scanned = !backend->host_memory || num_factors < 2;
    if (scanned) DMF_TRY(dmf_butterfly_scale_input(a, &scaled, &shift));
    dmf_chain *chain = NULL;
    size_t failed = 0;
    double root_sq;
    int status = factor_attempt(backend, a, scaled ? scaled : a->data, radix_m, radix_n, num_factors, ranks, tree,
                                &opts, report, &failed, &root_sq, &chain);
    if (!scanned && (status != DMF_OK || !dmf_sum_sq_needs_no_shift(a->dtype, root_sq, a->rows * a->cols))) {
        dmf_chain_free(chain);
        chain = NULL;
        status = dmf_butterfly_scale_input(a, &scaled, &shift);
        if (status == DMF_OK)
            status = factor_attempt(backend, a, scaled ? scaled : a->data, radix_m, radix_n, num_factors, ranks,
                                    tree, &opts, report, &failed, &root_sq, &chain);
    }
    free(scaled);
    if (status == DMF_OK) status = dmf_butterfly_unscale(chain, -shift);
    if (status == DMF_OK) status = dmf_chain_check_finite(chain);
    report->time_s = dmf_now_seconds() - start;
    if (status != DMF_OK) {
        dmf_chain_free(chain);
        return status;
    }
    *out = chain;
    if (failed)
        return dmf_fail(DMF_ERR_NUMERIC, "%zu blocks: the SVD did not converge", failed);
    return DMF_OK;
}
