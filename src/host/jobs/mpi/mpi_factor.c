/* Hierarchical butterfly factorization spread over MPI ranks.
 *
 * The scheme.  A group of ranks (at first all of them) holds the full
 * compact target of a node.  Each rank takes a contiguous slice of one index
 * of the split's sub-blocks (split_partition.h), packs that slice of the
 * target, and runs the backend's split on it: every sub-block's result
 * depends on that sub-block alone, so the slices are bit for bit what one
 * process computes.  The group is then divided between the two children in
 * proportion to the work of their subtrees; the slices of W go to the ranks
 * of the left child and those of H to the ranks of the right child (a child
 * that is a leaf goes to the group's first rank, which keeps it).  A group of
 * one rank factors its subtree with the single-process driver.  At the end
 * every leaf is sent to rank 0.
 *
 * Errors.  Every step of a group ends with an agreement on the status over
 * the group, so a failing rank never leaves its partners waiting; groups
 * then meet in one agreement over all ranks, which hands every rank the
 * message of the lowest failing rank.
 *
 * Memory.  Every rank holds the input (each loads it itself: no copy travels
 * and no rank holds more than one process would), the full target of the
 * node its group is on, its slices of the halves and a 4 MiB buffer for
 * strided slices of the target; a group of one rank needs what one process
 * needs for its subtree. */
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mpi_factor.h"
#include "../split_partition.h"

/* MPI counts are ints: messages go in pieces of at most 1 GiB. */
#define CHUNK_BYTES ((size_t)1 << 30)
enum { TAG_W = 1, TAG_H = 2, TAG_LEAF = 3 };

int dmf_mpi_compiled(const char **version)
{
    static char text[MPI_MAX_LIBRARY_VERSION_STRING];
    if (version) {
        int len = 0;
        MPI_Get_library_version(text, &len);
        char *newline = strchr(text, '\n'); /* OpenMPI appends build details */
        if (newline) *newline = '\0';
        char *comma = strchr(text, ',');
        if (comma) *comma = '\0';
        *version = text;
    }
    return 1;
}

/* GPUs the NVIDIA driver lists, without starting CUDA (which would fix the
 * visible devices before we choose them); 0 without the driver. */
static int count_gpus(void)
{
    DIR *dir = opendir("/proc/driver/nvidia/gpus");
    if (!dir) return 0;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir));) count += e->d_name[0] != '.';
    closedir(dir);
    return count;
}

/* One GPU per rank: the ranks on a node take its GPUs round robin, unless
 * the launcher already chose (srun --gpus-per-task sets the variable). */
static void pick_gpu(void)
{
    MPI_Comm node;
    int local = 0, local_size = 1, gpus = count_gpus();
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    if (local_size > 1 && gpus > 0 && !getenv("CUDA_VISIBLE_DEVICES")) {
        char value[16];
        snprintf(value, sizeof value, "%d", local % gpus);
        setenv("CUDA_VISIBLE_DEVICES", value, 0);
    }
}

int dmf_mpi_init(int *rank, int *size)
{
    int started = 0;
    MPI_Initialized(&started);
    if (!started && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return dmf_fail(DMF_ERR_DEVICE, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    pick_gpu();
    if (*size > DMF_MPI_MAX_RANKS)
        return dmf_fail(DMF_ERR_ARG, "%d ranks exceed the limit %d", *size, DMF_MPI_MAX_RANKS);
    return DMF_OK;
}

void dmf_mpi_finalize(void)
{
    int started = 0, finished = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&finished);
    if (started && !finished) MPI_Finalize();
}

static int agree_in(MPI_Comm comm, int status)
{
    int me, size;
    MPI_Comm_rank(comm, &me);
    MPI_Comm_size(comm, &size);
    int first = status != DMF_OK ? me : size;
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size) return DMF_OK;
    struct {
        int status;
        char message[480];
    } msg = {status, ""};
    if (me == first) snprintf(msg.message, sizeof msg.message, "%s", dmf_last_error());
    MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, first, comm);
    if (size == 1) return dmf_fail(msg.status, "%s", msg.message);
    return dmf_fail(msg.status, "rank %d: %s", first, msg.message);
}

int dmf_mpi_agree(int status) { return agree_in(MPI_COMM_WORLD, status); }

int dmf_mpi_max(int value)
{
    MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return value;
}

/* ---- nonblocking transfers in pieces ------------------------------------ */

typedef struct {
    MPI_Request *req;
    size_t count, capacity;
} request_list;

static int post(request_list *list, int send, void *buf, size_t bytes, int peer, int tag,
                MPI_Comm comm)
{
    for (size_t off = 0; off < bytes; off += CHUNK_BYTES) {
        if (list->count == list->capacity) {
            size_t cap = list->capacity ? 2 * list->capacity : 16;
            MPI_Request *grown = realloc(list->req, cap * sizeof *grown);
            if (!grown) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate MPI requests");
            list->req = grown;
            list->capacity = cap;
        }
        int len = (int)(bytes - off < CHUNK_BYTES ? bytes - off : CHUNK_BYTES);
        char *at = (char *)buf + off;
        MPI_Request *r = &list->req[list->count++];
        if (send) MPI_Isend(at, len, MPI_BYTE, peer, tag, comm, r);
        else MPI_Irecv(at, len, MPI_BYTE, peer, tag, comm, r);
    }
    return DMF_OK;
}

static void wait_all(request_list *list)
{
    if (list->count) MPI_Waitall((int)list->count, list->req, MPI_STATUSES_IGNORE);
    free(list->req);
    *list = (request_list){0};
}

/* ---- the tree over groups of ranks -------------------------------------- */

typedef struct {
    const dmf_backend *backend;
    dmf_chain *chain; /* every factor allocated; this rank fills those it owns */
    const dmf_tree *tree;
    size_t elem;
    dmf_butterfly_report report; /* the nodes this rank records */
    size_t failed;               /* blocks whose SVD failed, in those nodes */
    int own_status;              /* this rank's own first failure */
    unsigned char owns[DMF_MAX_FACTORS];
} rank_state;

static int fail_here(rank_state *st, int status)
{
    if (status != DMF_OK && st->own_status == DMF_OK) st->own_status = status;
    return status;
}

static void install_leaf(rank_state *st, size_t k, void *values)
{
    free(st->chain->blocks[k]);
    st->chain->blocks[k] = values;
    st->owns[k] = 1;
}

/* One half of a split, gathered from the slices of every rank of the group
 * to the ranks [to_begin, to_end) of it. */
typedef struct {
    dmf_slice_layout layout;
    size_t full_size; /* elements */
    int to_begin, to_end, tag;
    void *full;       /* on receivers */
    void **pieces;    /* on receivers, per sender, when slices are strided */
} half_transfer;

static int receives(const half_transfer *x, int me) { return me >= x->to_begin && me < x->to_end; }

static int prepare_half(half_transfer *x, const dmf_split_geometry *g, dmf_slice_dim dim, int me,
                        int n, size_t elem)
{
    if (!receives(x, me)) return DMF_OK;
    x->full = dmf_alloc(x->full_size, elem);
    if (!x->full) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a half of %zu entries", x->full_size);
    if (x->layout.outer == 1) return DMF_OK; /* slices land in place */
    x->pieces = calloc((size_t)n, sizeof *x->pieces);
    if (!x->pieces) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate receive buffers");
    for (int s = 0; s < n; s++) {
        dmf_split_slice sl = dmf_slice_part(g, dim, (size_t)n, (size_t)s);
        if (s == me || sl.count == 0) continue;
        x->pieces[s] = dmf_alloc(dmf_slice_elements(&x->layout, sl.count), elem);
        if (!x->pieces[s]) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate receive buffers");
    }
    return DMF_OK;
}

static void release_half(half_transfer *x, int n, int keep_full)
{
    if (x->pieces)
        for (int s = 0; s < n; s++) free(x->pieces[s]);
    free(x->pieces);
    x->pieces = NULL;
    if (!keep_full) free(x->full);
}

/* Posts this rank's sends of its slice `part` and its receives. */
static int post_half(request_list *list, half_transfer *x, const dmf_split_geometry *g,
                     dmf_slice_dim dim, int me, int n, size_t elem, void *part, MPI_Comm comm)
{
    dmf_split_slice mine = dmf_slice_part(g, dim, (size_t)n, (size_t)me);
    for (int s = 0; s < n && receives(x, me); s++) {
        dmf_split_slice sl = dmf_slice_part(g, dim, (size_t)n, (size_t)s);
        if (s == me || sl.count == 0) continue;
        size_t bytes = dmf_slice_elements(&x->layout, sl.count) * elem;
        void *dst = x->pieces ? x->pieces[s] : (char *)x->full + sl.begin * x->layout.inner * elem;
        DMF_TRY(post(list, 0, dst, bytes, s, x->tag, comm));
    }
    size_t bytes = dmf_slice_elements(&x->layout, mine.count) * elem;
    for (int r = x->to_begin; r < x->to_end && mine.count; r++)
        if (r != me) DMF_TRY(post(list, 1, part, bytes, r, x->tag, comm));
    return DMF_OK;
}

/* After the transfers: the receivers' own slice and strided pieces go in. */
static void assemble_half(half_transfer *x, const dmf_split_geometry *g, dmf_slice_dim dim,
                          int me, int n, size_t elem, const void *part)
{
    if (!receives(x, me)) return;
    for (int s = 0; s < n; s++) {
        dmf_split_slice sl = dmf_slice_part(g, dim, (size_t)n, (size_t)s);
        if (sl.count == 0) continue;
        const void *src = s == me ? part : x->pieces ? x->pieces[s] : NULL;
        if (src) dmf_slice_insert(&x->layout, sl.begin, sl.count, elem, src, x->full);
    }
}

static int factor_group(rank_state *st, MPI_Comm comm, size_t p, size_t q, void *target, int owned);

/* A slice strided in the target (the sub-blocks (u, j) of a single block
 * near the root) goes through the split a few index values at a time,
 * packed into one small buffer that is reused: a fresh buffer for the whole
 * slice costs a page fault per page, which here took longer than the split
 * itself.  Each piece is a sub-problem like any slice, so the halves are
 * still bit for bit those of one process. */
static int split_strided_slice(rank_state *st, const dmf_split_geometry *g, dmf_split_slice mine,
                               const dmf_slice_layout *lt, const dmf_slice_layout *lw,
                               const dmf_slice_layout *lh, const void *target, void *w_part,
                               void *h_part, dmf_split_stats *stats)
{
    const size_t elem = st->elem, budget = ((size_t)4 << 20) / elem; /* 4 MiB of target */
    size_t per_value = lt->outer * lt->inner;
    size_t chunk = per_value < budget ? budget / per_value : 1;
    if (chunk > mine.count) chunk = mine.count;
    /* The rank's own halves, as layouts over its slice alone. */
    dmf_slice_layout own_w = {lw->outer, mine.count, lw->inner};
    dmf_slice_layout own_h = {lh->outer, mine.count, lh->inner};
    void *t_buf = dmf_alloc(dmf_slice_elements(lt, chunk), elem);
    void *w_buf = dmf_alloc(dmf_slice_elements(lw, chunk), elem);
    void *h_buf = dmf_alloc(dmf_slice_elements(lh, chunk), elem);
    int status = t_buf && w_buf && h_buf ? DMF_OK
                                          : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu entries of "
                                                     "the target", dmf_slice_elements(lt, chunk));
    for (size_t done = 0; status == DMF_OK && done < mine.count; done += chunk) {
        size_t count = mine.count - done < chunk ? mine.count - done : chunk;
        dmf_split_slice piece = {mine.dim, mine.begin + done, count};
        dmf_split_geometry sub = dmf_slice_geometry(g, piece);
        dmf_slice_extract(lt, piece.begin, count, elem, target, t_buf);
        status = st->backend->split_rank_r(st->chain->dtype, &sub, t_buf, w_buf, h_buf, NULL, stats);
        if (status != DMF_OK) break;
        dmf_slice_insert(&own_w, done, count, elem, w_buf, w_part);
        dmf_slice_insert(&own_h, done, count, elem, h_buf, h_part);
    }
    free(t_buf);
    free(w_buf);
    free(h_buf);
    return status;
}

/* The group splits node [p, q]; `target` is the node's full compact target
 * (freed here when `owned`). */
static int split_in_group(rank_state *st, MPI_Comm comm, size_t p, size_t q, void *target,
                          int owned)
{
    int me, n;
    MPI_Comm_rank(comm, &me);
    MPI_Comm_size(comm, &n);
    const dmf_chain_shape *shape = &st->chain->shape;
    const size_t elem = st->elem;
    double start = dmf_now_seconds();
    size_t l = dmf_tree_split(st->tree, p, q);
    dmf_split_geometry g = dmf_split_geometry_of(shape, p, l, q);
    dmf_slice_dim dim = dmf_slice_choose(&g, (size_t)n);
    dmf_split_slice mine = dmf_slice_part(&g, dim, (size_t)n, (size_t)me);
    dmf_split_geometry sub = dmf_slice_geometry(&g, mine);
    dmf_slice_layout lt, lw, lh;
    dmf_slice_layouts(&g, dim, &lt, &lw, &lh);

    /* This rank's slice of the split. */
    int status = DMF_OK;
    dmf_split_stats stats = {0};
    void *w_part = NULL, *h_part = NULL;
    if (mine.count) {
        w_part = dmf_alloc(dmf_slice_elements(&lw, mine.count), elem);
        h_part = dmf_alloc(dmf_slice_elements(&lh, mine.count), elem);
        if (!w_part || !h_part)
            status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the slices of node [%zu, %zu]", p, q);
        else if (lt.outer == 1) /* a contiguous slice: split in place */
            status = st->backend->split_rank_r(st->chain->dtype, &sub,
                                               (char *)target + mine.begin * lt.inner * elem,
                                               w_part, h_part, NULL, &stats);
        else
            status = split_strided_slice(st, &g, mine, &lt, &lw, &lh, target, w_part, h_part, &stats);
    }
    if (owned) free(target);

    /* Who goes on with which child: a leaf stays with the group's first
     * rank; two subtrees share the group by their work. */
    int leaf_left = p == l, leaf_right = l + 1 == q;
    int left_ranks = leaf_left ? 0 : leaf_right ? n
                                 : (int)dmf_share_workers((size_t)n,
                                                          dmf_subtree_work(shape, st->tree, p, l),
                                                          dmf_subtree_work(shape, st->tree, l + 1, q));
    half_transfer hw = {lw, dmf_range_size(shape, p, l), 0, leaf_left ? 1 : left_ranks, TAG_W, NULL, NULL};
    half_transfer hh = {lh, dmf_range_size(shape, l + 1, q), leaf_right ? 0 : left_ranks,
                        leaf_right ? 1 : n, TAG_H, NULL, NULL};
    if (status == DMF_OK) status = prepare_half(&hw, &g, dim, me, n, elem);
    if (status == DMF_OK) status = prepare_half(&hh, &g, dim, me, n, elem);
    fail_here(st, status);
    int agreed = status;
    MPI_Allreduce(MPI_IN_PLACE, &agreed, 1, MPI_INT, MPI_MIN, comm);
    if (agreed != DMF_OK) {
        free(w_part);
        free(h_part);
        release_half(&hw, n, 0);
        release_half(&hh, n, 0);
        return agreed;
    }

    request_list list = {0};
    status = post_half(&list, &hw, &g, dim, me, n, elem, w_part, comm);
    if (status == DMF_OK) status = post_half(&list, &hh, &g, dim, me, n, elem, h_part, comm);
    if (status != DMF_OK) MPI_Abort(comm, 1); /* half-posted transfers cannot be taken back */
    wait_all(&list);
    assemble_half(&hw, &g, dim, me, n, elem, w_part);
    assemble_half(&hh, &g, dim, me, n, elem, h_part);
    free(w_part);
    free(h_part);
    release_half(&hw, n, 1);
    release_half(&hh, n, 1);

    /* The node's record, as one process would write it. */
    double sums[5] = {(double)stats.iterative, (double)stats.dense_svd, (double)stats.failed,
                      stats.target_sq, stats.residual_sq};
    double seconds = dmf_now_seconds() - start;
    MPI_Reduce(me ? sums : MPI_IN_PLACE, sums, 5, MPI_DOUBLE, MPI_SUM, 0, comm);
    MPI_Reduce(me ? &seconds : MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    if (me == 0) {
        st->report.nodes[st->report.num_nodes++] = (dmf_node_report){
            .p = p, .q = q, .split = l,
            .num_blocks = dmf_split_num_sub_blocks(&g),
            .block_rows = g.b1, .block_cols = g.c2,
            .rel_error = sums[3] > 0 ? sqrt(sums[4] / sums[3]) : 0,
            .blocks_iterative = (size_t)sums[0],
            .blocks_dense_svd = (size_t)sums[1],
            .blocks_failed = (size_t)sums[2],
            .time_s = seconds,
        };
        st->failed += (size_t)sums[2];
        if (leaf_left) install_leaf(st, p, hw.full), hw.full = NULL;
        if (leaf_right) install_leaf(st, q, hh.full), hh.full = NULL;
    }
    if (leaf_left && leaf_right) return DMF_OK;

    /* Ranks below left_ranks hold W and take the left child, the others H. */
    int go_left = !leaf_left && me < left_ranks;
    MPI_Comm child;
    MPI_Comm_split(comm, go_left, me, &child);
    status = go_left ? factor_group(st, child, p, l, hw.full, 1)
                     : factor_group(st, child, l + 1, q, hh.full, 1);
    MPI_Comm_free(&child);
    return status;
}

static int factor_group(rank_state *st, MPI_Comm comm, size_t p, size_t q, void *target, int owned)
{
    int n;
    MPI_Comm_size(comm, &n);
    if (n > 1) return split_in_group(st, comm, p, q, target, owned);
    void *values = target;
    if (!owned) {
        values = dmf_alloc(dmf_range_size(&st->chain->shape, p, q), st->elem);
        if (!values) return fail_here(st, dmf_fail(DMF_ERR_NOMEM, "cannot copy the target"));
        memcpy(values, target, dmf_range_size(&st->chain->shape, p, q) * st->elem);
    }
    int status = dmf_butterfly_factor_subtree(st->backend, st->chain, st->tree, p, q, values,
                                              &st->report, &st->failed);
    if (status == DMF_OK)
        for (size_t k = p; k <= q; k++) st->owns[k] = 1;
    return fail_here(st, status);
}

/* ---- collecting the result on rank 0 ------------------------------------ */

/* Internal nodes in the order the single-process driver splits them. */
static void preorder(const dmf_tree *tree, size_t p, size_t q, size_t *ps, size_t *qs, size_t *count)
{
    if (p == q) return;
    ps[*count] = p, qs[*count] = q, (*count)++;
    size_t l = dmf_tree_split(tree, p, q);
    preorder(tree, p, l, ps, qs, count);
    preorder(tree, l + 1, q, ps, qs, count);
}

static int collect(rank_state *st, int me, int size, dmf_butterfly_report *report)
{
    const size_t L = st->chain->shape.num_factors;
    int owner[DMF_MAX_FACTORS];
    for (size_t k = 0; k < L; k++) owner[k] = st->owns[k] ? me : -1;
    MPI_Allreduce(MPI_IN_PLACE, owner, (int)L, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    for (size_t k = 0; k < L; k++) {
        if (owner[k] <= 0 || (me != 0 && me != owner[k])) continue;
        request_list list = {0};
        size_t bytes = dmf_range_size(&st->chain->shape, k, k) * st->elem;
        int status = post(&list, me != 0, st->chain->blocks[k], bytes, me ? 0 : owner[k], TAG_LEAF,
                          MPI_COMM_WORLD);
        if (status != DMF_OK) MPI_Abort(MPI_COMM_WORLD, 1);
        wait_all(&list);
    }

    int count = (int)st->report.num_nodes, counts[DMF_MPI_MAX_RANKS], displs[DMF_MPI_MAX_RANKS];
    MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dmf_node_report all[64];
    int total = 0;
    if (me == 0)
        for (int r = 0; r < size; r++) {
            displs[r] = total * (int)sizeof(dmf_node_report);
            total += counts[r];
            counts[r] *= (int)sizeof(dmf_node_report);
        }
    MPI_Gatherv(st->report.nodes, count * (int)sizeof(dmf_node_report), MPI_BYTE, all, counts,
                displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (me != 0) return DMF_OK;
    size_t ps[64], qs[64], num = 0;
    preorder(st->tree, 0, L - 1, ps, qs, &num);
    report->num_nodes = 0;
    for (size_t i = 0; i < num; i++)
        for (int r = 0; r < total; r++)
            if (all[r].p == ps[i] && all[r].q == qs[i]) report->nodes[report->num_nodes++] = all[r];
    return DMF_OK;
}

/* Every rank must factor the same problem, or their plans differ and the
 * transfers would not match: rank 0's problem is compared on every rank. */
typedef struct {
    unsigned long long rows, cols, num_factors, rank, dtype;
    unsigned long long m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS];
    char tree[1024];
} problem_key;

static int check_same_problem(const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n,
                              size_t num_factors, const dmf_tree *tree, size_t rank)
{
    problem_key mine, root;
    memset(&mine, 0, sizeof mine);
    mine.rows = a->rows, mine.cols = a->cols, mine.num_factors = num_factors, mine.rank = rank;
    mine.dtype = (unsigned long long)a->dtype;
    for (size_t k = 0; k < num_factors && k < DMF_MAX_FACTORS; k++)
        mine.m[k] = radix_m[k], mine.n[k] = radix_n[k];
    snprintf(mine.tree, sizeof mine.tree, "%s", dmf_tree_describe(tree));
    root = mine;
    MPI_Bcast(&root, (int)sizeof root, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (!memcmp(&root, &mine, sizeof mine)) return DMF_OK;
    return dmf_fail(DMF_ERR_ARG,
                    "this rank's problem differs from rank 0's (%llu x %llu %s, %llu factors, "
                    "rank %llu, tree %s here; %llu x %llu %s, %llu factors, rank %llu, tree %s "
                    "on rank 0): every rank must be given the same input and options",
                    mine.rows, mine.cols, dmf_dtype_name((dmf_dtype)mine.dtype), mine.num_factors,
                    mine.rank, mine.tree, root.rows, root.cols,
                    dmf_dtype_name((dmf_dtype)root.dtype), root.num_factors, root.rank, root.tree);
}

int dmf_mpi_butterfly_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                             const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                             const dmf_butterfly_options *opts_in, dmf_chain **out,
                             dmf_butterfly_report *report, double *rank_times)
{
    *out = NULL;
    int me, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    dmf_butterfly_options opts;
    if (opts_in) opts = *opts_in;
    else dmf_butterfly_options_default(&opts);
    dmf_butterfly_report local;
    if (!report) report = &local;
    memset(report, 0, sizeof *report);

    int status = DMF_OK;
    if (opts.orthonormalize)
        status = dmf_fail(DMF_ERR_ARG, "orthonormalization couples every node to the whole chain "
                                       "and is not available with MPI; factor in one process");
    else if (opts.rank < 1)
        status = dmf_fail(DMF_ERR_ARG, "rank must be >= 1 (got %zu)", opts.rank);
    size_t ranks[DMF_MAX_FACTORS];
    for (size_t k = 0; k < DMF_MAX_FACTORS; k++) ranks[k] = opts.rank;
    /* The distributed splits below hand host buffers to split_rank_r, so
     * they run on a backend whose memory is the host's. */
    const dmf_backend *backend = dmf_context_backend(ctx);
    rank_state st = {.backend = backend->host_memory ? backend : dmf_backend_cpu(), .tree = tree,
                     .elem = dmf_dtype_size(a->dtype)};
    dmf_chain_shape shape;
    if (status == DMF_OK) status = dmf_chain_shape_init(&shape, num_factors, radix_m, radix_n, ranks);
    if (status == DMF_OK) status = dmf_butterfly_check_input(a, &shape, tree);
    int same = check_same_problem(a, radix_m, radix_n, status == DMF_OK ? num_factors : 0, tree,
                                  opts.rank);
    if (status == DMF_OK) status = same;
    DMF_TRY(agree_in(MPI_COMM_WORLD, status));
    if (size == 1 || num_factors == 1) {
        /* Nothing to share: rank 0 is the single-process driver. */
        double start = dmf_now_seconds();
        if (me == 0)
            status = dmf_butterfly_factor(ctx, a, radix_m, radix_n, num_factors, tree, &opts, out,
                                          report);
        if (rank_times) rank_times[0] = dmf_now_seconds() - start;
        int numeric = status == DMF_ERR_NUMERIC && *out;
        MPI_Bcast(&numeric, 1, MPI_INT, 0, MPI_COMM_WORLD);
        status = agree_in(MPI_COMM_WORLD, numeric ? DMF_OK : status);
        if (status != DMF_OK) return status;
        for (int r = 1; r < size && rank_times; r++) rank_times[r] = 0;
        if (!numeric) return DMF_OK;
        return me == 0 ? DMF_ERR_NUMERIC /* its message stands */
                       : dmf_fail(DMF_ERR_NUMERIC, "LAPACK's SVD did not converge on some blocks");
    }
    /* Every rank scales its own copy of the input as the single-process
     * driver does, so the factors stay those of one process. */
    void *scaled = NULL;
    int shift = 0;
    status = dmf_butterfly_scale_input(a, &scaled, &shift);
    if (status == DMF_OK)
        status = dmf_chain_create(&st.chain, a->dtype, num_factors, radix_m, radix_n, ranks);
    status = agree_in(MPI_COMM_WORLD, status);
    if (status != DMF_OK) {
        free(scaled);
        dmf_chain_free(st.chain);
        return status;
    }

    MPI_Barrier(MPI_COMM_WORLD);
    double start = dmf_now_seconds();
    MPI_Comm world;
    MPI_Comm_dup(MPI_COMM_WORLD, &world);
    factor_group(&st, world, 0, num_factors - 1, scaled ? scaled : a->data, 0);
    MPI_Comm_free(&world);
    free(scaled);
    double mine = dmf_now_seconds() - start;
    status = agree_in(MPI_COMM_WORLD, st.own_status);
    if (status != DMF_OK) {
        dmf_chain_free(st.chain);
        return status;
    }
    collect(&st, me, size, report);
    unsigned long long failed = st.failed;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    double times[DMF_MPI_MAX_RANKS];
    MPI_Gather(&mine, 1, MPI_DOUBLE, times, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (me == 0 && rank_times) memcpy(rank_times, times, (size_t)size * sizeof *times);
    if (me == 0) {
        report->time_s = dmf_now_seconds() - start;
        report->device_s = report->time_s; /* the distributed tree, on the host's clock */
        status = dmf_butterfly_unscale(st.chain, -shift);
        if (status == DMF_OK) status = dmf_chain_check_finite(st.chain);
        if (status != DMF_OK) {
            dmf_chain_free(st.chain);
            return status;
        }
        *out = st.chain;
    } else {
        dmf_chain_free(st.chain);
    }
    if (failed)
        return dmf_fail(DMF_ERR_NUMERIC, "%llu blocks: LAPACK's SVD did not converge", failed);
    return DMF_OK;
}
