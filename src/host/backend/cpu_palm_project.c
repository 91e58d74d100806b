/* The CPU reference projections onto the constraint sets of PALM4MSA
 * (pyfaust's names).
 *
 * The sparsity projections keep the entries of largest magnitude: a
 * Euclidean projection onto "at most k nonzeros" keeps the k largest |x|
 * (any k of them when there are ties; dmf takes the smaller row-major
 * indices first, so results do not depend on the selection algorithm, and
 * counts magnitudes within a few roundings of each other as tied).
 * splincol keeps the union of the splin and spcol supports, as FAuST does:
 * that set is not convex and this is a heuristic, not an exact projection
 * onto "k per row and k per column". */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_palm.h"
#include "internal.h"

#define DMF_IMPL "../backend/cpu_palm_project_impl.h"
#include "scalar_instantiate.h"

#define DISPATCH(dtype, name, ...)                          \
    switch (dtype) {                                        \
    case DMF_F32: name##_s(__VA_ARGS__); break;             \
    case DMF_F64: name##_d(__VA_ARGS__); break;             \
    case DMF_C64: name##_c(__VA_ARGS__); break;             \
    case DMF_C128: name##_z(__VA_ARGS__); break;            \
    }

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Quickselect with a three-way partition: magnitudes are often all equal
 * (Hadamard, +-1 factors), where a two-way partition is quadratic. */
double dmf_palm_kth_largest(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* the answer is within v[lo..hi) */
    for (;;) {
        if (hi - lo == 1) return v[lo];
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi - 1];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        /* [lo, gt) > pivot, [gt, i) == pivot, [lt, hi) < pivot (or NaN) */
        size_t gt = lo, i = lo, lt = hi;
        while (i < lt) {
            if (v[i] > pivot) swap_d(&v[i++], &v[gt++]);
            else if (v[i] == pivot) i++;
            else swap_d(&v[i], &v[--lt]);
        }
        size_t rank_gt = gt - lo, rank_eq = i - gt;
        if (k <= rank_gt) {
            hi = gt;
        } else if (k <= rank_gt + rank_eq) {
            return pivot;
        } else {
            k -= rank_gt + rank_eq;
            lo = lt;
        }
    }
}

double dmf_palm_tie(dmf_dtype dtype)
{
    return 32 * dmf_dtype_eps(dtype); /* squared magnitudes: a few roundings of the dtype, doubled */
}

/* Magnitudes within a relative `tie` of the k-th largest count as tied and
 * are taken in index order: values that are equal in exact arithmetic
 * (Hadamard's +-1 and their products) differ by rounding, and that noise
 * would otherwise choose the support (in f32 it wrecks the hierarchical
 * Hadamard factorization).  A line (row or column) keeps first what is
 * above kth (1 + tie), counting what was kept already (a row's choice, for
 * splincol's columns), then, in index order, what is at least
 * kth (1 - tie) and not kept yet, until it holds k. */

/* Up to this k, the k largest are found by insertion into a sorted list
 * in one pass (one comparison per entry mostly); above, by quickselect. */
#define SMALL_K 8

/* top[0..k) (descending) takes v if v is among the k largest so far. */
static void top_insert(double *top, size_t *count, size_t k, double v)
{
    size_t t = *count;
    if (t == k) {
        if (!(v > top[k - 1])) return;
        t = k - 1;
    } else {
        ++*count;
    }
    for (; t > 0 && v > top[t - 1]; t--) top[t] = top[t - 1];
    top[t] = v;
}

/* The k-th largest of v[0..n) (k < n, v unchanged; scratch: n values) by
 * filtering: the order statistics of a small evenly spaced sample bracket
 * the k-th largest, one pass counts what is above the bracket and copies
 * what is inside it, and quickselect runs on that copy only (a few percent
 * of v) instead of several passes with swaps over all of v.  If the
 * bracket misses, the full quickselect gives the same exact answer. */
static double kth_filtered(const double *v, size_t n, size_t k, double *scratch)
{
    enum { SAMPLE = 64, MARGIN = 6 };
    if (n < 16 * SAMPLE) {
        memcpy(scratch, v, n * sizeof *v);
        return dmf_palm_kth_largest(scratch, n, k);
    }
    double pick[SAMPLE], sample[SAMPLE];
    for (size_t t = 0; t < SAMPLE; t++) pick[t] = v[t * n / SAMPLE];
    /* Sorted descending by rank counting: entry t goes to the number of
     * entries above it, or equal and before it.  Branch-free compares that
     * vectorize; an insertion sort mispredicts on every other step. */
    for (size_t t = 0; t < SAMPLE; t++) {
        const double x = pick[t];
        size_t rank = 0;
        for (size_t u = 0; u < SAMPLE; u++) rank += (pick[u] > x) | ((pick[u] == x) & (u < t));
        sample[rank] = x;
    }
    size_t at = (k - 1) * SAMPLE / n; /* k's place in the sample */
    double hi = at >= MARGIN ? sample[at - MARGIN] : INFINITY;
    double lo = at + MARGIN < SAMPLE ? sample[at + MARGIN] : -INFINITY;
    size_t above = 0, inside = 0;
    for (size_t t = 0; t < n; t++) {
        double x = v[t];
        above += x > hi;
        scratch[inside] = x;
        inside += x <= hi && x >= lo;
    }
    if (above < k && k <= above + inside) return dmf_palm_kth_largest(scratch, inside, k - above);
    memcpy(scratch, v, n * sizeof *v);
    return dmf_palm_kth_largest(scratch, n, k);
}

/* The k-th largest of a contiguous v[0..n) (1 <= k < n); scratch: n values. */
static double kth_of(const double *v, size_t n, size_t k, double *scratch)
{
    if (k <= SMALL_K) {
        size_t count = 0;
        enum { W = 16 };
        const size_t blocks = n / W;
        if (blocks < 4 * SMALL_K) {
            for (size_t t = 0; t < n; t++) top_insert(scratch, &count, k, v[t]);
            return scratch[k - 1];
        }
        /* Block b is the entries b, b + blocks, b + 2 blocks, ... (W of
         * them), so that the maxima are W vectorized passes.  The k
         * largest maxima are k entries, so the k-th largest entry is at
         * least the k-th largest maximum: only the blocks that reach it (k
         * of them, without ties) can hold an entry at or above the k-th
         * largest, and a sorted insertion (which does not vectorize) runs
         * on those only. */
        double *top = scratch, *bmax = scratch + SMALL_K;
        memcpy(bmax, v, blocks * sizeof *bmax);
        for (size_t w = 1; w < W; w++) {
            const double *x = v + w * blocks;
            for (size_t b = 0; b < blocks; b++) bmax[b] = x[b] > bmax[b] ? x[b] : bmax[b];
        }
        for (size_t b = 0; b < blocks; b++) top_insert(top, &count, k, bmax[b]);
        const double floor = top[k - 1];
        count = 0;
        for (size_t b = 0; b < blocks; b++)
            if (bmax[b] >= floor)
                for (size_t w = 0; w < W; w++) top_insert(top, &count, k, v[b + w * blocks]);
        for (size_t t = blocks * W; t < n; t++) top_insert(top, &count, k, v[t]);
        return top[k - 1];
    }
    return kth_filtered(v, n, k, scratch);
}

/* Row i's choice: the k largest of m[0..cols) (k < cols) marked in kp. */
static void select_row(const double *m, size_t cols, size_t k, unsigned char *kp, double *scratch, double tie)
{
    double kth = kth_of(m, cols, k, scratch), hi = kth * (1 + tie), lo = kth * (1 - tie);
    size_t taken = 0; /* fewer than k are above hi >= kth */
    for (size_t t = 0; t < cols; t++) { /* branch-free: about k / cols of them pass */
        unsigned char above = m[t] > hi;
        kp[t] |= above;
        taken += above;
    }
    for (size_t t = 0; t < cols && taken < k; t++)
        if (m[t] <= hi && m[t] >= lo) kp[t] = 1, taken++; /* the ties, rare */
}

/* The support of sp, splin, spcol and splincol.  The rows come first (in
 * cache, one at a time); the columns' k-th largest are gathered in the same
 * walk over the rows for small k (a sorted list per column), from a
 * transposed copy otherwise, and the columns are then marked in one more
 * walk in row-major order, with per-column counts: what is above
 * kth (1 + tie) is counted beforehand (it is all in the sorted list, or
 * counted in the transposed column), so one pass does both of
 * select_row's passes for every column. */
/* Columns [j0, j1) of a row-major rows x cols array: per-thread ranges
 * of about the same width. */
#define COL_RANGE(j0, j1, cols)                                                                  \
    const size_t nth_ = (size_t)omp_get_num_threads(), th_ = (size_t)omp_get_thread_num();        \
    const size_t j0 = (cols) * th_ / nth_, j1 = (cols) * (th_ + 1) / nth_

/* Threads from 2^22 entries (N = 2048) on: below, the waits at the end of
 * each parallel region on a shared machine cost more than they gain. */
#define PROJ_PAR(work) if ((work) >= ((size_t)1 << 22))

static void support(const dmf_constraint *c, double tie, const double *mag, unsigned char *keep, double *scratch)
{
    const size_t rows = c->rows, cols = c->cols, k = c->k, longest = rows > cols ? rows : cols;
    if (k == 0) return;
    if (c->kind == DMF_CONS_SP) {
        if (k >= rows * cols) memset(keep, 1, rows * cols);
        else select_row(mag, rows * cols, k, keep, scratch, tie);
        return;
    }
    const int by_row = c->kind != DMF_CONS_SPCOL, by_col = c->kind != DMF_CONS_SPLIN;
    const int col_lists = by_col && k < rows && k <= SMALL_K;
    double *kth = scratch, *work = kth + cols;
    size_t *taken = (size_t *)(work + rows * cols);
    double *lines = (double *)(taken + cols); /* a row per thread */
    if (by_row) {
#pragma omp parallel for schedule(static) PROJ_PAR(rows * cols)
        for (size_t i = 0; i < rows; i++) {
            if (k >= cols) memset(keep + i * cols, 1, cols);
            else select_row(mag + i * cols, cols, k, keep + i * cols, lines + omp_get_thread_num() * longest, tie);
        }
    }
    if (!by_col) return;
    if (k >= rows) {
        memset(keep, 1, rows * cols);
        return;
    }
    if (col_lists) {
#pragma omp parallel PROJ_PAR(rows * cols)
        {
            COL_RANGE(j0, j1, cols);
            for (size_t j = j0; j < j1; j++) taken[j] = 0;
            for (size_t i = 0; i < k; i++) /* every list holds k after k rows */
                for (size_t j = j0; j < j1; j++) top_insert(work + j * k, &taken[j], k, mag[i * cols + j]);
            for (size_t j = j0; j < j1; j++) kth[j] = work[j * k + k - 1]; /* the k-th largest so far */
            enum { V = 16 }; /* a vectorized test of V columns against theirs, insertions when it fails */
            for (size_t i = k; i < rows; i++) {
                const double *m = mag + i * cols;
                size_t j = j0;
                for (; j + V <= j1; j += V) {
                    int any = 0;
                    for (size_t u = 0; u < V; u++) any |= m[j + u] > kth[j + u];
                    if (!any) continue;
                    for (size_t u = j; u < j + V; u++)
                        if (m[u] > kth[u]) top_insert(work + u * k, &taken[u], k, m[u]), kth[u] = work[u * k + k - 1];
                }
                for (; j < j1; j++)
                    if (m[j] > kth[j]) top_insert(work + j * k, &taken[j], k, m[j]), kth[j] = work[j * k + k - 1];
            }
            for (size_t j = j0; j < j1; j++) {
                const double *top = work + j * k;
                kth[j] = top[k - 1];
                taken[j] = 0;
                for (size_t t = 0; t < k; t++) taken[j] += top[t] > kth[j] * (1 + tie);
            }
        }
    } else {
        dmf_palm_transpose_real(rows, cols, mag, work);
#pragma omp parallel for schedule(dynamic, 8) PROJ_PAR(rows * cols)
        for (size_t j = 0; j < cols; j++) {
            double *col = work + j * rows;
            kth[j] = kth_filtered(col, rows, k, lines + omp_get_thread_num() * longest);
            taken[j] = 0;
            for (size_t t = 0; t < rows; t++) taken[j] += col[t] > kth[j] * (1 + tie);
        }
    }
    double *bounds = work; /* the columns' tie bands, once the k-th largest are known (rows >= 2) */
#pragma omp parallel PROJ_PAR(rows * cols)
    {
        COL_RANGE(j0, j1, cols);
        double *hi = bounds, *lo = bounds + cols;
        for (size_t j = j0; j < j1; j++) hi[j] = kth[j] * (1 + tie), lo[j] = kth[j] * (1 - tie);
        for (size_t i = 0; i < rows; i++) {
            const double *m = mag + i * cols;
            unsigned char *kp = keep + i * cols;
            size_t ties = 0;
            for (size_t j = j0; j < j1; j++) { /* branch-free: about k / rows of them pass */
                kp[j] |= m[j] > hi[j];
                ties += (m[j] <= hi[j]) & (m[j] >= lo[j]);
            }
            for (size_t j = j0; ties && j < j1; j++) /* the ties, rare */
                if (m[j] <= hi[j] && m[j] >= lo[j] && taken[j] < k && !kp[j]) kp[j] = 1, taken[j]++;
        }
    }
}

static int reserve(void **p, size_t *cap, size_t bytes)
{
    if (bytes <= *cap) return 1;
    free(*p);
    *p = malloc(bytes);
    *cap = *p ? bytes : 0;
    return *p != NULL;
}

/* The work space for a rows x cols projection. */
static int projection_ws_reserve(dmf_palm_proj_ws *ws, size_t rows, size_t cols)
{
    size_t n = rows * cols, longest = rows > cols ? rows : cols;
    /* support(): kth (cols), the transposed copy or the sorted lists
     * (rows * cols >= cols * k), the counts (cols size_t), a row per
     * thread (longest); sp: a copy of all n */
    size_t scratch = (cols + n + longest * (size_t)omp_get_max_threads()) * sizeof(double) + cols * sizeof(size_t);
    if (reserve((void **)&ws->mag, &ws->mag_bytes, n * sizeof(double)) &&
        reserve((void **)&ws->scratch, &ws->scratch_bytes, scratch) &&
        reserve((void **)&ws->keep, &ws->keep_bytes, n ? n : 1))
        return DMF_OK;
    return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu projection", rows, cols);
}

void dmf_palm_proj_ws_free(dmf_palm_proj_ws *ws)
{
    free(ws->mag);
    free(ws->scratch);
    free(ws->keep);
    memset(ws, 0, sizeof *ws);
}

/* The support a projection keeps, from the magnitudes. */
static int build_mask(const dmf_constraint *c, dmf_dtype dtype, const void *x, dmf_palm_proj_ws *ws)
{
    const size_t rows = c->rows, cols = c->cols, n = rows * cols;
    unsigned char *keep = ws->keep;
    if (c->kind == DMF_CONS_SUPP) {
        const dmf_matrix *s = c->matrix;
        for (size_t e = 0; e < n; e++) keep[e] = dmf_get(s->dtype, s->data, e) != 0;
        return DMF_OK;
    }
    if (c->kind == DMF_CONS_BLOCKDIAG) {
        for (size_t b = 0, r0 = 0, c0 = 0; b < c->num_blocks; r0 += c->block_rows[b], c0 += c->block_cols[b], b++)
            for (size_t i = r0; i < r0 + c->block_rows[b]; i++)
                memset(keep + i * cols + c0, 1, c->block_cols[b]);
        return DMF_OK;
    }
    double *mag = ws->mag;
    DISPATCH(dtype, proj_magnitudes, x, n, mag);
    support(c, dmf_palm_tie(dtype), mag, keep, ws->scratch);
    return DMF_OK;
}

int dmf_palm_support_begin(const dmf_constraint *c, dmf_palm_proj_ws *ws)
{
    DMF_TRY(projection_ws_reserve(ws, c->rows, c->cols));
    memset(ws->keep, 0, c->rows * c->cols);
    return DMF_OK;
}

void dmf_palm_support_end(const dmf_constraint *c, dmf_dtype dtype, dmf_palm_proj_ws *ws)
{
    support(c, dmf_palm_tie(dtype), ws->mag, ws->keep, ws->scratch);
}

int dmf_palm_project_ws(dmf_dtype dtype, const dmf_constraint *c, void *x, dmf_palm_proj_ws *ws)
{
    const size_t n = c->rows * c->cols;
    switch (c->kind) {
    case DMF_CONS_CONST:
        memcpy(x, c->matrix->data, n * dmf_dtype_size(dtype));
        return DMF_OK;
    case DMF_CONS_NORMCOL:
    case DMF_CONS_NORMLIN:
        DISPATCH(dtype, proj_scale_lines, x, c->rows, c->cols, c->kind == DMF_CONS_NORMCOL, c->value);
        return DMF_OK;
    default: break;
    }
    DMF_TRY(projection_ws_reserve(ws, c->rows, c->cols));
    memset(ws->keep, 0, n);
    DMF_TRY(build_mask(c, dtype, x, ws));
    DISPATCH(dtype, proj_mask, x, n, ws->keep);
    if (c->normalized) DISPATCH(dtype, proj_normalize, x, n);
    return DMF_OK;
}

int dmf_palm_project(dmf_dtype dtype, const dmf_constraint *c, void *x)
{
    dmf_palm_proj_ws ws = {0};
    int status = dmf_palm_project_ws(dtype, c, x, &ws);
    dmf_palm_proj_ws_free(&ws);
    return status;
}
