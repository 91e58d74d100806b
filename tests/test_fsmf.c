/* Fixed-support two-factor factorization A ~ X Y: known answers.
 *
 * - disjoint rank-one supports (block patterns, two-factor butterfly
 *   supports, rectangles sharing rows or columns only): exact recovery of
 *   A = X0 Y0 and "optimal";
 * - one class of identical full supports of size r: the error is that of
 *   the truncated SVD, sqrt(sum_{i >= r} s_i^2) / ||A||_F (LAPACK);
 * - mixed disjoint and identical classes, with interleaved inner indices;
 * - overlapping supports (LU-like triangular patterns): not optimal, the
 *   named pair of inner indices really overlaps, and the greedy error is at
 *   most 1 (every greedy step replaces the residual on one rectangle by its
 *   best rank-s residual, which never increases the Frobenius norm);
 * - X and Y vanish outside their supports and X Y reproduces the reported
 *   error;
 * - random small supports: the verdict agrees with a brute-force pairwise
 *   check of the rectangles;
 * - shape errors, non-finite input, empty classes, A = 0;
 * - identifiability: the 4 x 4 example of Zheng, Gribonval and Riccietti is
 *   identifiable and completed exactly, piece by piece, in every dtype;
 *   LU and disjoint supports are identifiable (LU completes for any A);
 *   supports the completion cannot finish are named: a piece inside
 *   another (rank test, one extra dimension), two pieces on one support,
 *   a piece with rows but no columns, and one case left "unknown";
 *   random exact data on identifiable supports is recovered exactly.
 *
 * Tolerances: 1e-12 in double and 1e-5 in single (as in docs/butterfly.md). */
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#define TEST_RNG_SEED 0x9E3779B97F4A7C15ull
#include "dense_access.h"

static double tolerance(dmf_dtype dtype) { return dmf_dtype_eps(dtype) > 1e-10 ? 1e-5 : 1e-12; }

static double complex random_entry(dmf_dtype dtype)
{
    return dmf_dtype_is_complex(dtype) ? gauss() + I * gauss() : gauss();
}

typedef int (*pattern_fn)(size_t i, size_t j);

/* 0/1 pattern from a predicate (dtype f64 unless told). */
static dmf_matrix *pattern(size_t rows, size_t cols, pattern_fn fn, dmf_dtype dtype)
{
    dmf_matrix *p = NULL;
    CHECK_OK(dmf_matrix_create(&p, dtype, rows, cols));
    if (!p) return NULL;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) set(p, i, j, fn(i, j) ? 1.0 : 0.0);
    return p;
}

/* Random values on the support of `s`, zero elsewhere. */
static dmf_matrix *random_on(const dmf_matrix *s, dmf_dtype dtype)
{
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_matrix_create(&m, dtype, dmf_matrix_rows(s), dmf_matrix_cols(s)));
    if (!m) return NULL;
    for (size_t i = 0; i < dmf_matrix_rows(s); i++)
        for (size_t j = 0; j < dmf_matrix_cols(s); j++)
            set(m, i, j, get(s, i, j) != 0 ? random_entry(dtype) : 0.0);
    return m;
}

static dmf_matrix *random_dense(size_t rows, size_t cols, dmf_dtype dtype)
{
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_matrix_create(&m, dtype, rows, cols));
    if (!m) return NULL;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) set(m, i, j, random_entry(dtype));
    return m;
}

/* Dense product in the dtype of x (computed in double complex). */
static dmf_matrix *product(const dmf_matrix *x, const dmf_matrix *y)
{
    dmf_matrix *p = NULL;
    size_t M = dmf_matrix_rows(x), K = dmf_matrix_cols(x), N = dmf_matrix_cols(y);
    CHECK_OK(dmf_matrix_create(&p, dmf_matrix_dtype(x), M, N));
    if (!p) return NULL;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double complex s = 0;
            for (size_t k = 0; k < K; k++) s += get(x, i, k) * get(y, k, j);
            set(p, i, j, s);
        }
    return p;
}

/* ||A - X Y||_F / ||A||_F computed here in double. */
static double dense_rel_error(const dmf_matrix *a, const dmf_matrix *x, const dmf_matrix *y)
{
    size_t M = dmf_matrix_rows(a), N = dmf_matrix_cols(a), K = dmf_matrix_cols(x);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double complex s = 0;
            for (size_t k = 0; k < K; k++) s += get(x, i, k) * get(y, k, j);
            double complex r = get(a, i, j) - s;
            diff += creal(r * conj(r));
            norm += creal(get(a, i, j) * conj(get(a, i, j)));
        }
    return norm > 0 ? sqrt(diff / norm) : sqrt(diff);
}

/* X and Y have the shapes and dtype implied by the inputs and vanish
 * outside the supports; X Y reproduces the reported error. */
static void check_outputs(const char *what, const dmf_matrix *a, const dmf_matrix *sx,
                          const dmf_matrix *sy, const dmf_matrix *x, const dmf_matrix *y,
                          const dmf_fsmf_report *rep)
{
    CHECK(x && y, "%s: no X or Y returned", what);
    if (!x || !y) return;
    dmf_dtype dt = dmf_matrix_dtype(a);
    CHECK(dmf_matrix_dtype(x) == dt && dmf_matrix_dtype(y) == dt, "%s: X/Y dtype %s/%s, A is %s",
          what, dmf_dtype_name(dmf_matrix_dtype(x)), dmf_dtype_name(dmf_matrix_dtype(y)),
          dmf_dtype_name(dt));
    CHECK(dmf_matrix_rows(x) == dmf_matrix_rows(sx) && dmf_matrix_cols(x) == dmf_matrix_cols(sx),
          "%s: X is %zu x %zu, support %zu x %zu", what, dmf_matrix_rows(x), dmf_matrix_cols(x),
          dmf_matrix_rows(sx), dmf_matrix_cols(sx));
    CHECK(dmf_matrix_rows(y) == dmf_matrix_rows(sy) && dmf_matrix_cols(y) == dmf_matrix_cols(sy),
          "%s: Y is %zu x %zu, support %zu x %zu", what, dmf_matrix_rows(y), dmf_matrix_cols(y),
          dmf_matrix_rows(sy), dmf_matrix_cols(sy));
    size_t outside = 0;
    for (size_t i = 0; i < dmf_matrix_rows(x); i++)
        for (size_t k = 0; k < dmf_matrix_cols(x); k++)
            if (get(sx, i, k) == 0 && get(x, i, k) != 0) outside++;
    for (size_t k = 0; k < dmf_matrix_rows(y); k++)
        for (size_t j = 0; j < dmf_matrix_cols(y); j++)
            if (get(sy, k, j) == 0 && get(y, k, j) != 0) outside++;
    CHECK(outside == 0, "%s: %zu entries of X/Y outside their supports", what, outside);
    double err = dense_rel_error(a, x, y);
    /* The report is computed on the double residual; X, Y are stored in
     * the dtype, so single precision differs by a few unit roundoffs. */
    double tol = dmf_dtype_eps(dt) > 1e-10 ? 1e-5 : 1e-12;
    CHECK(fabs(err - rep->rel_error) <= tol * (1 + rep->rel_error),
          "%s %s: X Y gives rel_error %.6g, report says %.6g", what, dmf_dtype_name(dt), err,
          rep->rel_error);
}

/* Runs dmf_fsmf and checks the common invariants. */
static int run_fsmf(const char *what, const dmf_matrix *a, const dmf_matrix *sx,
                    const dmf_matrix *sy, dmf_fsmf_report *rep, dmf_matrix **xo, dmf_matrix **yo)
{
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    dmf_matrix *x = NULL, *y = NULL;
    memset(rep, 0, sizeof *rep);
    rep->rel_error = NAN;
    int status = dmf_fsmf(ctx, a, sx, sy, &x, &y, rep);
    CHECK(status == DMF_OK, "%s: dmf_fsmf -> %s (%s)", what, dmf_status_string(status), dmf_last_error());
    if (status == DMF_OK) {
        CHECK(isfinite(rep->rel_error) && rep->rel_error >= 0, "%s: rel_error %g", what, rep->rel_error);
        int exact_completion = rep->completed && rep->rel_error <= 1e-12;
        CHECK(rep->optimal == (rep->disjoint_or_identical || exact_completion),
              "%s: optimal %d but disjoint_or_identical %d, completed %d", what, rep->optimal,
              rep->disjoint_or_identical, rep->completed);
        CHECK(!rep->completed || rep->identifiable == DMF_IDENT_YES, "%s: completed but identifiable %d",
              what, rep->identifiable);
        check_outputs(what, a, sx, sy, x, y, rep);
    }
    if (xo) *xo = x;
    else dmf_matrix_free(x);
    if (yo) *yo = y;
    else dmf_matrix_free(y);
    dmf_context_free(ctx);
    return status;
}

/* Builds A = X0 Y0 on the supports and checks exact, optimal recovery. */
static void check_exact(const char *what, dmf_matrix *sx, dmf_matrix *sy, dmf_dtype dt,
                        size_t classes, size_t largest)
{
    dmf_matrix *x0 = random_on(sx, dt), *y0 = random_on(sy, dt);
    dmf_matrix *a = product(x0, y0);
    dmf_fsmf_report rep;
    if (run_fsmf(what, a, sx, sy, &rep, NULL, NULL) == DMF_OK) {
        double tol = tolerance(dt);
        CHECK(rep.optimal == 1 && rep.disjoint_or_identical == 1,
              "%s %s: optimal %d, disjoint_or_identical %d (conflict %zu, %zu)", what,
              dmf_dtype_name(dt), rep.optimal, rep.disjoint_or_identical, rep.conflict_k1,
              rep.conflict_k2);
        CHECK(rep.rel_error <= tol, "%s %s: rel_error %.3g > %.1g", what, dmf_dtype_name(dt),
              rep.rel_error, tol);
        CHECK(rep.num_classes == classes, "%s: %zu classes, expected %zu", what, rep.num_classes, classes);
        CHECK(rep.largest_class == largest, "%s: largest class %zu, expected %zu", what,
              rep.largest_class, largest);
    }
    dmf_matrix_free(a);
    dmf_matrix_free(x0);
    dmf_matrix_free(y0);
}

/* ---- disjoint supports --------------------------------------------------- */

/* 6 x 3 and 3 x 8: class k is rows {2k, 2k+1} x a column block of its own
 * (columns 0-1, 2-4, 5-7). */
static int blk_x(size_t i, size_t k) { return i / 2 == k; }
static int blk_y(size_t k, size_t j) { return (j < 2 ? 0 : j < 5 ? 1 : 2) == k; }

/* Two-factor butterfly of size 4: F_0 = 1_{2x2} (x) I_2, F_1 = I_2 (x) 1_{2x2}. */
static int bf_x(size_t i, size_t k) { return i % 2 == k % 2; }
static int bf_y(size_t k, size_t j) { return k / 2 == j / 2; }

/* Rectangles that share rows only or columns only:
 * k0 rows {0,1} cols {0,1}, k1 rows {0,1} cols {2,3}, k2 rows {2,3} cols {0,1}. */
static int share_x(size_t i, size_t k) { return k == 2 ? i >= 2 : i < 2; }
static int share_y(size_t k, size_t j) { return k == 1 ? j >= 2 : j < 2; }

static void test_disjoint(void)
{
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *sx = pattern(6, 3, blk_x, DMF_F64), *sy = pattern(3, 8, blk_y, DMF_F64);
        check_exact("block diagonal", sx, sy, dt, 3, 1);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
        sx = pattern(4, 4, bf_x, DMF_F64);
        sy = pattern(4, 4, bf_y, DMF_F64);
        check_exact("butterfly 4", sx, sy, dt, 4, 1);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
        /* Patterns of another dtype (nonzero = in the support). */
        sx = pattern(4, 3, share_x, DMF_C64);
        sy = pattern(3, 4, share_y, DMF_F32);
        check_exact("shared rows/cols", sx, sy, dt, 3, 1);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
    }
    /* The Hadamard matrix of size 4 factors exactly on the butterfly supports. */
    dmf_matrix_spec spec = {"hadamard", 4, 4, DMF_F64, 0, 1, NULL, NULL, 0};
    dmf_matrix *h = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &h));
    dmf_matrix *sx = pattern(4, 4, bf_x, DMF_F64), *sy = pattern(4, 4, bf_y, DMF_F64);
    dmf_fsmf_report rep;
    if (h && run_fsmf("hadamard 4", h, sx, sy, &rep, NULL, NULL) == DMF_OK)
        CHECK(rep.optimal && rep.rel_error <= 1e-12, "hadamard 4: optimal %d, rel_error %.3g",
              rep.optimal, rep.rel_error);
    dmf_matrix_free(h);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
}

/* ---- identical classes: truncated SVD ------------------------------------ */

static int ones(size_t i, size_t j) { (void)i; (void)j; return 1; }

/* Singular values of a (descending) by LAPACK; returns how many. */
static size_t singular_values(const dmf_matrix *a, double *s)
{
    size_t M = dmf_matrix_rows(a), N = dmf_matrix_cols(a), kmin = M < N ? M : N;
    double superb[64];
    lapack_int info;
    if (dmf_dtype_is_complex(dmf_matrix_dtype(a))) {
        double complex *w = malloc(M * N * sizeof *w);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) w[i * N + j] = get(a, i, j);
        info = LAPACKE_zgesvd(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)M, (lapack_int)N, w,
                              (lapack_int)N, s, NULL, 1, NULL, 1, superb);
        free(w);
    } else {
        double *w = malloc(M * N * sizeof *w);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) w[i * N + j] = creal(get(a, i, j));
        info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)M, (lapack_int)N, w,
                              (lapack_int)N, s, NULL, 1, NULL, 1, superb);
        free(w);
    }
    CHECK(info == 0, "reference SVD failed (info %d)", (int)info);
    return kmin;
}

static void test_identical(void)
{
    const size_t M = 9, N = 7;
    dmf_dtype dts[2] = {DMF_F64, DMF_C128};
    for (int t = 0; t < 2; t++) {
        dmf_matrix *a = random_dense(M, N, dts[t]);
        double s[16];
        size_t kmin = singular_values(a, s);
        double norm2 = 0;
        for (size_t i = 0; i < kmin; i++) norm2 += s[i] * s[i];
        for (size_t r = 1; r <= N + 1; r++) {
            char what[64];
            snprintf(what, sizeof what, "full supports %s r=%zu", dmf_dtype_name(dts[t]), r);
            dmf_matrix *sx = pattern(M, r, ones, DMF_F64), *sy = pattern(r, N, ones, DMF_F64);
            dmf_fsmf_report rep;
            if (run_fsmf(what, a, sx, sy, &rep, NULL, NULL) == DMF_OK) {
                double tail = 0;
                for (size_t i = r; i < kmin; i++) tail += s[i] * s[i];
                double expected = sqrt(tail / norm2);
                CHECK(rep.optimal == 1, "%s: not optimal", what);
                CHECK(rep.num_classes == 1 && rep.largest_class == r, "%s: %zu classes, largest %zu",
                      what, rep.num_classes, rep.largest_class);
                if (r < kmin)
                    CHECK(fabs(rep.rel_error - expected) <= 1e-10 * expected,
                          "%s: rel_error %.15g, truncated SVD gives %.15g", what, rep.rel_error, expected);
                else
                    CHECK(rep.rel_error <= 1e-12, "%s: rank >= min(M, N) but rel_error %.3g", what,
                          rep.rel_error);
            }
            dmf_matrix_free(sx);
            dmf_matrix_free(sy);
        }
        dmf_matrix_free(a);
    }
}

/* ---- mixed disjoint and identical classes ------------------------------- */

/* 6 x 5 and 5 x 7.  Class P = {k0, k2}: rows 0-2 x cols 0-2; class Q =
 * {k1, k3}: rows 3-5 x cols 3-6; singleton k4: rows 0-2 x cols 3-6. */
static int mix_x(size_t i, size_t k) { return k == 1 || k == 3 ? i >= 3 : i < 3; }
static int mix_y(size_t k, size_t j) { return k == 0 || k == 2 ? j < 3 : j >= 3; }

static void test_mixed(void)
{
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *sx = pattern(6, 5, mix_x, DMF_F64), *sy = pattern(5, 7, mix_y, DMF_F64);
        check_exact("mixed classes", sx, sy, dt, 3, 2);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
    }
    /* On a random A, each class gets the truncated SVD of its rectangle, so
     * the error is the sum of the rectangles' SVD tails plus what lies
     * outside every rectangle (rows 3-5 x cols 0-2). */
    dmf_matrix *sx = pattern(6, 5, mix_x, DMF_F64), *sy = pattern(5, 7, mix_y, DMF_F64);
    dmf_matrix *a = random_dense(6, 7, DMF_F64);
    struct { size_t r0, nr, c0, nc, rank; } rect[4] = {
        {0, 3, 0, 3, 2}, {3, 3, 3, 4, 2}, {0, 3, 3, 4, 1}, {3, 3, 0, 3, 0}};
    double expected = 0;
    for (int q = 0; q < 4; q++) {
        dmf_matrix *sub = NULL;
        CHECK_OK(dmf_matrix_create(&sub, DMF_F64, rect[q].nr, rect[q].nc));
        for (size_t i = 0; i < rect[q].nr; i++)
            for (size_t j = 0; j < rect[q].nc; j++) set(sub, i, j, get(a, rect[q].r0 + i, rect[q].c0 + j));
        double s[8];
        size_t kmin = singular_values(sub, s);
        for (size_t i = rect[q].rank; i < kmin; i++) expected += s[i] * s[i];
        dmf_matrix_free(sub);
    }
    expected = sqrt(expected) / dmf_matrix_norm_fro(a);
    dmf_fsmf_report rep;
    if (run_fsmf("mixed classes, random A", a, sx, sy, &rep, NULL, NULL) == DMF_OK) {
        CHECK(rep.optimal == 1, "mixed classes, random A: not optimal");
        CHECK(fabs(rep.rel_error - expected) <= 1e-10 * expected,
              "mixed classes, random A: rel_error %.15g, expected %.15g", rep.rel_error, expected);
    }
    dmf_matrix_free(a);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
}

/* ---- overlapping supports ----------------------------------------------- */

static int lower(size_t i, size_t k) { return i >= k; }
static int upper(size_t k, size_t j) { return j >= k; }

/* k0 rows {0,1} x cols {0,1}; k1 rows {2,3} x cols {2,3}; k2 rows {1,2} x
 * col {0}: only k0 and k2 overlap (at (1, 0)). */
static int one_x(size_t i, size_t k) { return k == 0 ? i < 2 : k == 1 ? i >= 2 : (i == 1 || i == 2); }
static int one_y(size_t k, size_t j) { return k == 0 ? j < 2 : k == 1 ? j >= 2 : j == 0; }

static int rectangles_overlap(const dmf_matrix *sx, const dmf_matrix *sy, size_t k1, size_t k2)
{
    if (k1 >= dmf_matrix_cols(sx) || k2 >= dmf_matrix_cols(sx)) return 0;
    int row = 0, col = 0;
    for (size_t i = 0; i < dmf_matrix_rows(sx); i++)
        if (get(sx, i, k1) != 0 && get(sx, i, k2) != 0) row = 1;
    for (size_t j = 0; j < dmf_matrix_cols(sy); j++)
        if (get(sy, k1, j) != 0 && get(sy, k2, j) != 0) col = 1;
    return row && col;
}

static void check_overlap(const char *what, const dmf_matrix *a, const dmf_matrix *sx,
                          const dmf_matrix *sy, int exact_pair, size_t k1, size_t k2)
{
    dmf_fsmf_report rep;
    if (run_fsmf(what, a, sx, sy, &rep, NULL, NULL) != DMF_OK) return;
    CHECK(rep.disjoint_or_identical == 0 && rep.optimal == (exact_pair ? 0 : 1),
          "%s: disjoint_or_identical %d, optimal %d", what, rep.disjoint_or_identical, rep.optimal);
    /* Both patterns here are identifiable; the LU pattern is completed
     * exactly for any A whose leading minors do not vanish (it has an LU). */
    CHECK(rep.identifiable == DMF_IDENT_YES, "%s: identifiable %d", what, rep.identifiable);
    if (!exact_pair)
        CHECK(rep.completed && rep.rel_error <= 1e-12, "%s: completed %d, rel_error %.3g", what,
              rep.completed, rep.rel_error);
    CHECK(rep.conflict_k1 < rep.conflict_k2, "%s: conflict pair (%zu, %zu) not ordered", what,
          rep.conflict_k1, rep.conflict_k2);
    CHECK(rectangles_overlap(sx, sy, rep.conflict_k1, rep.conflict_k2),
          "%s: inner indices %zu and %zu do not overlap", what, rep.conflict_k1, rep.conflict_k2);
    if (exact_pair)
        CHECK(rep.conflict_k1 == k1 && rep.conflict_k2 == k2, "%s: conflict (%zu, %zu), expected (%zu, %zu)",
              what, rep.conflict_k1, rep.conflict_k2, k1, k2);
    CHECK(isfinite(rep.rel_error) && rep.rel_error <= 1 + 1e-12,
          "%s: greedy rel_error %.6g should be <= 1", what, rep.rel_error);
}

static void test_overlapping(void)
{
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        /* LU-like: X lower, Y upper triangular patterns, A = L U and a random A. */
        dmf_matrix *sx = pattern(5, 5, lower, DMF_F64), *sy = pattern(5, 5, upper, DMF_F64);
        dmf_matrix *l = random_on(sx, dt), *u = random_on(sy, dt);
        dmf_matrix *a = product(l, u);
        check_overlap("LU pattern, A = L U", a, sx, sy, 0, 0, 0);
        dmf_matrix_free(a);
        a = random_dense(5, 5, dt);
        check_overlap("LU pattern, random A", a, sx, sy, 0, 0, 0);
        dmf_matrix_free(a);
        dmf_matrix_free(l);
        dmf_matrix_free(u);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
        /* A single overlapping pair among otherwise disjoint classes. */
        sx = pattern(4, 3, one_x, DMF_F64);
        sy = pattern(3, 4, one_y, DMF_F64);
        a = random_dense(4, 4, dt);
        check_overlap("one overlapping pair", a, sx, sy, 1, 0, 2);
        dmf_matrix_free(a);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
    }
}

/* ---- random supports against a brute-force class analysis ------------- */

/* Two inner indices with the same nonempty rank-one support. */
static int shared_support(const dmf_matrix *sx, const dmf_matrix *sy)
{
    size_t M = dmf_matrix_rows(sx), K = dmf_matrix_cols(sx), N = dmf_matrix_cols(sy);
    for (size_t k1 = 0; k1 < K; k1++)
        for (size_t k2 = k1 + 1; k2 < K; k2++) {
            int same = 1, rows = 0, cols = 0;
            for (size_t i = 0; i < M; i++) {
                same &= (get(sx, i, k1) != 0) == (get(sx, i, k2) != 0);
                rows += get(sx, i, k1) != 0;
            }
            for (size_t j = 0; j < N; j++) {
                same &= (get(sy, k1, j) != 0) == (get(sy, k2, j) != 0);
                cols += get(sy, k1, j) != 0;
            }
            if (same && rows && cols) return 1;
        }
    return 0;
}

/* Random small patterns (some inner indices copied from others so that
 * identical classes occur): the report's verdict must match a pairwise
 * check of the rectangles; when optimal, A = X0 Y0 is recovered exactly;
 * the greedy error never exceeds 1. */
static void test_random_supports(void)
{
    for (int trial = 0; trial < 300; trial++) {
        size_t M = 1 + (size_t)(uniform() * 6), N = 1 + (size_t)(uniform() * 6);
        size_t K = 1 + (size_t)(uniform() * 5);
        double density = 0.2 + 0.6 * uniform();
        dmf_matrix *sx = NULL, *sy = NULL;
        CHECK_OK(dmf_matrix_create(&sx, DMF_F64, M, K));
        CHECK_OK(dmf_matrix_create(&sy, DMF_F64, K, N));
        if (!sx || !sy) return;
        for (size_t k = 0; k < K; k++) {
            size_t src = k > 0 && uniform() < 0.3 ? (size_t)(uniform() * k) : k;
            for (size_t i = 0; i < M; i++)
                set(sx, i, k, src != k ? get(sx, i, src) : uniform() < density ? 1.0 : 0.0);
            for (size_t j = 0; j < N; j++)
                set(sy, k, j, src != k ? get(sy, src, j) : uniform() < density ? 1.0 : 0.0);
        }
        int expect_ok = 1;
        for (size_t k1 = 0; k1 < K; k1++)
            for (size_t k2 = k1 + 1; k2 < K; k2++) {
                int same = 1;
                for (size_t i = 0; i < M; i++) same &= (get(sx, i, k1) != 0) == (get(sx, i, k2) != 0);
                for (size_t j = 0; j < N; j++) same &= (get(sy, k1, j) != 0) == (get(sy, k2, j) != 0);
                if (!same && rectangles_overlap(sx, sy, k1, k2)) expect_ok = 0;
            }
        dmf_dtype dt = trial % 2 ? DMF_C128 : DMF_F64;
        dmf_matrix *x0 = random_on(sx, dt), *y0 = random_on(sy, dt);
        dmf_matrix *a = product(x0, y0);
        char what[64];
        snprintf(what, sizeof what, "random supports trial %d (%zux%zux%zu)", trial, M, K, N);
        dmf_fsmf_report rep;
        if (run_fsmf(what, a, sx, sy, &rep, NULL, NULL) == DMF_OK) {
            CHECK(rep.disjoint_or_identical == expect_ok, "%s: disjoint_or_identical %d, brute force %d",
                  what, rep.disjoint_or_identical, expect_ok);
            if (!rep.disjoint_or_identical)
                CHECK(rep.conflict_k1 < rep.conflict_k2 &&
                          rectangles_overlap(sx, sy, rep.conflict_k1, rep.conflict_k2),
                      "%s: conflict pair (%zu, %zu) does not overlap", what, rep.conflict_k1,
                      rep.conflict_k2);
            if (rep.optimal)
                CHECK(rep.rel_error <= 1e-12, "%s: optimal but rel_error %.3g", what, rep.rel_error);
            /* A = X0 Y0 with all allowed entries nonzero: identifiable
             * supports are completed exactly; shared supports are not
             * identifiable. */
            if (rep.identifiable == DMF_IDENT_YES)
                CHECK(rep.rel_error <= 1e-10, "%s: identifiable but rel_error %.3g", what, rep.rel_error);
            if (shared_support(sx, sy))
                CHECK(rep.identifiable == DMF_IDENT_NO, "%s: two pieces share a support but identifiable %d",
                      what, rep.identifiable);
            CHECK(rep.rel_error <= 1 + 1e-12, "%s: rel_error %.6g > 1", what, rep.rel_error);
        }
        dmf_matrix_free(a);
        dmf_matrix_free(x0);
        dmf_matrix_free(y0);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
    }
}

/* ---- identifiability and the rank-one completion ----------------------- */

/* Slides of Zheng, Gribonval, Riccietti: A = X Y (4 x 3 x 4) with pieces
 * rows {1,2,3} x cols {0,1}, rows {0,1,2} x cols {1,2}, rows {2,3} x
 * cols {1,2,3} overlapping at (1,1), (2,1), (2,2), (3,1). */
static const double slide_x[4][3] = {{0, 1, 0}, {1, 1, 0}, {2, 1, 3}, {3, 0, 2}};
static const double slide_y[3][4] = {{1, 1, 0, 0}, {0, 1, 2, 0}, {0, 1, 1, 2}};

static dmf_matrix *from_table(size_t rows, size_t cols, const double *v, dmf_dtype dt, double complex scale)
{
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_matrix_create(&m, dt, rows, cols));
    for (size_t i = 0; m && i < rows; i++)
        for (size_t j = 0; j < cols; j++) set(m, i, j, v[i * cols + j] * scale);
    return m;
}

static dmf_matrix *support_of(size_t rows, size_t cols, const double *v)
{
    double s[64];
    for (size_t e = 0; e < rows * cols; e++) s[e] = v[e] != 0;
    return from_table(rows, cols, s, DMF_F64, 1);
}

/* Checks the verdict of dmf_fsmf_identifiability and which pieces are
 * flagged ambiguous (a bit mask over k) and incomplete. */
static void check_verdict(const char *what, const dmf_matrix *sx, const dmf_matrix *sy, int verdict,
                          int reason, unsigned ambiguous, unsigned incomplete)
{
    unsigned char flags[32];
    memset(flags, 0xEE, sizeof flags);
    dmf_ident_report r;
    int status = dmf_fsmf_identifiability(sx, sy, flags, &r);
    CHECK(status == DMF_OK, "%s: %s (%s)", what, dmf_status_string(status), dmf_last_error());
    if (status != DMF_OK) return;
    CHECK(r.identifiable == verdict && r.reason == reason, "%s: identifiable %d reason %d, expected %d, %d",
          what, r.identifiable, r.reason, verdict, reason);
    unsigned amb = 0, inc = 0;
    for (size_t k = 0; k < dmf_matrix_cols(sx); k++) {
        amb |= (flags[k] & DMF_PIECE_AMBIGUOUS ? 1u : 0u) << k;
        inc |= (flags[k] & DMF_PIECE_INCOMPLETE ? 1u : 0u) << k;
    }
    CHECK(amb == ambiguous && inc == incomplete, "%s: ambiguous mask %#x incomplete %#x, expected %#x, %#x",
          what, amb, inc, ambiguous, incomplete);
    CHECK(r.num_ambiguous == (size_t)__builtin_popcount(amb) && r.num_incomplete == (size_t)__builtin_popcount(inc),
          "%s: counts %zu, %zu disagree with the flags", what, r.num_ambiguous, r.num_incomplete);
}

static void test_slides_example(void)
{
    dmf_matrix *sx = support_of(4, 3, &slide_x[0][0]), *sy = support_of(3, 4, &slide_y[0][0]);
    check_verdict("slides 4x4", sx, sy, DMF_IDENT_YES, DMF_IDENT_BY_COMPLETION, 0, 0);
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        /* A complex phase for the complex dtypes, so they are not real data. */
        double complex phase = dmf_dtype_is_complex(dt) ? 1 + 2 * I : 1; /* exact in c64 */
        dmf_matrix *x0 = from_table(4, 3, &slide_x[0][0], dt, phase), *y0 = from_table(3, 4, &slide_y[0][0], dt, 1);
        dmf_matrix *a = product(x0, y0), *x = NULL, *y = NULL;
        char what[64];
        snprintf(what, sizeof what, "slides 4x4 %s", dmf_dtype_name(dt));
        dmf_fsmf_report rep;
        if (run_fsmf(what, a, sx, sy, &rep, &x, &y) == DMF_OK) {
            CHECK(rep.identifiable == DMF_IDENT_YES && rep.completed && rep.optimal && !rep.disjoint_or_identical,
                  "%s: identifiable %d completed %d optimal %d", what, rep.identifiable, rep.completed, rep.optimal);
            CHECK(rep.rel_error <= 1e-12, "%s: rel_error %.3g", what, rep.rel_error);
            /* Each rank-one piece is the slides' one (X, Y only up to scaling). */
            double worst = 0;
            for (size_t k = 0; k < 3; k++)
                for (size_t i = 0; i < 4; i++)
                    for (size_t j = 0; j < 4; j++)
                        worst = fmax(worst, cabs(get(x, i, k) * get(y, k, j) - slide_x[i][k] * phase * slide_y[k][j]));
            CHECK(worst <= 10 * tolerance(dt), "%s: a piece is off by %.3g", what, worst);
        }
        dmf_matrix_free(x), dmf_matrix_free(y), dmf_matrix_free(a), dmf_matrix_free(x0), dmf_matrix_free(y0);
    }
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
}

/* The slides' A with rows times 2^r_i and columns times 2^c_j, exponents
 * up to +-40 (f64): still a product on the same supports, completed
 * exactly.  The zero test compared entries against A's largest one, so
 * true entries of small rows and columns looked like zeros and the
 * completion gave up (greedy, 8e-4 at +-30). */
static void test_slides_scaled(void)
{
    dmf_matrix *sx = support_of(4, 3, &slide_x[0][0]), *sy = support_of(3, 4, &slide_y[0][0]);
    const int row_exp[4] = {-40, 17, 40, -3}, col_exp[4] = {33, -40, 5, -21};
    double xs[4][3], ys[3][4];
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 3; k++) xs[i][k] = ldexp(slide_x[i][k], row_exp[i]);
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < 4; j++) ys[k][j] = ldexp(slide_y[k][j], col_exp[j]);
    dmf_matrix *x0 = from_table(4, 3, &xs[0][0], DMF_F64, 1), *y0 = from_table(3, 4, &ys[0][0], DMF_F64, 1);
    dmf_matrix *a = product(x0, y0), *x = NULL, *y = NULL;
    dmf_fsmf_report rep;
    if (run_fsmf("slides 4x4 scaled by 2^+-40", a, sx, sy, &rep, &x, &y) == DMF_OK) {
        CHECK(rep.completed && rep.optimal && rep.rel_error <= 1e-12,
              "slides scaled by 2^+-40: completed %d optimal %d rel_error %.3g", rep.completed, rep.optimal,
              rep.rel_error);
        /* Entry by entry, each relative to itself: the small ones too. */
        double worst = 0;
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 4; j++) {
                double complex want = get(a, i, j), got = 0;
                for (size_t k = 0; k < 3; k++) got += get(x, i, k) * get(y, k, j);
                if (want != 0) worst = fmax(worst, cabs(got - want) / cabs(want));
            }
        CHECK(worst <= 1e-12, "slides scaled by 2^+-40: an entry is off by %.3g of itself", worst);
    }
    dmf_matrix_free(x), dmf_matrix_free(y), dmf_matrix_free(a), dmf_matrix_free(x0), dmf_matrix_free(y0);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
}

/* Supports on which the completion cannot finish. */
static void test_not_identifiable(void)
{
    /* The slides' first split: piece 2 (row 2 x cols {1,2}) lies inside
     * piece 1 (rows {0,1,2} x cols {1,2}); x_1[2] trades against piece 2. */
    static const double x4[4][4] = {{0, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 1}, {1, 0, 0, 1}};
    static const double y4[4][4] = {{1, 1, 0, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 1}};
    dmf_matrix *sx = support_of(4, 4, &x4[0][0]), *sy = support_of(4, 4, &y4[0][0]);
    check_verdict("nested piece", sx, sy, DMF_IDENT_NO, DMF_IDENT_BY_RANK_TEST, 0x6, 0x6);
    dmf_ident_report r;
    CHECK_OK(dmf_fsmf_identifiability(sx, sy, NULL, &r));
    CHECK(r.extra_dims == 1, "nested piece: %zu ambiguity dimensions, expected 1", r.extra_dims);
    /* dmf_fsmf keeps the greedy answer and reports the verdict. */
    dmf_matrix *a = random_dense(4, 4, DMF_F64);
    dmf_fsmf_report rep;
    if (run_fsmf("nested piece", a, sx, sy, &rep, NULL, NULL) == DMF_OK)
        CHECK(rep.identifiable == DMF_IDENT_NO && !rep.completed, "nested piece: identifiable %d completed %d",
              rep.identifiable, rep.completed);
    dmf_matrix_free(a), dmf_matrix_free(sx), dmf_matrix_free(sy);

    /* Pieces 0 and 2 share rows {0,1} x cols {0,1}; piece 1 overlaps both
     * and completes from the entries only it covers. */
    static const double x3[3][3] = {{1, 0, 1}, {1, 1, 1}, {0, 1, 0}};
    static const double y3[3][3] = {{1, 1, 0}, {0, 1, 1}, {1, 1, 0}};
    sx = support_of(3, 3, &x3[0][0]), sy = support_of(3, 3, &y3[0][0]);
    check_verdict("shared support", sx, sy, DMF_IDENT_NO, DMF_IDENT_BY_SAME_SUPPORT, 0x5, 0x5);
    dmf_matrix_free(sx), dmf_matrix_free(sy);

    /* Piece 1 has rows but no columns: X[:, 1] is free. */
    static const double xe[2][2] = {{1, 1}, {1, 0}};
    static const double ye[2][2] = {{1, 1}, {0, 0}};
    sx = support_of(2, 2, &xe[0][0]), sy = support_of(2, 2, &ye[0][0]);
    check_verdict("empty side", sx, sy, DMF_IDENT_NO, DMF_IDENT_BY_EMPTY_SIDE, 0x2, 0);
    dmf_matrix_free(sx), dmf_matrix_free(sy);

    /* Piece 2 (rows {2,3} x cols {0,2}) lies inside piece 0, and pieces 0
     * and 1 share column 4 on rows {0,1,3}: the completion stops with
     * every piece incomplete, yet no first-order ambiguity exists. */
    static const double xu[4][3] = {{1, 1, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}};
    static const double yu[3][5] = {{1, 0, 1, 0, 1}, {0, 1, 0, 1, 1}, {1, 0, 1, 0, 0}};
    sx = support_of(4, 3, &xu[0][0]), sy = support_of(3, 5, &yu[0][0]);
    check_verdict("not decided", sx, sy, DMF_IDENT_UNKNOWN, DMF_IDENT_BY_NOT_DECIDED, 0, 0x7);
    dmf_matrix_free(sx), dmf_matrix_free(sy);

    /* LU supports complete (row k and column k of piece k are its own once
     * pieces 0..k-1 are known); disjoint blocks too. */
    sx = pattern(5, 5, lower, DMF_F64), sy = pattern(5, 5, upper, DMF_F64);
    check_verdict("LU 5x5", sx, sy, DMF_IDENT_YES, DMF_IDENT_BY_COMPLETION, 0, 0);
    dmf_matrix_free(sx), dmf_matrix_free(sy);
    sx = pattern(6, 3, blk_x, DMF_F64), sy = pattern(3, 8, blk_y, DMF_F64);
    check_verdict("disjoint blocks", sx, sy, DMF_IDENT_YES, DMF_IDENT_BY_COMPLETION, 0, 0);
    /* Inner sizes that disagree. */
    dmf_matrix *sy2 = pattern(4, 8, blk_y, DMF_F64);
    CHECK(dmf_fsmf_identifiability(sx, sy2, NULL, &r) == DMF_ERR_SHAPE, "identifiability: inner size mismatch accepted");
    dmf_matrix_free(sy2), dmf_matrix_free(sx), dmf_matrix_free(sy);
}

/* ---- errors and edge cases ----------------------------------------------- */

/* Class k1 has an empty X column, k3 an empty Y row; k0, k2 are disjoint
 * blocks (rows 0-1 x cols 0-1, rows 2-3 x cols 2-3). */
static int empty_x(size_t i, size_t k) { return k == 0 ? i < 2 : k == 2 ? i >= 2 : k == 3; }
static int empty_y(size_t k, size_t j) { return k == 0 ? j < 2 : k == 2 ? j >= 2 : k == 1; }

static void test_errors(void)
{
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    dmf_matrix *a = random_dense(4, 5, DMF_F64);
    dmf_matrix *sx = pattern(4, 3, ones, DMF_F64), *sy = pattern(3, 5, ones, DMF_F64);
    dmf_matrix *bad_sx = pattern(5, 3, ones, DMF_F64), *bad_sy = pattern(3, 4, ones, DMF_F64);
    dmf_matrix *bad_k = pattern(2, 5, ones, DMF_F64);
    dmf_matrix *x = NULL, *y = NULL;
    dmf_fsmf_report rep;
    CHECK_STATUS(dmf_fsmf(ctx, a, bad_sx, sy, &x, &y, &rep), DMF_ERR_SHAPE);
    CHECK(!x && !y, "shape error left outputs");
    CHECK_STATUS(dmf_fsmf(ctx, a, sx, bad_sy, &x, &y, &rep), DMF_ERR_SHAPE);
    CHECK_STATUS(dmf_fsmf(ctx, a, sx, bad_k, &x, &y, &rep), DMF_ERR_SHAPE);
    set(a, 2, 3, NAN);
    CHECK_STATUS(dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep), DMF_ERR_NUMERIC);
    set(a, 2, 3, INFINITY);
    CHECK_STATUS(dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep), DMF_ERR_NUMERIC);
    set(a, 2, 3, 1.0);
    set(sx, 1, 1, NAN);
    CHECK_STATUS(dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep), DMF_ERR_NUMERIC);
    CHECK(!x && !y, "numeric error left outputs");
    dmf_matrix *ac = random_dense(4, 5, DMF_C128);
    set(ac, 0, 0, NAN * I);
    set(sx, 1, 1, 1.0);
    CHECK_STATUS(dmf_fsmf(ctx, ac, sx, sy, &x, &y, &rep), DMF_ERR_NUMERIC);
    dmf_matrix_free(ac);
    dmf_matrix_free(a);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
    dmf_matrix_free(bad_sx);
    dmf_matrix_free(bad_sy);
    dmf_matrix_free(bad_k);
    dmf_context_free(ctx);

    /* Empty classes: their X column and Y row stay zero; the rest is exact. */
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        sx = pattern(4, 4, empty_x, DMF_F64);
        sy = pattern(4, 4, empty_y, DMF_F64);
        dmf_matrix *x0 = random_on(sx, dt), *y0 = random_on(sy, dt);
        a = product(x0, y0);
        if (run_fsmf("empty classes", a, sx, sy, &rep, &x, &y) == DMF_OK && x && y) {
            CHECK(rep.optimal == 1, "empty classes %s: not optimal (conflict %zu, %zu)",
                  dmf_dtype_name(dt), rep.conflict_k1, rep.conflict_k2);
            CHECK(rep.rel_error <= tolerance(dt), "empty classes %s: rel_error %.3g",
                  dmf_dtype_name(dt), rep.rel_error);
            size_t nonzero = 0;
            for (size_t i = 0; i < 4; i++) {
                nonzero += get(x, i, 1) != 0 || get(x, i, 3) != 0;
                nonzero += get(y, 1, i) != 0 || get(y, 3, i) != 0;
            }
            CHECK(nonzero == 0, "empty classes %s: X column / Y row of an empty class not zero",
                  dmf_dtype_name(dt));
        }
        dmf_matrix_free(x);
        dmf_matrix_free(y);
        x = y = NULL;
        dmf_matrix_free(x0);
        dmf_matrix_free(y0);
        dmf_matrix_free(a);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
    }

    /* A = 0: zero factors, error 0 (not NaN). */
    dmf_matrix *z = NULL;
    CHECK_OK(dmf_matrix_create(&z, DMF_F64, 4, 4));
    if (z) {
        memset(dmf_matrix_data(z), 0, 16 * sizeof(double));
        sx = pattern(4, 4, lower, DMF_F64);
        sy = pattern(4, 4, upper, DMF_F64);
        if (run_fsmf("A = 0", z, sx, sy, &rep, NULL, NULL) == DMF_OK)
            CHECK(rep.rel_error == 0, "A = 0: rel_error %g", rep.rel_error);
        dmf_matrix_free(sx);
        dmf_matrix_free(sy);
        dmf_matrix_free(z);
    }
}

/* Runs one group in a child process so that a crash in the library is
 * reported as a failure of that group and the other groups still run; the
 * child sends its counts back through a pipe. */
static void run_group(const char *name, void (*fn)(void))
{
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0) {
        fn();
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        fn();
        return;
    }
    if (pid == 0) {
        close(fd[0]);
        check_passed = check_failed = 0;
        fn();
        int counts[2] = {check_passed, check_failed};
        ssize_t w = write(fd[1], counts, sizeof counts);
        fflush(stdout);
        fflush(stderr);
        _exit(w == (ssize_t)sizeof counts ? 0 : 1);
    }
    close(fd[1]);
    int counts[2] = {0, 0}, status = 0;
    ssize_t got = read(fd[0], counts, sizeof counts);
    close(fd[0]);
    waitpid(pid, &status, 0);
    check_passed += counts[0];
    check_failed += counts[1];
    if (got != (ssize_t)sizeof counts || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        check_failed++;
        if (WIFSIGNALED(status))
            fprintf(stderr, "FAIL %s: group crashed with signal %d (%s)\n", name, WTERMSIG(status),
                    strsignal(WTERMSIG(status)));
        else
            fprintf(stderr, "FAIL %s: group did not finish\n", name);
    }
}

/* Nonzeros of row r (by_row) or column r of a 0/1 f64 pattern. */
static size_t pattern_count(const dmf_matrix *s, size_t r, int by_row)
{
    const double *d = dmf_matrix_const_data(s);
    size_t rows = dmf_matrix_rows(s), cols = dmf_matrix_cols(s), n = 0;
    for (size_t t = 0; t < (by_row ? cols : rows); t++) n += (by_row ? d[r * cols + t] : d[t * cols + r]) != 0;
    return n;
}

/* Supports found from A for a two-factor class: the natural-order DFT
 * (X 2-sparse, Y half-sparse: class (2, N/2)), the DCT-II and DST-II (the
 * reverse: class (N/2, 2)) and a random two-factor chain on mixed radices
 * with its rows and columns shuffled are exact on what is found, with every
 * row and column of the supports holding the class's counts, and optimal
 * (the pieces of a chain split are disjoint); a Gaussian matrix is not. */
static void test_found_supports(void)
{
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    struct {
        const char *name;
        size_t n, m0, n0;
        dmf_dtype dt;
        double tol;
    } cases[] = {{"dft", 8, 2, 2, DMF_C128, 1e-12},   {"dft", 256, 2, 2, DMF_C128, 1e-12},
                 {"dft", 1024, 2, 2, DMF_C128, 1e-12}, {"dct2", 16, 8, 8, DMF_F64, 1e-12},
                 {"dct2", 256, 128, 128, DMF_F64, 1e-12}, {"dst2", 64, 32, 32, DMF_F64, 1e-12},
                 {"dft", 64, 2, 2, DMF_C64, 1e-5},     {"gaussian", 64, 2, 2, DMF_F64, -1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = cases[c].n, rm[2] = {cases[c].m0, n / cases[c].m0}, rn[2] = {cases[c].n0, n / cases[c].n0};
        dmf_matrix_spec spec = {cases[c].name, n, n, cases[c].dt, 0, 5, NULL, NULL, 0};
        dmf_matrix *a = NULL, *sx = NULL, *sy = NULL, *x = NULL, *y = NULL;
        dmf_support_report perm;
        dmf_fsmf_report rep;
        CHECK_OK(dmf_matrix_builtin(&spec, &a));
        CHECK_OK(dmf_fsmf_find_supports(ctx, a, rm, rn, &sx, &sy, &perm));
        if (!sx || !sy) {
            dmf_matrix_free(a);
            continue;
        }
        CHECK(dmf_matrix_rows(sx) == n && dmf_matrix_cols(sx) == rn[0] * rm[1] && dmf_matrix_cols(sy) == n,
              "%s %zu: shapes", cases[c].name, n);
        int counts = 1;
        for (size_t r = 0; r < n; r++)
            counts &= pattern_count(sx, r, 1) == rn[0] && pattern_count(sy, r, 0) == rm[1];
        for (size_t k = 0; k < dmf_matrix_cols(sx); k++)
            counts &= pattern_count(sx, k, 0) == rm[0] && pattern_count(sy, k, 1) == rn[1];
        CHECK(counts, "%s %zu: the supports do not have the class's counts", cases[c].name, n);
        CHECK_OK(dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep));
        if (cases[c].tol > 0)
            CHECK(rep.rel_error <= cases[c].tol && rep.optimal && perm.min_score > 0.99,
                  "%s %zu %s: error %.3g, optimal %d, score %.3g", cases[c].name, n, dmf_dtype_name(cases[c].dt),
                  rep.rel_error, rep.optimal, perm.min_score);
        else
            CHECK(rep.rel_error > 0.3 && perm.min_score < 0.5, "gaussian: error %.3g, score %.3g", rep.rel_error,
                  perm.min_score);
        dmf_matrix_free(a), dmf_matrix_free(sx), dmf_matrix_free(sy), dmf_matrix_free(x), dmf_matrix_free(y);
    }
    /* Without a class, the 2-sparse classes are tried in turn: the DFT is
     * exact on the first, (2, N/2); the DCT-II needs the second, (N/2, 2). */
    const char *names[2] = {"dft", "dct2"};
    for (int t = 0; t < 2; t++) {
        dmf_matrix_spec which = {names[t], 32, 32, t ? DMF_F64 : DMF_C128, 0, 0, NULL, NULL, 0};
        dmf_matrix *m = NULL, *px = NULL, *py = NULL;
        dmf_support_report found;
        CHECK_OK(dmf_matrix_builtin(&which, &m));
        CHECK_OK(dmf_fsmf_find_supports(ctx, m, NULL, NULL, &px, &py, &found));
        CHECK(found.classes_tried == (t ? 2u : 1u) && found.radix_m[0] == (t ? 16u : 2u) && found.min_score > 0.99,
              "%s 32: class %zu,%zu of %zu tried", names[t], found.radix_m[0], found.radix_m[1], found.classes_tried);
        dmf_matrix_free(m), dmf_matrix_free(px), dmf_matrix_free(py);
    }
    /* A random chain on (3, 4) x (2, 5), rows and columns shuffled. */
    size_t rm[2] = {3, 4}, rn[2] = {2, 5};
    dmf_matrix_spec spec = {"random-chain", 12, 10, DMF_F64, 0, 11, rm, rn, 2};
    dmf_matrix *chain = NULL, *a = NULL, *sx = NULL, *sy = NULL, *x = NULL, *y = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &chain));
    size_t rows[12], cols[10];
    for (size_t i = 0; i < 12; i++) rows[i] = (i * 5 + 7) % 12;
    for (size_t j = 0; j < 10; j++) cols[j] = (j * 3 + 4) % 10;
    CHECK_OK(dmf_matrix_permute(chain, rows, cols, &a));
    dmf_support_report perm;
    dmf_fsmf_report rep;
    CHECK_OK(dmf_fsmf_find_supports(ctx, a, rm, rn, &sx, &sy, &perm));
    if (sx && sy) {
        CHECK_OK(dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep));
        CHECK(rep.rel_error <= 1e-12 && rep.optimal, "shuffled chain 12 x 10: error %.3g", rep.rel_error);
    }
    dmf_matrix_free(sx), dmf_matrix_free(sy), dmf_matrix_free(x), dmf_matrix_free(y);
    size_t bad_m[2] = {4, 4};
    CHECK_STATUS(dmf_fsmf_find_supports(ctx, a, bad_m, rn, &sx, &sy, &perm), DMF_ERR_SHAPE);
    CHECK(sx == NULL && sy == NULL, "a refused class left supports behind");
    dmf_matrix_free(chain), dmf_matrix_free(a);
    dmf_context_free(ctx);
}

int main(void)
{
    run_group("disjoint supports", test_disjoint);
    run_group("identical classes", test_identical);
    run_group("mixed classes", test_mixed);
    run_group("overlapping supports", test_overlapping);
    run_group("random supports", test_random_supports);
    run_group("errors and empty classes", test_errors);
    run_group("slides 4x4 example", test_slides_example);
    run_group("slides 4x4 scaled by 2^+-40", test_slides_scaled);
    run_group("not identifiable", test_not_identifiable);
    run_group("supports found for a class", test_found_supports);
    return check_report("test_fsmf");
}
