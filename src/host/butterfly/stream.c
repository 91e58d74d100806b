/* Streaming the top of a tree whose root has a big half.  The l2r tree's
 * root splits the input into factor 0 and the range 1..L-1, half the
 * input's size, and that range into a quarter, and so on; r2l is the mirror
 * image.  Written whole, those halves took the peak memory to 1.75x the
 * input, and every fresh page of them was a page fault (on a virtual
 * machine whose freed pages go back to the host, a fault there too: about
 * 2 s per GiB), most of l2r's and r2l's time at N = 8192.
 *
 * They need not be whole.  Follow the big half down the tree (the right
 * child while it is on the right) to the first node [K, L-1] that is small,
 * the lower node.  Every split above it, and every split of a subtree
 * hanging off that path (inside [0, K-1]), takes its sub-blocks from rows
 * with one value u of the row digits of factors K..L-1 (the low digits of
 * b2, or of d): the input's rows t*M + u (M = m_K...m_{L-1}) for the u of a
 * group [u0, u0 + G) are a problem of their own, a chain of factors
 * 0..K-1 and one factor with m = G and the columns of [K, L-1].  Factored
 * with the same tree it gives the group's rows of factors 0..K-1 and of the
 * lower node's target, from the same sub-blocks in the same order: the
 * same values bit for bit (the split kernels' results depend on a
 * sub-block's entries alone).  The lower node is then factored as usual.
 * A big half on the left is the mirror image: the column digits of factors
 * 0..K-1 (the high ones), contiguous column ranges of the input.
 *
 * The records of the nodes are summed over the groups and come out in the
 * order of the walk (depth-first, left first), as without streaming. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

/* A half of 8 MiB is not worth streaming.  A group of 4 MiB: the two
 * threads' groups and their halves stay in the cache (DFT-bitrev 8192 c128,
 * l2r: 1 to 4 MiB took the same time, 8 MiB and more up to 1.7x that).
 * Lower-node blocks of 256 KiB and more: each costs a chain, a walk and
 * 10 KiB of records, and 262144 blocks of 4 x 4 (a 128 x 2^20 f32 l2r)
 * took 1.0 s and 1.9 GiB where the whole node took 0.04 s. */
static const dmf_stream_limits default_limits = {(size_t)8 << 20, (size_t)4 << 20, (size_t)256 << 10};
static dmf_stream_limits limits = {(size_t)8 << 20, (size_t)4 << 20, (size_t)256 << 10};

void dmf_butterfly_set_stream_limits(const dmf_stream_limits *l) { limits = l ? *l : default_limits; }

/* The lower node is at most this fraction of the input: with the input and
 * a group's work it keeps the peak near 1.05x the input. */
enum { LOWER_FRACTION = 32 };

typedef struct {
    int by_rows;        /* the big half is on the right: groups of row classes */
    size_t cut;         /* K: the lower node is [K, L-1] by rows, [0, K-1] by columns */
    size_t classes;     /* M (by rows) or n_0...n_{K-1} (by columns) */
    size_t class_elems; /* input elements of one class */
    size_t group;       /* classes per group, G */
} stream_plan;

static int plan_stream(const dmf_chain_shape *s, const dmf_tree *tree, size_t elem, stream_plan *plan)
{
    size_t L = s->num_factors, total = dmf_range_size(s, 0, L - 1);
    if (L < 3) return 0;
    size_t l = dmf_tree_split(tree, 0, L - 1);
    size_t left = dmf_range_size(s, 0, l), right = dmf_range_size(s, l + 1, L - 1);
    size_t big = left > right ? left : right;
    /* A half under 1/16 of the input (balanced trees) costs little memory. */
    if ((double)big * (double)elem < (double)limits.min_half_bytes ||
        (limits.min_half_bytes > 0 && big < total / (LOWER_FRACTION / 2)))
        return 0;
    size_t p = left > right ? 0 : l + 1, q = left > right ? l : L - 1;
    while (p < q && dmf_range_size(s, p, q) > total / LOWER_FRACTION) {
        size_t split = dmf_tree_split(tree, p, q);
        if (left > right) q = split;
        else p = split + 1;
    }
    plan->by_rows = left <= right;
    plan->cut = plan->by_rows ? p : q + 1;
    size_t classes = 1;
    if (plan->by_rows)
        for (size_t k = plan->cut; k < L; k++) classes *= s->m[k];
    else
        for (size_t k = 0; k < plan->cut; k++) classes *= s->n[k];
    plan->classes = classes;
    plan->class_elems = total / classes;
    /* Groups of at most 1/128 of the input: with two threads' groups and
     * their halves they stay a few percent of it. */
    size_t group_elems = limits.group_bytes / elem;
    if (limits.min_half_bytes > 0 && group_elems > total / 128) group_elems = total / 128;
    size_t want = group_elems / (plan->class_elems ? plan->class_elems : 1);
    plan->group = want < 1 ? 1 : want > classes ? classes : want;
    size_t groups = (classes + plan->group - 1) / plan->group;
    plan->group = (classes + groups - 1) / groups; /* groups of nearly one size */
    return 1;
}

/* The problem of classes [c0, c0 + g): its chain and tree. */
static int group_chain(const dmf_chain *chain, const stream_plan *plan, size_t g, dmf_chain **out)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t L = s->num_factors, K = plan->cut, m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS],
           ranks[DMF_MAX_FACTORS], count;
    if (plan->by_rows) { /* factors 0..K-1, then one of g rows and [K, L-1]'s columns */
        count = K + 1;
        size_t cols = 1;
        for (size_t k = K; k < L; k++) cols *= s->n[k];
        for (size_t k = 0; k < K; k++) m[k] = s->m[k], n[k] = s->n[k], ranks[k] = s->rank[k + 1];
        m[K] = g;
        n[K] = cols;
    } else { /* one of [0, K-1]'s rows and g columns, then factors K..L-1 */
        count = L - K + 1;
        size_t rows = 1;
        for (size_t k = 0; k < K; k++) rows *= s->m[k];
        m[0] = rows;
        n[0] = g;
        for (size_t k = K; k < L; k++) m[k - K + 1] = s->m[k], n[k - K + 1] = s->n[k];
        for (size_t k = 0; k + 1 < count; k++) ranks[k] = s->rank[K + k];
    }
    return dmf_chain_create(out, chain->dtype, count, m, n, ranks);
}

/* The full tree's node for the group problem's [p, q]. */
static void full_node(const stream_plan *plan, size_t L, size_t p, size_t q, size_t *fp, size_t *fq)
{
    size_t K = plan->cut;
    if (plan->by_rows) {
        *fp = p;
        *fq = q == K ? L - 1 : q;
    } else {
        *fp = p == 0 ? 0 : p + K - 1;
        *fq = q + K - 1;
    }
}

static dmf_tree *group_tree(const dmf_tree *tree, const stream_plan *plan, size_t count)
{
    dmf_tree *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t L = tree->num_factors, shift = plan->by_rows ? 0 : plan->cut - 1;
    t->num_factors = count;
    for (size_t p = 0; p < count; p++)
        for (size_t q = p + 1; q < count; q++) {
            size_t fp, fq;
            full_node(plan, L, p, q, &fp, &fq);
            size_t l = dmf_tree_split(tree, fp, fq);
            /* Only the nodes above the lower node are walked; the others
             * get any valid split. */
            t->split[p * count + q] = l >= shift && l - shift >= p && l - shift < q ? l - shift : p;
        }
    snprintf(t->name, sizeof t->name, "group");
    return t;
}

void dmf_copy_slices(size_t outer, size_t extent, size_t inner, size_t begin, size_t count, size_t elem,
                     const void *from_bytes, void *to_bytes, int into_full)
{
    const char *from = from_bytes;
    char *to = to_bytes;
    size_t run = count * inner * elem, stride = extent * inner * elem;
    for (size_t o = 0; o < outer; o++) {
        if (into_full) memcpy(to + o * stride + begin * inner * elem, from + o * run, run);
        else memcpy(to + o * run, from + o * stride + begin * inner * elem, run);
    }
}

static size_t product(const size_t *x, size_t from, size_t to) /* x[from..to) */
{
    size_t v = 1;
    for (size_t k = from; k < to; k++) v *= x[k];
    return v;
}

/* The group's root target.  By rows: rows t*M + u of the input, gathered
 * into `target` (runs of whole rows); a group of one class is rows t*M +
 * u0, evenly spaced, which the split reads in place through a stride of M
 * rows (a copy of 8 MiB a group, written and read back, at N = 16384 c128
 * or f64).  By columns: for every row the columns j*Q + v, a contiguous
 * range, which the split reads in place through the input's row stride
 * (*stride, entries): gathered, those runs (256 B of every 256 KiB row at
 * N = 16384 c128) cost as much as the group's splits, and the split's
 * first pass reads them anyway. */
static void *group_root(const dmf_chain_shape *s, const stream_plan *plan, size_t c0, size_t g, size_t elem,
                        const void *input, void *target, size_t *stride)
{
    size_t L = s->num_factors, K = plan->cut;
    if (plan->by_rows && g == 1) {
        const size_t row = product(s->n, 0, L);
        *stride = plan->classes * row;
        return (char *)input + c0 * row * elem;
    }
    if (plan->by_rows) {
        dmf_copy_slices(product(s->m, 0, K), plan->classes, product(s->n, 0, L), c0, g, elem, input, target, 0);
        *stride = 0;
        return target;
    }
    size_t inner = product(s->n, K, L);
    *stride = plan->classes * inner;
    return (char *)input + c0 * inner * elem;
}

/* The lower node's target as slices of classes: `outer` runs of `inner`
 * entries per class.  By rows: rows (rho, u) of each of its a blocks; by
 * columns: columns (j, rho) of each row of its d blocks. */
static void lower_slices(const dmf_chain_shape *s, const stream_plan *plan, size_t *outer, size_t *inner)
{
    size_t L = s->num_factors, K = plan->cut, a, b, c, d;
    if (plan->by_rows) {
        dmf_range_support(s, K, L - 1, &a, &b, &c, &d);
        *outer = a * s->rank[K];
        *inner = c;
    } else {
        dmf_range_support(s, 0, K - 1, &a, &b, &c, &d);
        *outer = a * d * b;
        *inner = s->rank[K];
    }
}

/* Where a group's part of the lower node's target goes: classes
 * [first, first + extent) of it, at `values`, as lower_slices lays it out. */
typedef struct {
    void *values;
    size_t first, extent, outer, inner;
} lower_dest;

/* The group's leaves into the chain's factors and the lower node's target. */
static void scatter_group(const dmf_chain *chain, const dmf_chain *part, const stream_plan *plan,
                          size_t c0, size_t g, const lower_dest *lower)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t L = s->num_factors, K = plan->cut, elem = dmf_dtype_size(chain->dtype);
    size_t a, b, c, d;
    if (plan->by_rows) {
        /* Factor k < K: the class is the low part of d (blocks [a][d][b][c]). */
        for (size_t k = 0; k < K; k++) {
            dmf_range_support(s, k, k, &a, &b, &c, &d);
            dmf_copy_slices(a * (d / plan->classes), plan->classes, b * c, c0, g, elem, part->blocks[k],
                        chain->blocks[k], 1);
        }
    } else {
        /* Factor k >= K: the class is the high part of a. */
        for (size_t k = K; k < L; k++) {
            dmf_range_support(s, k, k, &a, &b, &c, &d);
            dmf_copy_slices(1, plan->classes, a / plan->classes * d * b * c, c0, g, elem,
                        part->blocks[k - K + 1], chain->blocks[k], 1);
        }
    }
    dmf_copy_slices(lower->outer, lower->extent, lower->inner, c0 - lower->first, g, elem,
                part->blocks[plan->by_rows ? K : 0], lower->values, 1);
}

void dmf_part_chain_free(dmf_chain *part)
{
    /* Disowned into the chain and freed with it, its factors came up one
     * buffer short every group: the next group faulted in a fresh one (l2r
     * DFT-bitrev 16384 c128: 40 thousand page faults a factorization). */
    for (size_t k = 0; part && k < part->shape.num_factors; k++) {
        dmf_recycle_free(part->blocks[k]);
        part->blocks[k] = NULL;
    }
    dmf_chain_free(part);
}

void dmf_parallel_failed(int mine, int *status, char *message, size_t cap)
{
    if (mine == DMF_OK) return;
#pragma omp critical
    if (*status == DMF_OK) { /* the message is this thread's: pass it on */
        snprintf(message, cap, "%s", dmf_last_error());
#pragma omp atomic write
        *status = mine;
    }
}

void dmf_part_records_add(dmf_part_records *sums, const dmf_node_report *in, const dmf_split_stats *stats)
{
    size_t idx = 0;
    while (idx < sums->count && (sums->nodes[idx].p != in->p || sums->nodes[idx].q != in->q)) idx++;
    dmf_node_report *out = &sums->nodes[idx];
    dmf_split_stats *st = &sums->stats[idx];
    if (idx == sums->count) {
        sums->count++;
        *out = *in;
        *st = *stats;
        return;
    }
    out->num_blocks += in->num_blocks;
    out->blocks_iterative += in->blocks_iterative;
    out->blocks_dense_svd += in->blocks_dense_svd;
    out->blocks_failed += in->blocks_failed;
    out->time_s += in->time_s;
    st->residual_sq += stats->residual_sq;
    st->target_sq += stats->target_sq;
}

void dmf_part_records_report(dmf_part_records *sums, dmf_butterfly_report *report)
{
    for (size_t r = 0; r < sums->count; r++) {
        dmf_node_report *rec = &sums->nodes[r];
        const dmf_split_stats *st = &sums->stats[r];
        rec->rel_error = st->target_sq > 0 ? sqrt(st->residual_sq / st->target_sq) : 0;
        report->nodes[report->num_nodes++] = *rec;
    }
}

/* Adds a group's records to `sums` in full-tree indices. */
static void add_records(dmf_part_records *sums, const stream_plan *plan, size_t L, const dmf_part_records *part)
{
    for (size_t r = 0; r < part->count; r++) {
        dmf_node_report rec = part->nodes[r];
        full_node(plan, L, part->nodes[r].p, part->nodes[r].q, &rec.p, &rec.q);
        rec.split += plan->by_rows ? 0 : plan->cut - 1;
        dmf_part_records_add(sums, &rec, &part->stats[r]);
    }
}

/* The position of node [p, q] in the walk's order (depth-first, left
 * first) of the subtree [lo, hi]; *seen counts the nodes before it. */
static int walk_position(const dmf_tree *tree, size_t lo, size_t hi, size_t p, size_t q, size_t *seen)
{
    if (lo == hi) return 0;
    if (lo == p && hi == q) return 1;
    (*seen)++;
    size_t l = dmf_tree_split(tree, lo, hi);
    return walk_position(tree, lo, l, p, q, seen) || walk_position(tree, l + 1, hi, p, q, seen);
}

static void sort_records(const dmf_tree *tree, dmf_butterfly_report *report)
{
    size_t L = tree->num_factors, keys[64];
    for (size_t r = 0; r < report->num_nodes; r++) {
        keys[r] = 0;
        walk_position(tree, 0, L - 1, report->nodes[r].p, report->nodes[r].q, &keys[r]);
    }
    for (size_t r = 1; r < report->num_nodes; r++) /* insertion sort: at most 63 */
        for (size_t k = r; k > 0 && keys[k - 1] > keys[k]; k--) {
            size_t key = keys[k];
            keys[k] = keys[k - 1];
            keys[k - 1] = key;
            dmf_node_report rec = report->nodes[k];
            report->nodes[k] = report->nodes[k - 1];
            report->nodes[k - 1] = rec;
        }
}

/* Factors the group of classes [c0, c0 + g) into the chain and `lower`,
 * with `target` (by rows) for its gathered input. */
static int factor_group(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                        const dmf_butterfly_options *opts, const stream_plan *plan, size_t c0,
                        size_t g, const void *input, void *target, const lower_dest *lower,
                        dmf_part_records *out)
{
    const dmf_chain_shape *s = &chain->shape;
    dmf_chain *sub = NULL;
    dmf_tree *sub_tree = NULL;
    dmf_butterfly_report *part = calloc(1, sizeof *part);
    int status = part ? group_chain(chain, plan, g, &sub) : dmf_fail(DMF_ERR_NOMEM, "cannot allocate a report");
    if (status == DMF_OK) sub->recycled_blocks = 1;
    if (status == DMF_OK && !(sub_tree = group_tree(tree, plan, sub->shape.num_factors)))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate a tree");
    if (status == DMF_OK) {
        void *leaves[DMF_MAX_FACTORS] = {0};
        size_t stride;
        void *root = group_root(s, plan, c0, g, dmf_dtype_size(chain->dtype), input, target, &stride);
        status = dmf_butterfly_walk(backend, sub, sub_tree, opts, 0, sub->shape.num_factors - 1, root, root,
                                    stride, leaves, part, out->stats, &out->failed);
    }
    if (status == DMF_OK) {
        scatter_group(chain, sub, plan, c0, g, lower);
        out->count = part->num_nodes;
        memcpy(out->nodes, part->nodes, part->num_nodes * sizeof *part->nodes);
    }
    dmf_part_chain_free(sub);
    free(sub_tree);
    free(part);
    return status;
}

/* Groups a thread takes at a time.  Their parts of the lower node's
 * target are staged side by side and copied out together: a group's part
 * of each row of it can be a single entry (r2l at N = 16384 f64: 8 bytes
 * of every 4 KiB row), and written a group at a time, each was a cache
 * line read and written back.  Runs of 256 bytes, a stage of at most
 * 4 MiB, and at least 16 batches for the threads to share. */
static size_t batch_size(const stream_plan *plan, size_t outer, size_t inner, size_t groups, size_t elem)
{
    size_t run = plan->group * inner * elem, part = outer * run;
    size_t want = run >= 256 ? 1 : (256 + run - 1) / run;
    while (want > 1 && want * part > ((size_t)4 << 20)) want /= 2;
    if (want > groups / 16) want = groups / 16;
    return want < 1 ? 1 : want;
}

/* The groups, a batch per thread at a time: each is small, so its splits
 * run on one thread, and the threads meet once at the end instead of at
 * every split of every group (on a loaded machine, waiting at those
 * barriers cost more than the splits).  The records are summed in group
 * order, so the report does not depend on the threads either. */
static int factor_groups(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                         const dmf_butterfly_options *opts, const stream_plan *plan, const void *input,
                         void *lower, dmf_part_records *sums, size_t *failed)
{
    size_t L = chain->shape.num_factors, elem = dmf_dtype_size(chain->dtype), outer, inner;
    size_t groups = (plan->classes + plan->group - 1) / plan->group;
    lower_slices(&chain->shape, plan, &outer, &inner);
    size_t batch = batch_size(plan, outer, inner, groups, elem), batches = (groups + batch - 1) / batch;
    dmf_part_records *records = calloc(groups, sizeof *records);
    if (!records) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the records of %zu groups", groups);
    int status = DMF_OK;
    char message[512] = "";
#pragma omp parallel
    {
        /* Every group allocates the same halves: each thread keeps those
         * it frees for its next group instead of faulting in fresh pages. */
        dmf_recycle_begin();
        /* Each group of several row classes writes what it reads; of one
         * class, or by columns, nothing. */
        const int gathers = plan->by_rows && plan->group > 1;
        void *target = gathers ? dmf_alloc_uninit(plan->group * plan->class_elems, elem) : NULL;
        int mine = target || !gathers ? DMF_OK
                          : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu classes of the input's %s",
                                     plan->group, plan->by_rows ? "rows" : "columns");
        void *stage = batch > 1 ? dmf_alloc_uninit(batch * plan->group * outer * inner, elem) : NULL;
        if (batch > 1 && !stage && mine == DMF_OK)
            mine = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the lower node's part of %zu groups", batch);
#pragma omp for schedule(dynamic, 1)
        for (size_t bi = 0; bi < batches; bi++) {
            size_t k1 = (bi + 1) * batch < groups ? (bi + 1) * batch : groups;
            size_t first = bi * batch * plan->group, last = k1 * plan->group;
            if (last > plan->classes) last = plan->classes;
            lower_dest dest = {stage, first, last - first, outer, inner};
            if (batch == 1) dest = (lower_dest){lower, 0, plan->classes, outer, inner};
            for (size_t k = bi * batch; k < k1; k++) {
                int stop;
#pragma omp atomic read
                stop = status;
                if (stop != DMF_OK || mine != DMF_OK) break;
                size_t c0 = k * plan->group;
                size_t g = plan->classes - c0 < plan->group ? plan->classes - c0 : plan->group;
                mine = factor_group(backend, chain, tree, opts, plan, c0, g, input, target, &dest, &records[k]);
            }
            if (batch > 1 && mine == DMF_OK)
                dmf_copy_slices(outer, plan->classes, inner, first, last - first, elem, stage, lower, 1);
        }
        dmf_parallel_failed(mine, &status, message, sizeof message);
        free(target);
        free(stage);
        dmf_recycle_end();
    }
    for (size_t k = 0; status == DMF_OK && k < groups; k++) {
        add_records(sums, plan, L, &records[k]);
        *failed += records[k].failed;
    }
    free(records);
    return status == DMF_OK ? DMF_OK : dmf_fail(status, "%s", message);
}

int dmf_butterfly_stream_top(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                             const dmf_butterfly_options *opts, void *root, const void *input,
                             void **leaves, dmf_butterfly_report *report, size_t *failed, double *root_sq)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t L = s->num_factors, elem = dmf_dtype_size(chain->dtype);
    stream_plan plan;
    *root_sq = NAN;
    /* Orthonormalization couples the whole tree; a device backend keeps
     * the tree in its own memory. */
    if (opts->orthonormalize || !backend->host_memory || root != input ||
        !plan_stream(s, tree, elem, &plan)) {
        size_t slots = sizeof report->nodes / sizeof report->nodes[0], first = report->num_nodes;
        dmf_split_stats *node_stats = calloc(slots, sizeof *node_stats);
        if (!node_stats) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the nodes' sums");
        int status = dmf_butterfly_walk(backend, chain, tree, opts, 0, L - 1, root, input, 0, leaves, report,
                                        node_stats, failed);
        if (status == DMF_OK && L > 1) *root_sq = node_stats[first].target_sq;
        free(node_stats);
        return status;
    }
    size_t lo = plan.by_rows ? plan.cut : 0, hi = plan.by_rows ? L - 1 : plan.cut - 1;
    void *lower = NULL;
    int status = backend->mem_alloc(&lower, dmf_range_size(s, lo, hi) * elem);
    if (status != DMF_OK) return dmf_fail_context(status, "the target of node [%zu, %zu]", lo, hi);
    dmf_part_records *sums = calloc(1, sizeof *sums);
    if (!sums) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the nodes' records");
    if (status == DMF_OK)
        status = factor_groups(backend, chain, tree, opts, &plan, input, lower, sums, failed);
    if (status != DMF_OK) {
        backend->mem_free(lower);
        free(sums);
        return status;
    }
    for (size_t k = 0; k < L; k++)
        if (k < lo || k > hi) leaves[k] = chain->blocks[k];
    for (size_t r = 0; r < sums->count; r++)
        if (sums->nodes[r].p == 0 && sums->nodes[r].q == L - 1) *root_sq = sums->stats[r].target_sq;
    dmf_part_records_report(sums, report);
    free(sums);
    status = dmf_butterfly_walk_blocks(backend, chain, tree, opts, lo, hi, lower, limits.lower_block_bytes, leaves,
                                       report, failed);
    sort_records(tree, report);
    return status;
}
