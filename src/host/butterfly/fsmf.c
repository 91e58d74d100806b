/* Fixed-support two-factor factorization A ~ X Y (Le, Riccietti, Gribonval).
 *
 * Inner indices k are grouped by their rank-one support
 * supp(X[:, k]) x supp(Y[k, :]).  When the classes are pairwise disjoint or
 * identical, a truncated SVD of A on each class's rectangle is optimal.
 * Otherwise the same steps run greedily on the residual, which is the
 * masked rank-one algorithm of the paper, and the report says it may not
 * be optimal; when the supports are identifiable, the rank-one completion
 * (fsmf_complete.c) is tried too and kept if its error is lower. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "fsmf_internal.h"
#include "scale.h"

typedef struct {
    size_t first_k, size; /* class members are k with class_of[k] == this */
    size_t *rows, *cols;
    size_t num_rows, num_cols;
} support_class;

typedef struct {
    size_t K, num_classes;
    size_t *class_of;     /* per k */
    support_class *classes;
} class_table;

static void class_table_free(class_table *t)
{
    for (size_t c = 0; c < t->num_classes; c++) {
        free(t->classes[c].rows);
        free(t->classes[c].cols);
    }
    free(t->classes);
    free(t->class_of);
}

static int nonzero(const dmf_matrix *m, size_t i, size_t j)
{
    return dmf_get(m->dtype, m->data, i * m->cols + j) != 0;
}

/* Rows of column k of sx and columns of row k of sy, as sorted index lists. */
static int support_lists(const dmf_matrix *sx, const dmf_matrix *sy, size_t k, support_class *c)
{
    c->rows = malloc((sx->rows ? sx->rows : 1) * sizeof(size_t));
    c->cols = malloc((sy->cols ? sy->cols : 1) * sizeof(size_t));
    if (!c->rows || !c->cols) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate support lists");
    c->num_rows = c->num_cols = 0;
    for (size_t i = 0; i < sx->rows; i++)
        if (nonzero(sx, i, k)) c->rows[c->num_rows++] = i;
    for (size_t j = 0; j < sy->cols; j++)
        if (nonzero(sy, k, j)) c->cols[c->num_cols++] = j;
    return DMF_OK;
}

static int same_support(const support_class *a, const support_class *b)
{
    return a->num_rows == b->num_rows && a->num_cols == b->num_cols &&
           !memcmp(a->rows, b->rows, a->num_rows * sizeof(size_t)) &&
           !memcmp(a->cols, b->cols, a->num_cols * sizeof(size_t));
}

static uint64_t hash_support(const support_class *c)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < c->num_rows; i++) h = (h ^ c->rows[i]) * 1099511628211ull;
    h = (h ^ 0xFFu) * 1099511628211ull;
    for (size_t j = 0; j < c->num_cols; j++) h = (h ^ c->cols[j]) * 1099511628211ull;
    return h;
}

typedef struct { uint64_t hash; size_t k; } hashed_k;

static int compare_hashed(const void *x, const void *y)
{
    const hashed_k *a = x, *b = y;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* Groups the K inner indices by identical support (hash, then compare). */
static int build_classes(const dmf_matrix *sx, const dmf_matrix *sy, class_table *t)
{
    size_t K = sx->cols;
    memset(t, 0, sizeof *t);
    t->K = K;
    support_class *each = calloc(K ? K : 1, sizeof *each);
    hashed_k *order = malloc((K ? K : 1) * sizeof *order);
    t->class_of = malloc((K ? K : 1) * sizeof(size_t));
    t->classes = calloc(K ? K : 1, sizeof *t->classes);
    int status = (each && order && t->class_of && t->classes)
                     ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu support classes", K);
    for (size_t k = 0; status == DMF_OK && k < K; k++) {
        status = support_lists(sx, sy, k, &each[k]);
        order[k] = (hashed_k){hash_support(&each[k]), k};
    }
    if (status == DMF_OK) {
        qsort(order, K, sizeof *order, compare_hashed);
        for (size_t s = 0; s < K; s++) {
            size_t k = order[s].k;
            size_t found = t->num_classes;
            /* Equal hashes sit together; compare within the run. */
            for (size_t r = s; r-- > 0 && order[r].hash == order[s].hash;)
                if (same_support(&t->classes[t->class_of[order[r].k]], &each[k])) {
                    found = t->class_of[order[r].k];
                    break;
                }
            if (found == t->num_classes) {
                t->classes[found] = (support_class){k, 0, each[k].rows, each[k].cols,
                                                    each[k].num_rows, each[k].num_cols};
                each[k].rows = each[k].cols = NULL;
                t->num_classes++;
            }
            t->class_of[k] = found;
            t->classes[found].size++;
            if (k < t->classes[found].first_k) t->classes[found].first_k = k;
        }
    }
    for (size_t k = 0; k < K && each; k++) {
        free(each[k].rows);
        free(each[k].cols);
    }
    free(each);
    free(order);
    if (status != DMF_OK) class_table_free(t);
    return status;
}

static int lists_intersect(const size_t *a, size_t na, const size_t *b, size_t nb)
{
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (a[i] == b[j]) return 1;
        if (a[i] < b[j]) i++;
        else j++;
    }
    return 0;
}

/* Finds two distinct classes whose rectangles overlap; only classes that
 * share a row need their columns compared. */
static int find_overlap(const class_table *t, size_t rows, size_t *c1, size_t *c2)
{
    size_t *count = calloc(rows + 1, sizeof *count);
    if (!count) return -1;
    for (size_t c = 0; c < t->num_classes; c++)
        for (size_t i = 0; i < t->classes[c].num_rows; i++) count[t->classes[c].rows[i] + 1]++;
    for (size_t i = 0; i < rows; i++) count[i + 1] += count[i];
    size_t *members = malloc((count[rows] ? count[rows] : 1) * sizeof *members);
    size_t *fill = malloc((rows ? rows : 1) * sizeof *fill);
    int found = members && fill ? 0 : -1;
    if (found == 0) {
        memcpy(fill, count, rows * sizeof *fill);
        for (size_t c = 0; c < t->num_classes; c++)
            for (size_t i = 0; i < t->classes[c].num_rows; i++)
                members[fill[t->classes[c].rows[i]]++] = c;
        for (size_t i = 0; i < rows && !found; i++)
            for (size_t x = count[i]; x < count[i + 1] && !found; x++)
                for (size_t y = x + 1; y < count[i + 1] && !found; y++) {
                    const support_class *a = &t->classes[members[x]], *b = &t->classes[members[y]];
                    if (lists_intersect(a->cols, a->num_cols, b->cols, b->num_cols)) {
                        *c1 = a->first_k < b->first_k ? a->first_k : b->first_k;
                        *c2 = a->first_k < b->first_k ? b->first_k : a->first_k;
                        found = 1;
                    }
                }
    }
    free(count);
    free(members);
    free(fill);
    return found;
}

/* Best rank-s approximation of R[rows, cols] (double complex working copy
 * of the residual, M x N); writes X[:, k], Y[k, :] for the class members and
 * subtracts the approximation from the residual. */
static int solve_class(const support_class *cl, const size_t *class_of, size_t my_class, size_t K,
                       int is_complex, double complex *resid, size_t N, double complex *X,
                       double complex *Y)
{
    size_t m = cl->num_rows, n = cl->num_cols, kmin = m < n ? m : n;
    if (m == 0 || n == 0) return DMF_OK;
    double complex *blk = malloc(m * n * sizeof *blk), *u = malloc(m * kmin * sizeof *u),
                   *vt = malloc(kmin * n * sizeof *vt);
    double *s = malloc((kmin + 1) * sizeof *s);
    int status = blk && u && vt && s ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate an SVD");
    if (status == DMF_OK) {
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) blk[a * n + b] = resid[cl->rows[a] * N + cl->cols[b]];
        status = dmf_svd(is_complex, m, n, blk, s, u, vt);
        if (status != DMF_OK)
            status = dmf_fail_context(status, "support class of k = %zu", cl->first_k);
    }
    size_t t = 0;
    for (size_t k = 0; status == DMF_OK && k < K; k++) {
        if (class_of[k] != my_class) continue;
        double root = t < kmin ? sqrt(s[t]) : 0;
        for (size_t a = 0; a < m; a++) X[cl->rows[a] * K + k] = t < kmin ? u[a * kmin + t] * root : 0;
        for (size_t b = 0; b < n; b++) Y[k * N + cl->cols[b]] = t < kmin ? vt[t * n + b] * root : 0;
        for (size_t a = 0; a < m && t < kmin; a++)
            for (size_t b = 0; b < n; b++)
                resid[cl->rows[a] * N + cl->cols[b]] -= u[a * kmin + t] * s[t] * vt[t * n + b];
        t++;
    }
    free(blk);
    free(u);
    free(vt);
    free(s);
    return status;
}

static int check_fsmf_shapes(const dmf_matrix *a, const dmf_matrix *sx, const dmf_matrix *sy)
{
    if (sx->rows != a->rows)
        return dmf_fail(DMF_ERR_SHAPE, "the support of X has %zu rows but A has %zu", sx->rows, a->rows);
    if (sy->cols != a->cols)
        return dmf_fail(DMF_ERR_SHAPE, "the support of Y has %zu columns but A has %zu", sy->cols,
                        a->cols);
    if (sx->cols != sy->rows)
        return dmf_fail(DMF_ERR_SHAPE, "the supports disagree on the inner size: X has %zu "
                                       "columns, Y has %zu rows", sx->cols, sy->rows);
    DMF_TRY(dmf_matrix_check_finite(a));
    DMF_TRY(dmf_matrix_check_finite(sx));
    return dmf_matrix_check_finite(sy);
}

static double complex ldexp_complex(double complex z, int shift)
{
    return shift ? dmf_make_complex(ldexp(creal(z), shift), ldexp(cimag(z), shift)) : z;
}

/* X or Y rounded to the dtype: DMF_ERR_NUMERIC when an entry overflowed. */
static int check_finite_factor(const char *name, const dmf_matrix *m)
{
    if (dmf_matrix_check_finite(m) == DMF_OK) return DMF_OK;
    return dmf_fail(DMF_ERR_NUMERIC, "%s: %s does not fit %s", name, dmf_last_error(),
                    dmf_dtype_name(m->dtype));
}

static int copy_out(dmf_dtype dtype, const double complex *src, size_t rows, size_t cols,
                    dmf_matrix **out)
{
    DMF_TRY(dmf_matrix_create(out, dtype, rows, cols));
    for (size_t e = 0; e < rows * cols; e++) dmf_set(dtype, (*out)->data, e, src[e]);
    return DMF_OK;
}

int dmf_fsmf(dmf_context *ctx, const dmf_matrix *a, const dmf_matrix *sx, const dmf_matrix *sy,
             dmf_matrix **x, dmf_matrix **y, dmf_fsmf_report *report)
{
    *x = *y = NULL;
    DMF_TRY(check_fsmf_shapes(a, sx, sy));
    const size_t M = a->rows, N = a->cols, K = sx->cols;
    class_table t;
    DMF_TRY(build_classes(sx, sy, &t));
    dmf_fsmf_report rep = {0};
    rep.num_classes = t.num_classes;
    for (size_t c = 0; c < t.num_classes; c++)
        if (t.classes[c].size > rep.largest_class) rep.largest_class = t.classes[c].size;
    int overlap = find_overlap(&t, M, &rep.conflict_k1, &rep.conflict_k2);
    double complex *resid = malloc((M * N + 1) * sizeof *resid);
    double complex *X = calloc(M * K + 1, sizeof *X), *Y = calloc(K * N + 1, sizeof *Y);
    int status = overlap >= 0 && resid && X && Y ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate FSMF buffers");
    rep.disjoint_or_identical = rep.optimal = overlap == 0;
    /* Classes in order of their first inner index: the greedy order. */
    size_t *order = malloc((t.num_classes ? t.num_classes : 1) * sizeof *order);
    if (status == DMF_OK && !order) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate FSMF buffers");
    /* The work is in double: entries beyond 2^+-459 are brought near 1 by
     * a power of two (exact), so the squares of the SVDs and of the error
     * neither overflow nor vanish, and the scale goes back into X and Y. */
    int shift = dmf_range_shift_beyond(a->dtype, a->data, M * N, DMF_SAFE_EXP_DOUBLE);
    double norm_sq = 0, diff = 0, diff_c = 0;
    double complex *Xc = NULL, *Yc = NULL;
    int applied = 0, exact = 0;
    if (status == DMF_OK) {
        for (size_t e = 0; e < M * N; e++) resid[e] = ldexp_complex(dmf_get(a->dtype, a->data, e), shift);
        if (shift)
            for (size_t e = 0; e < M * N; e++) norm_sq += creal(resid[e] * conj(resid[e]));
        dmf_ident_report ident;
        status = dmf_fsmf_identifiability(sx, sy, NULL, &ident);
        rep.identifiable = ident.identifiable;
    }
    double norm = shift ? sqrt(norm_sq) : dmf_matrix_norm_fro(a);
    /* Identifiable overlapping supports: the rank-one completion recovers
     * an exact factorization, and then the greedy pass is not needed; on
     * other data it is one more candidate, kept when its error is lower. */
    if (status == DMF_OK && overlap && rep.identifiable == DMF_IDENT_YES) {
        Xc = malloc((M * K + 1) * sizeof *Xc), Yc = malloc((K * N + 1) * sizeof *Yc);
        status = Xc && Yc ? dmf_fsmf_complete(sx, sy, resid, Xc, Yc, &diff_c, &applied)
                          : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the completion's factors");
        exact = applied && sqrt(diff_c) <= 1e-12 * norm;
    }
    if (status == DMF_OK && !exact) {
        size_t n_order = 0;
        for (size_t k = 0; k < K; k++)
            if (t.classes[t.class_of[k]].first_k == k) order[n_order++] = t.class_of[k];
        for (size_t c = 0; c < n_order && status == DMF_OK; c++)
            status = solve_class(&t.classes[order[c]], t.class_of, order[c], K,
                                 dmf_dtype_is_complex(a->dtype), resid, N, X, Y);
    }
    for (size_t e = 0; status == DMF_OK && !exact && e < M * N; e++) diff += creal(resid[e] * conj(resid[e]));
    if (status == DMF_OK && applied && (exact || diff_c < diff)) {
        memcpy(X, Xc, M * K * sizeof *X);
        memcpy(Y, Yc, K * N * sizeof *Y);
        diff = diff_c;
        rep.completed = 1;
    }
    free(Xc);
    free(Yc);
    if (status == DMF_OK) {
        rep.rel_error = norm > 0 ? sqrt(diff) / norm : sqrt(diff);
        /* An exact completion is a global minimum (zero, up to rounding). */
        if (rep.completed && rep.rel_error <= 1e-12) rep.optimal = 1;
        /* X = U sqrt(S) and Y = sqrt(S) V^H share the scale: half each. */
        int to_x = -shift / 2, to_y = -shift - to_x;
        for (size_t e = 0; shift && e < M * K; e++) X[e] = ldexp_complex(X[e], to_x);
        for (size_t e = 0; shift && e < K * N; e++) Y[e] = ldexp_complex(Y[e], to_y);
        status = copy_out(a->dtype, X, M, K, x);
        if (status == DMF_OK) status = copy_out(a->dtype, Y, K, N, y);
        if (status == DMF_OK && !isfinite(rep.rel_error))
            status = dmf_fail(DMF_ERR_NUMERIC, "the relative error is not finite");
        if (status == DMF_OK) status = check_finite_factor("X", *x);
        if (status == DMF_OK) status = check_finite_factor("Y", *y);
        if (status != DMF_OK) {
            dmf_matrix_free(*x);
            dmf_matrix_free(*y);
            *x = *y = NULL;
        }
    }
    free(order);
    class_table_free(&t);
    free(resid);
    free(X);
    free(Y);
    (void)ctx; /* the class SVDs are few and irregular: they run on the host */
    if (report) *report = rep;
    return status;
}
