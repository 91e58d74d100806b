/* Projections onto the constraint sets of PALM4MSA (pyfaust's names).
 *
 * The sparsity projections keep the entries of largest magnitude: a
 * Euclidean projection onto "at most k nonzeros" keeps the k largest |x|
 * (any k of them when there are ties; dmf takes the smaller row-major
 * indices first, so results do not depend on the selection algorithm, and
 * counts magnitudes within a few roundings of each other as tied).
 * splincol keeps the union of the splin and spcol supports, as FAuST does:
 * that set is not convex and this is a heuristic, not an exact projection
 * onto "k per row and k per column". */
#include <stdlib.h>
#include <string.h>

#include "palm_internal.h"

#define DMF_IMPL "../palm/projection_impl.h"
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

/* keep[t * stride] = 1 for the k largest of mag[t * stride], t < n.
 * Magnitudes within a relative `tie` of the k-th largest count as tied and
 * are taken in index order: values that are equal in exact arithmetic
 * (Hadamard's +-1 and their products) differ by rounding, and that noise
 * would otherwise choose the support (in f32 it wrecks the hierarchical
 * Hadamard factorization). */
static void select_k(const double *mag, size_t n, size_t stride, size_t k, unsigned char *keep, double *scratch,
                     double tie)
{
    if (k >= n) {
        for (size_t t = 0; t < n; t++) keep[t * stride] = 1;
        return;
    }
    if (k == 0) return;
    for (size_t t = 0; t < n; t++) scratch[t] = mag[t * stride];
    double kth = dmf_palm_kth_largest(scratch, n, k), hi = kth * (1 + tie), lo = kth * (1 - tie);
    size_t taken = 0; /* fewer than k are above hi >= kth */
    for (size_t t = 0; t < n; t++)
        if (mag[t * stride] > hi) keep[t * stride] = 1, taken++;
    for (size_t t = 0; t < n && taken < k; t++)
        if (!keep[t * stride] && mag[t * stride] >= lo) keep[t * stride] = 1, taken++;
}

/* The support a projection keeps, from the magnitudes. */
static int build_mask(const dmf_constraint *c, dmf_dtype dtype, const void *x, unsigned char *keep)
{
    const size_t rows = c->rows, cols = c->cols, n = rows * cols;
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
    size_t longest = rows > cols ? rows : cols;
    double *mag = malloc(n * sizeof *mag), *scratch = malloc((c->kind == DMF_CONS_SP ? n : longest) * sizeof *scratch);
    if (!mag || !scratch) {
        free(mag);
        free(scratch);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu projection", rows, cols);
    }
    DISPATCH(dtype, proj_magnitudes, x, n, mag);
    /* squared magnitudes: a few roundings of the dtype, doubled */
    double tie = 32 * dmf_dtype_eps(dtype);
    if (c->kind == DMF_CONS_SP) select_k(mag, n, 1, c->k, keep, scratch, tie);
    if (c->kind == DMF_CONS_SPLIN || c->kind == DMF_CONS_SPLINCOL)
        for (size_t i = 0; i < rows; i++) select_k(mag + i * cols, cols, 1, c->k, keep + i * cols, scratch, tie);
    if (c->kind == DMF_CONS_SPCOL || c->kind == DMF_CONS_SPLINCOL)
        for (size_t j = 0; j < cols; j++) select_k(mag + j, rows, cols, c->k, keep + j, scratch, tie);
    free(mag);
    free(scratch);
    return DMF_OK;
}

int dmf_palm_project(dmf_dtype dtype, const dmf_constraint *c, void *x)
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
    unsigned char *keep = calloc(n ? n : 1, 1);
    if (!keep) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu projection", c->rows, c->cols);
    int status = build_mask(c, dtype, x, keep);
    if (status == DMF_OK) {
        DISPATCH(dtype, proj_mask, x, n, keep);
        if (c->normalized) DISPATCH(dtype, proj_normalize, x, n);
    }
    free(keep);
    return status;
}

static const char *const kind_names[] = {"sp", "splin", "spcol", "splincol", "normcol",
                                         "normlin", "supp", "const", "blockdiag"};
#define NUM_KINDS (sizeof kind_names / sizeof kind_names[0])

int dmf_constraint_parse_kind(const char *name, dmf_constraint_kind *kind)
{
    for (size_t t = 0; name && t < NUM_KINDS; t++)
        if (!strcmp(name, kind_names[t])) {
            *kind = (dmf_constraint_kind)t;
            return DMF_OK;
        }
    return dmf_fail(DMF_ERR_ARG, "unknown constraint '%s': dmf knows sp, splin, spcol, splincol, normcol, "
                                 "normlin, supp, const and blockdiag", name ? name : "(null)");
}

const char *dmf_constraint_kind_name(dmf_constraint_kind kind)
{
    return (unsigned)kind < NUM_KINDS ? kind_names[kind] : "unknown";
}

int dmf_palm_check_constraint(const dmf_constraint *c, dmf_dtype dtype, const char *what)
{
    if ((unsigned)c->kind >= NUM_KINDS) return dmf_fail(DMF_ERR_ARG, "%s: invalid kind %d", what, (int)c->kind);
    const char *name = kind_names[c->kind];
    if (c->rows == 0 || c->cols == 0)
        return dmf_fail(DMF_ERR_SHAPE, "%s (%s): the factor is %zu x %zu; both sizes must be >= 1", what, name,
                        c->rows, c->cols);
    size_t n;
    if (!dmf_mul_size(c->rows, c->cols, &n) || n > SIZE_MAX / 16)
        return dmf_fail(DMF_ERR_SHAPE, "%s (%s): %zu x %zu is too large", what, name, c->rows, c->cols);
    if (c->kind == DMF_CONS_SUPP || c->kind == DMF_CONS_CONST) {
        if (!c->matrix) return dmf_fail(DMF_ERR_ARG, "%s (%s): the matrix is missing", what, name);
        if (c->matrix->rows != c->rows || c->matrix->cols != c->cols)
            return dmf_fail(DMF_ERR_SHAPE, "%s (%s): the matrix is %zu x %zu but the factor %zu x %zu", what, name,
                            c->matrix->rows, c->matrix->cols, c->rows, c->cols);
        if (c->kind == DMF_CONS_CONST && c->matrix->dtype != dtype)
            return dmf_fail(DMF_ERR_ARG, "%s (const): the matrix is %s but the factorization %s", what,
                            dmf_dtype_name(c->matrix->dtype), dmf_dtype_name(dtype));
        DMF_TRY(dmf_matrix_check_finite(c->matrix));
    }
    if ((c->kind == DMF_CONS_NORMCOL || c->kind == DMF_CONS_NORMLIN) && !(c->value > 0 && isfinite(c->value)))
        return dmf_fail(DMF_ERR_ARG, "%s (%s): the norm value must be > 0 and finite, not %g", what, name, c->value);
    if (c->kind == DMF_CONS_BLOCKDIAG) {
        if (!c->num_blocks || !c->block_rows || !c->block_cols)
            return dmf_fail(DMF_ERR_ARG, "%s (blockdiag): no blocks are given", what);
        size_t sr = 0, sc = 0;
        for (size_t b = 0; b < c->num_blocks; b++) {
            if (c->block_rows[b] > c->rows - sr || c->block_cols[b] > c->cols - sc)
                return dmf_fail(DMF_ERR_SHAPE, "%s (blockdiag): block %zu (%zu x %zu) goes beyond the %zu x %zu "
                                "factor", what, b, c->block_rows[b], c->block_cols[b], c->rows, c->cols);
            sr += c->block_rows[b];
            sc += c->block_cols[b];
        }
        if (sr != c->rows || sc != c->cols)
            return dmf_fail(DMF_ERR_SHAPE, "%s (blockdiag): the blocks cover %zu x %zu of the %zu x %zu factor",
                            what, sr, sc, c->rows, c->cols);
    }
    return DMF_OK;
}

int dmf_constraint_project(const dmf_constraint *c, dmf_matrix *x)
{
    if (!c || !x) return dmf_fail(DMF_ERR_ARG, "dmf_constraint_project: NULL argument");
    DMF_TRY(dmf_palm_check_constraint(c, x->dtype, "the constraint"));
    if (x->rows != c->rows || x->cols != c->cols)
        return dmf_fail(DMF_ERR_SHAPE, "the constraint is for %zu x %zu factors, the matrix is %zu x %zu", c->rows,
                        c->cols, x->rows, x->cols);
    return dmf_palm_project(x->dtype, c, x->data);
}

void dmf_palm_default_start(dmf_dtype dtype, const dmf_constraint *c, int zero, void *x)
{
    size_t n = c->rows * c->cols, size = dmf_dtype_size(dtype);
    if (c->kind == DMF_CONS_CONST) {
        memcpy(x, c->matrix->data, n * size);
        return;
    }
    memset(x, 0, n * size);
    for (size_t i = 0; !zero && i < c->rows && i < c->cols; i++) dmf_set(dtype, x, i * c->cols + i, 1);
}
