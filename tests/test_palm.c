/* PALM4MSA and hierarchical PALM: known answers.
 *
 * - projections on hand cases (sp, splin, spcol, splincol with ties broken
 *   towards the smaller index, normcol, normlin, supp, const, blockdiag,
 *   unnormalized), in f64, f32 and c128, and a large all-ties selection;
 * - one factor: PALM gives lambda P(A), whose error is the energy the
 *   projection drops (every dtype);
 * - A = lambda S_0 S_1 S_2 of random sparse factors, started near the
 *   truth with the true constraints (sp, splin/spcol, supp): rel_error
 *   <= 1e-10 (f64, c128), with the factors inside their constraint sets;
 * - the sparse sweeps (CSR factors, blocked chains, the right and left
 *   caches, right products through transposes, factors dense by BLAS) give
 *   the iterates of a textbook dense PALM (constant step, dense products,
 *   dmf_constraint_project) to 1e-12 on 96..110-sized problems, f64 and
 *   c128, with two factors and four in each layout;
 * - hierarchical PALM on Hadamard N = 32, 64 (and 128 with 60 local
 *   iterations) with splincol 2 factors (FAuST's demonstration), and N = 32
 *   peeled from the right end (is_fact_side_left): exact to <= 1e-10
 *   (f32: 1e-5);
 * - argument and shape errors. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#define TEST_RNG_SEED 0x2545F4914F6CDD1Dull
#include "dense_access.h"
#include "palm_problems.h"


static dmf_matrix *from_values(dmf_dtype dtype, size_t rows, size_t cols, const double complex *v)
{
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_matrix_create(&m, dtype, rows, cols));
    for (size_t i = 0; m && i < rows; i++)
        for (size_t j = 0; j < cols; j++) set(m, i, j, v[i * cols + j]);
    return m;
}

/* max |m - expected| over the entries. */
static double max_diff(const dmf_matrix *m, const double complex *expected)
{
    double d = 0;
    for (size_t i = 0; i < dmf_matrix_rows(m); i++)
        for (size_t j = 0; j < dmf_matrix_cols(m); j++) {
            double e = cabs(get(m, i, j) - expected[i * dmf_matrix_cols(m) + j]);
            if (e > d) d = e;
        }
    return d;
}

/* Projects `in` and compares with `expected` (both rows x cols). */
static void check_projection(const char *name, dmf_dtype dtype, const dmf_constraint *c, const double complex *in,
                             const double complex *expected)
{
    dmf_matrix *m = from_values(dtype, c->rows, c->cols, in);
    if (!m) return;
    CHECK_OK(dmf_constraint_project(c, m));
    double tol = dmf_dtype_eps(dtype) * 8;
    double d = max_diff(m, expected);
    CHECK(d <= tol, "%s (%s): max difference %g", name, dmf_dtype_name(dtype), d);
    dmf_matrix_free(m);
}

static void test_projections(void)
{
    const dmf_dtype real_types[] = {DMF_F64, DMF_F32};
    for (int t = 0; t < 2; t++) {
        dmf_dtype dt = real_types[t];
        dmf_constraint c = problem_cons(DMF_CONS_SP, 2, 2, 2);
        check_projection("sp 2", dt, &c, (double complex[]){3, -1, 0.5, -4}, (double complex[]){0.6, 0, 0, -0.8});
        c.k = 3; /* ties: the first three in row-major order */
        double r3 = 1 / sqrt(3);
        check_projection("sp 3 of ties", dt, &c, (double complex[]){1, -1, 1, -1},
                         (double complex[]){r3, -r3, r3, 0});
        c.k = 9; /* more than the entries: all kept */
        check_projection("sp 9 of 4", dt, &c, (double complex[]){0, 0, 3, 4}, (double complex[]){0, 0, 0.6, 0.8});
        c.k = 2;
        c.normalized = 0;
        check_projection("sp 2 unnormalized", dt, &c, (double complex[]){3, -1, 0.5, -4},
                         (double complex[]){3, 0, 0, -4});
        const double complex m23[] = {1, -5, 2, 4, 0, -4};
        double r41 = sqrt(41), r57 = sqrt(57);
        c = problem_cons(DMF_CONS_SPLIN, 2, 3, 1);
        check_projection("splin 1", dt, &c, m23, (double complex[]){0, -5 / r41, 0, 4 / r41, 0, 0});
        c = problem_cons(DMF_CONS_SPCOL, 2, 3, 1);
        check_projection("spcol 1", dt, &c, m23, (double complex[]){0, -5 / r57, 0, 4 / r57, 0, -4 / r57});
        c = problem_cons(DMF_CONS_SPLINCOL, 2, 2, 1); /* rows keep (0,0), (1,0); columns (0,0), (0,1) */
        double r50 = sqrt(50);
        check_projection("splincol 1", dt, &c, (double complex[]){5, 4, 3, 0.1},
                         (double complex[]){5 / r50, 4 / r50, 3 / r50, 0});
        c = problem_cons(DMF_CONS_NORMCOL, 2, 2, 0);
        c.value = 2;
        check_projection("normcol 2", dt, &c, (double complex[]){3, 0, 4, 0}, (double complex[]){1.2, 0, 1.6, 0});
        c.kind = DMF_CONS_NORMLIN;
        c.value = 1;
        check_projection("normlin 1", dt, &c, (double complex[]){3, 4, 0, 0}, (double complex[]){0.6, 0.8, 0, 0});
        dmf_matrix *pat = from_values(DMF_F64, 2, 2, (double complex[]){1, 0, 0, 1});
        c = problem_cons(DMF_CONS_SUPP, 2, 2, 0);
        c.matrix = pat;
        check_projection("supp", dt, &c, (double complex[]){3, 7, 9, 4}, (double complex[]){0.6, 0, 0, 0.8});
        dmf_matrix_free(pat);
        dmf_matrix *fixed = from_values(dt, 2, 2, (double complex[]){1, 2, 3, 4});
        c = problem_cons(DMF_CONS_CONST, 2, 2, 0);
        c.matrix = fixed;
        check_projection("const", dt, &c, (double complex[]){9, 9, 9, 9}, (double complex[]){1, 2, 3, 4});
        dmf_matrix_free(fixed);
        size_t br[] = {1, 2}, bc[] = {2, 1};
        c = problem_cons(DMF_CONS_BLOCKDIAG, 3, 3, 0);
        c.block_rows = br;
        c.block_cols = bc;
        c.num_blocks = 2;
        c.normalized = 0;
        check_projection("blockdiag (1x2, 2x1)", dt, &c, (double complex[]){1, 2, 3, 4, 5, 6, 7, 8, 9},
                         (double complex[]){1, 2, 0, 0, 0, 6, 0, 0, 9});
    }
    /* Complex magnitudes: |1+i|^2 = 2 < 4. */
    dmf_constraint c = problem_cons(DMF_CONS_SP, 1, 2, 1);
    check_projection("sp 1 complex", DMF_C128, &c, (double complex[]){1 + I, 2}, (double complex[]){0, 1});
    check_projection("sp 1 complex", DMF_C64, &c, (double complex[]){1 - 2 * I, 2}, (double complex[]){(1 - 2 * I) / sqrt(5), 0});
    c = problem_cons(DMF_CONS_SPCOL, 2, 2, 1);
    check_projection("spcol 1 complex", DMF_C128, &c, (double complex[]){3 * I, 1, 4, -2 * I},
                     (double complex[]){0, 0, 4 / sqrt(20), -2 * I / sqrt(20)});

    /* A million equal magnitudes: the selection stays linear and keeps the
     * first k in row-major order. */
    dmf_matrix *big = NULL;
    size_t n = 1000;
    CHECK_OK(dmf_matrix_create(&big, DMF_F64, n, n));
    double *d = dmf_matrix_data(big);
    for (size_t e = 0; e < n * n; e++) d[e] = e % 2 ? -1 : 1;
    c = problem_cons(DMF_CONS_SP, n, n, n * n / 2);
    c.normalized = 0;
    CHECK_OK(dmf_constraint_project(&c, big));
    size_t kept = 0, first_zero = n * n;
    for (size_t e = 0; e < n * n; e++) {
        if (d[e] != 0) kept++;
        else if (first_zero == n * n) first_zero = e;
    }
    CHECK(kept == n * n / 2 && first_zero == n * n / 2, "all-ties sp: kept %zu, first zero at %zu", kept, first_zero);
    dmf_matrix_free(big);

    /* Errors. */
    dmf_constraint_kind kind;
    CHECK_OK(dmf_constraint_parse_kind("splincol", &kind));
    CHECK(kind == DMF_CONS_SPLINCOL, "splincol parsed as %d", (int)kind);
    CHECK_STATUS(dmf_constraint_parse_kind("splincols", &kind), DMF_ERR_ARG);
    CHECK(strstr(dmf_last_error(), "splincol") != NULL, "the message lists the names: %s", dmf_last_error());
    dmf_matrix *m = from_values(DMF_F64, 2, 2, (double complex[]){1, 2, 3, 4});
    c = problem_cons(DMF_CONS_SP, 2, 3, 1);
    CHECK_STATUS(dmf_constraint_project(&c, m), DMF_ERR_SHAPE);
    size_t br[] = {1, 2}, bc[] = {1, 2};
    c = problem_cons(DMF_CONS_BLOCKDIAG, 2, 2, 0);
    c.block_rows = br;
    c.block_cols = bc;
    c.num_blocks = 2;
    CHECK_STATUS(dmf_constraint_project(&c, m), DMF_ERR_SHAPE);
    c = problem_cons(DMF_CONS_NORMCOL, 2, 2, 0);
    CHECK_STATUS(dmf_constraint_project(&c, m), DMF_ERR_ARG); /* value 0 */
    c = problem_cons(DMF_CONS_SUPP, 2, 2, 0);
    CHECK_STATUS(dmf_constraint_project(&c, m), DMF_ERR_ARG); /* no matrix */
    dmf_matrix_free(m);
}

/* One factor: lambda P(A) with lambda = <A, P(A)>/||P(A)||^2, the error is
 * the energy outside the k kept entries. */
static void test_one_factor(dmf_dtype dt)
{
    const size_t rows = 7, cols = 5, k = 12;
    dmf_matrix *a = NULL, *out[1] = {NULL};
    CHECK_OK(dmf_matrix_create(&a, dt, rows, cols));
    if (!a) return;
    double mags[35], total = 0;
    for (size_t e = 0; e < rows * cols; e++) {
        double complex v = dmf_dtype_is_complex(dt) ? gauss() + I * gauss() : gauss();
        set(a, e / cols, e % cols, v);
        mags[e] = creal(v * conj(v));
        total += mags[e];
    }
    /* The energy of the rows*cols - k smallest entries. */
    for (size_t x = 0; x < rows * cols; x++)
        for (size_t y = x + 1; y < rows * cols; y++)
            if (mags[y] > mags[x]) {
                double t = mags[x];
                mags[x] = mags[y];
                mags[y] = t;
            }
    double dropped = 0;
    for (size_t e = k; e < rows * cols; e++) dropped += mags[e];
    double expected = sqrt(dropped / total);
    dmf_constraint c = problem_cons(DMF_CONS_SP, rows, cols, k);
    dmf_palm_options o;
    dmf_palm_options_default(&o);
    o.stop.num_its = 3;
    dmf_palm_report rep;
    CHECK_OK(dmf_palm4msa(NULL, a, &c, 1, NULL, &o, out, &rep));
    double tol = dmf_dtype_eps(dt) > 1e-10 ? 1e-5 : 1e-12;
    CHECK(fabs(rep.rel_error - expected) <= tol, "one factor %s: rel_error %.17g, expected %.17g", dmf_dtype_name(dt),
          rep.rel_error, expected);
    CHECK(rep.iterations == 3 && rep.stopped_by == DMF_STOP_NUM_ITS, "iterations %zu", rep.iterations);
    /* lambda S_0 reproduces the kept entries of A. */
    double worst = 0;
    for (size_t i = 0; out[0] && i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double complex s = rep.lambda * get(out[0], i, j);
            if (s != 0) worst = fmax(worst, cabs(s - get(a, i, j)));
        }
    CHECK(worst <= tol * 10, "one factor %s: lambda S differs from A by %g on the kept entries", dmf_dtype_name(dt),
          worst);
    dmf_matrix_free(out[0]);
    dmf_matrix_free(a);
}

static size_t count_nonzeros(const dmf_matrix *m, size_t row, size_t col)
{
    /* row/col = SIZE_MAX: the whole matrix; else one row or column */
    size_t n = 0;
    for (size_t i = 0; i < dmf_matrix_rows(m); i++)
        for (size_t j = 0; j < dmf_matrix_cols(m); j++)
            if ((row == SIZE_MAX || row == i) && (col == SIZE_MAX || col == j) && get(m, i, j) != 0) n++;
    return n;
}

/* A = lambda0 S_0 S_1 S_2 with random sparse factors (k per row for the
 * middle one), PALM started from the truth plus relative noise 1e-3
 * (palm_problems.h), run until the error stops moving. */
static void test_near_truth(dmf_dtype dt, int use_supp)
{
    const size_t dims[4] = {12, 10, 10, 14};
    const size_t J = NEAR_TRUTH_J, krow = 3;
    near_truth_problem p;
    near_truth_build(&p, dt, use_supp ? 1 : 0, dims);
    dmf_matrix *out[NEAR_TRUTH_J] = {NULL};
    dmf_palm_options_default(&p.o);
    p.o.stop.tol = 1e-12;
    p.o.stop.relerr = 1;
    p.o.stop.maxiter = 20000;
    p.o.init_lambda = 3.7 * (1 + 1e-3); /* near the truth too */
    dmf_palm_report rep = {0};
    CHECK_OK(dmf_palm4msa(NULL, p.a, p.c, J, (const dmf_matrix *const *)p.start, &p.o, out, &rep));
    printf("near truth %s %s: rel_error %.3g after %zu iterations (lambda %.6g, %.3f s)\n", dmf_dtype_name(dt),
           use_supp ? "supp" : "sp/splin", rep.rel_error, rep.iterations, rep.lambda, rep.time_s);
    CHECK(rep.rel_error <= 1e-10, "near truth %s: rel_error %g", dmf_dtype_name(dt), rep.rel_error);
    CHECK(rep.stopped_by == DMF_STOP_TOL, "stopped by %d", (int)rep.stopped_by);
    if (out[0] && out[1] && out[2]) {
        CHECK(count_nonzeros(out[0], SIZE_MAX, SIZE_MAX) <= 2 * dims[0], "factor 0 too dense");
        for (size_t i = 0; i < dims[1]; i++) CHECK(count_nonzeros(out[1], i, SIZE_MAX) <= krow, "row %zu of factor 1", i);
        for (size_t j = 0; j < J; j++)
            CHECK(fabs(dmf_matrix_norm_fro(out[j]) - 1) <= 1e-12, "factor %zu is not normalized", j);
    }
    for (size_t j = 0; j < J; j++) dmf_matrix_free(out[j]);
    near_truth_free(&p);
}

/* A dense reference for the sparse sweeps: row-major double complex. */
typedef struct {
    size_t rows, cols;
    double complex *v;
} ref_mat;

static ref_mat ref_new(size_t rows, size_t cols)
{
    ref_mat m = {rows, cols, calloc(rows * cols ? rows * cols : 1, sizeof(double complex))};
    return m;
}

static ref_mat ref_eye(size_t n)
{
    ref_mat m = ref_new(n, n);
    for (size_t i = 0; i < n; i++) m.v[i * n + i] = 1;
    return m;
}

/* op(a) op(b), op the conjugate transpose where ha / hb. */
static ref_mat ref_mul(ref_mat a, int ha, ref_mat b, int hb)
{
    size_t m = ha ? a.cols : a.rows, k = ha ? a.rows : a.cols, n = hb ? b.rows : b.cols;
    ref_mat c = ref_new(m, n);
    for (size_t i = 0; i < m; i++)
        for (size_t p = 0; p < k; p++) {
            double complex x = ha ? conj(a.v[p * a.cols + i]) : a.v[i * a.cols + p];
            if (x == 0) continue;
            for (size_t j = 0; j < n; j++) c.v[i * n + j] += x * (hb ? conj(b.v[j * b.cols + p]) : b.v[p * b.cols + j]);
        }
    return c;
}

/* a <- a * b, freeing the old a. */
static void ref_times(ref_mat *a, ref_mat b)
{
    ref_mat c = ref_mul(*a, 0, b, 0);
    free(a->v);
    *a = c;
}

/* ||a||_2^2 by 200 power iterations on a^H a (an estimate from below). */
static double ref_norm2_sq(ref_mat a)
{
    ref_mat v = ref_new(a.cols, 1);
    for (size_t i = 0; i < a.cols; i++) v.v[i] = 1 + 0.1 * (double)i;
    double est = 0;
    for (int it = 0; it < 200; it++) {
        double nv = 0;
        for (size_t i = 0; i < a.cols; i++) nv += creal(conj(v.v[i]) * v.v[i]);
        for (size_t i = 0; i < a.cols; i++) v.v[i] /= sqrt(nv);
        ref_mat av = ref_mul(a, 0, v, 0), w = ref_mul(a, 1, av, 0);
        est = 0;
        for (size_t i = 0; i < a.cols; i++) est += creal(conj(w.v[i]) * v.v[i]);
        free(v.v), free(av.v);
        v = w;
    }
    free(v.v);
    return est;
}

/* PALM4MSA with a constant step, dense products and dmf_constraint_project
 * for the projections: the textbook iteration the sparse sweeps must
 * reproduce. */
static void ref_palm(dmf_dtype dt, ref_mat A, ref_mat *S, size_t J, const dmf_constraint *c, size_t its,
                     double step_size, int r2l, double *lambda)
{
    for (size_t it = 0; it < its; it++) {
        for (size_t s = 0; s < J; s++) {
            size_t j = r2l ? J - 1 - s : s;
            ref_mat L = ref_eye(A.rows), R = ref_eye(S[j].cols);
            for (size_t k = 0; k < j; k++) ref_times(&L, S[k]);
            for (size_t k = j + 1; k < J; k++) ref_times(&R, S[k]);
            ref_mat LS = ref_mul(L, 0, S[j], 0), X = ref_mul(LS, 0, R, 0);
            for (size_t e = 0; e < X.rows * X.cols; e++) X.v[e] = *lambda * X.v[e] - A.v[e];
            ref_mat LE = ref_mul(L, 1, X, 0), G = ref_mul(LE, 0, R, 1);
            dmf_matrix *m = NULL;
            CHECK_OK(dmf_matrix_create(&m, dt, S[j].rows, S[j].cols));
            for (size_t e = 0; m && e < G.rows * G.cols; e++) {
                S[j].v[e] -= step_size * *lambda * G.v[e];
                set(m, e / S[j].cols, e % S[j].cols, S[j].v[e]);
            }
            CHECK_OK(dmf_constraint_project(&c[j], m));
            for (size_t e = 0; m && e < G.rows * G.cols; e++) S[j].v[e] = get(m, e / S[j].cols, e % S[j].cols);
            dmf_matrix_free(m);
            free(L.v), free(R.v), free(LS.v), free(X.v), free(LE.v), free(G.v);
        }
        ref_mat X = ref_eye(A.rows);
        for (size_t k = 0; k < J; k++) ref_times(&X, S[k]);
        double num = 0, den = 0;
        for (size_t e = 0; e < X.rows * X.cols; e++) {
            num += creal(conj(X.v[e]) * A.v[e]);
            den += creal(conj(X.v[e]) * X.v[e]);
        }
        if (den > 0) *lambda = num / den;
        free(X.v);
    }
}

/* The sparse sweeps against ref_palm from a random start, a constant step
 * and a random A, on factors whose shapes and constraints take each path:
 * `layout` 0: two factors; 1: four, the last one the densest (dense by
 * BLAS when `dense_end`, else CSR through transposes), swept right to left
 * (the right caches); 2: its mirror, swept left to right (the left caches);
 * 3: four factors with the densest in the middle (the direct gradient);
 * 4: four, the first the densest, swept right to left (pyfaust's 'rectmat'
 * order: the left caches of every factor made at the start of each sweep);
 * 5: its mirror, swept left to right (the right caches, likewise). */
static void test_sparse_sweeps(dmf_dtype dt, int layout, int dense_end)
{
    const size_t J = layout == 0 ? 2 : 4, its = 8;
    const size_t dims[5] = {96, 100, 90, 110, 100};
    const int r2l = layout == 1 || layout == 3 || layout == 4, mirrored = layout == 2 || layout == 4;
    size_t d[5];
    for (size_t j = 0; j <= J; j++) d[j] = mirrored ? dims[J - j] : dims[j];
    dmf_constraint c[4];
    size_t dense_at = layout == 0 ? 1 : layout == 1 || layout == 5 ? 3 : mirrored ? 0 : 2;
    for (size_t j = 0; j < J; j++) {
        size_t n = d[j] * d[j + 1];
        c[j] = problem_cons(DMF_CONS_SPLINCOL, d[j], d[j + 1], 3);
        if (j == dense_at) c[j] = problem_cons(DMF_CONS_SP, d[j], d[j + 1], dense_end ? n / 4 : n / 9);
    }
    dmf_matrix *a = NULL, *start[4] = {NULL}, *out[4] = {NULL};
    ref_mat A = ref_eye(d[0]), S[4];
    CHECK_OK(dmf_matrix_create(&a, dt, d[0], d[J]));
    int cplx = dmf_dtype_is_complex(dt);
    /* A = a product of random factors T_j in the constraint sets (unit
     * Frobenius norms); the start: T_j plus dense noise of norm 0.3 */
    double norms[4];
    for (size_t j = 0; j < J; j++) {
        size_t n = d[j] * d[j + 1];
        S[j] = ref_new(d[j], d[j + 1]);
        CHECK_OK(dmf_matrix_create(&start[j], dt, d[j], d[j + 1]));
        dmf_matrix *t = NULL;
        CHECK_OK(dmf_matrix_create(&t, dt, d[j], d[j + 1]));
        for (size_t e = 0; t && e < n; e++) set(t, e / d[j + 1], e % d[j + 1], gauss() + (cplx ? I * gauss() : 0));
        CHECK_OK(dmf_constraint_project(&c[j], t));
        ref_mat T = ref_new(d[j], d[j + 1]);
        for (size_t e = 0; t && start[j] && e < n; e++) {
            T.v[e] = get(t, e / d[j + 1], e % d[j + 1]);
            S[j].v[e] = T.v[e] + 0.3 * (gauss() + (cplx ? I * gauss() : 0)) / sqrt((double)n * (cplx ? 2 : 1));
            set(start[j], e / d[j + 1], e % d[j + 1], S[j].v[e]);
        }
        ref_times(&A, T);
        norms[j] = ref_norm2_sq(T);
        free(T.v);
        dmf_matrix_free(t);
    }
    /* the step: about 1 / the largest Lipschitz constant lambda^2 ||L||^2
     * ||R||^2 at the truth (lambda = 1) */
    double lip = 0;
    for (size_t j = 0; j < J; j++) {
        double l = 1;
        for (size_t k = 0; k < J; k++) l *= k == j ? 1 : norms[k];
        if (l > lip) lip = l;
    }
    for (size_t e = 0; a && e < d[0] * d[J]; e++) set(a, e / d[J], e % d[J], A.v[e]);
    dmf_palm_options o;
    dmf_palm_options_default(&o);
    o.stop.num_its = its;
    o.constant_step_size = 1;
    o.step_size = 0.7 / lip;
    o.update_right_to_left = r2l;
    dmf_palm_report rep = {0};
    CHECK_OK(dmf_palm4msa(NULL, a, c, J, (const dmf_matrix *const *)start, &o, out, &rep));
    double lambda = 1;
    ref_palm(dt, A, S, J, c, its, o.step_size, r2l, &lambda);
    double worst = 0;
    for (size_t j = 0; j < J && out[j]; j++)
        for (size_t e = 0; e < d[j] * d[j + 1]; e++) {
            double diff = cabs(get(out[j], e / d[j + 1], e % d[j + 1]) - S[j].v[e]);
            if (diff > worst) worst = diff;
        }
    double dl = fabs(rep.lambda - lambda) / fabs(lambda);
    printf("sparse sweeps %s, layout %d%s: factors within %.2g of the dense reference, lambda within %.2g (%.6g), "
           "rel_error %.4f\n", dmf_dtype_name(dt), layout, dense_end ? " (dense end)" : "", worst, dl, lambda,
           rep.rel_error);
    CHECK(worst <= 1e-12 && dl <= 1e-12, "sparse sweeps %s layout %d: factors differ by %g, lambda by %g",
          dmf_dtype_name(dt), layout, worst, dl);
    /* the steps move the factors well above rounding: the error falls */
    dmf_palm_report first = {0};
    dmf_matrix *once[4] = {NULL};
    o.stop.num_its = 1;
    CHECK_OK(dmf_palm4msa(NULL, a, c, J, (const dmf_matrix *const *)start, &o, once, &first));
    CHECK(rep.rel_error < 0.999 * first.rel_error, "sparse sweeps %s layout %d: rel_error %g after 1 iteration, %g after %zu",
          dmf_dtype_name(dt), layout, first.rel_error, rep.rel_error, its);
    for (size_t j = 0; j < J; j++) dmf_matrix_free(once[j]);
    for (size_t j = 0; j < J; j++) {
        free(S[j].v);
        dmf_matrix_free(start[j]);
        dmf_matrix_free(out[j]);
    }
    free(A.v);
    dmf_matrix_free(a);
}

/* FAuST's demonstration: Hadamard N = 2^n into n factors, splincol 2 for
 * each factor and splincol N / 2^(i+1) for the residual of step i, 30
 * iterations for each PALM. */
static void test_hadamard(size_t N, dmf_dtype dt, size_t local_its, int left)
{
    dmf_matrix *a = NULL;
    dmf_constraint fact[16], res[16];
    dmf_hierarchical_options o;
    /* pyfaust's ParamsHierarchicalWHT sweeps right to left (as the setup
     * does): the residual, started at zero, is updated first.  Left to
     * right, the first step would project H / c (all magnitudes tied) onto
     * splincol 2. */
    size_t n = hadamard_setup(N, dt, &a, fact, res, &o);
    if (!a) return;
    o.local.stop.num_its = local_its;
    /* Peeling off the right end mirrors it: the residual is then the left
     * factor and a left-to-right sweep updates it first. */
    if (left) {
        o.fact_side_left = 1;
        o.local.update_right_to_left = o.global.update_right_to_left = 0;
    }
    dmf_matrix *out[16] = {NULL};
    dmf_palm_report rep = {0};
    CHECK_OK(dmf_hierarchical(NULL, a, fact, res, n, &o, out, &rep));
    printf("hierarchical hadamard %zu %s%s: rel_error %.3g, %zu iterations, lambda %.6g, %.3f s\n", N,
           dmf_dtype_name(dt), left ? " (peeled from the right)" : "", rep.rel_error, rep.iterations, rep.lambda, rep.time_s);
    double tol = dmf_dtype_eps(dt) > 1e-10 ? 1e-5 : 1e-10;
    CHECK(rep.rel_error <= tol, "hadamard %zu %s: rel_error %g", N, dmf_dtype_name(dt), rep.rel_error);
    for (size_t j = 0; j < n && out[j]; j++) {
        size_t nnz = count_nonzeros(out[j], SIZE_MAX, SIZE_MAX);
        CHECK(nnz <= 2 * N * (j + 1 == n ? 1 : 2), "hadamard %zu: factor %zu has %zu nonzeros", N, j, nnz);
    }
    for (size_t j = 0; j < n; j++) dmf_matrix_free(out[j]);
    dmf_matrix_free(a);
}

/* Hadamard 32 times 2^e outside the range the kernels square safely: PALM
 * runs on the copy scaled near 1 (the start lambda applies to it) and
 * gives lambda back scaled, so the error is that of H itself.  A
 * subnormal H gave a product of zeros and reported rel_error 0; at 2^-600
 * and 2^600 the error was 1. */
static void test_hadamard_scaled(void)
{
    const int exponents[] = {-600, 600, -1060};
    for (int x = 0; x < 3; x++) {
        dmf_matrix *a = NULL, *out[16] = {NULL};
        dmf_constraint fact[16], res[16];
        dmf_hierarchical_options o;
        size_t n = hadamard_setup(32, DMF_F64, &a, fact, res, &o);
        if (!a) return;
        double *v = dmf_matrix_data(a);
        for (size_t k = 0; k < 32 * 32; k++) v[k] = ldexp(v[k], exponents[x]);
        dmf_palm_report rep = {0};
        CHECK_OK(dmf_hierarchical(NULL, a, fact, res, n, &o, out, &rep));
        /* lambda times the factors (unit norm) gives entries of 2^e. */
        double scale = ldexp(rep.lambda, -exponents[x]);
        CHECK(rep.rel_error <= 1e-10 && scale > 1 && scale < 1e6, "hadamard 32 times 2^%d: rel_error %g, lambda %g",
              exponents[x], rep.rel_error, rep.lambda);
        for (size_t j = 0; j < n; j++) dmf_matrix_free(out[j]);
        dmf_matrix_free(a);
    }
}

/* A warm start at 2^480: the factors of H 32 found unscaled, their lambda
 * times 2^480, and A = H 2^480 (beyond the safe range, so PALM runs on a
 * copy scaled near 1): the start's lambda is scaled with it, and the
 * error stays that of the start.  Kept as given, lambda 2^480 against a
 * copy near 1 undid the factors. */
static void test_warm_start_scaled(void)
{
    dmf_matrix *a = NULL, *out[16] = {NULL}, *again[16] = {NULL};
    dmf_constraint fact[16], res[16], cons[16];
    dmf_hierarchical_options o;
    size_t n = hadamard_setup(32, DMF_F64, &a, fact, res, &o);
    if (!a) return;
    dmf_palm_report rep = {0};
    CHECK_OK(dmf_hierarchical(NULL, a, fact, res, n, &o, out, &rep));
    for (size_t j = 0; j < n; j++) cons[j] = j + 1 < n ? fact[j] : res[n - 2];
    double *v = dmf_matrix_data(a);
    for (size_t k = 0; k < 32 * 32; k++) v[k] = ldexp(v[k], 480);
    dmf_palm_options p = o.global;
    p.init_lambda = ldexp(rep.lambda, 480);
    p.stop.num_its = 5;
    dmf_palm_report warm = {0};
    CHECK_OK(dmf_palm4msa(NULL, a, cons, n, (const dmf_matrix *const *)out, &p, again, &warm));
    CHECK(warm.rel_error <= 1e-10 && fabs(ldexp(warm.lambda, -480) / rep.lambda - 1) <= 1e-6,
          "warm start at 2^480: rel_error %g (start %g), lambda 2^480 times %g (start %g)", warm.rel_error,
          rep.rel_error, ldexp(warm.lambda, -480), rep.lambda);
    for (size_t j = 0; j < n; j++) dmf_matrix_free(out[j]), dmf_matrix_free(again[j]);
    dmf_matrix_free(a);
}

static void test_errors(void)
{
    dmf_matrix *a = NULL, *out[3] = {NULL};
    CHECK_OK(dmf_matrix_create(&a, DMF_F64, 4, 6));
    double *d = dmf_matrix_data(a);
    for (size_t e = 0; e < 24; e++) d[e] = (double)e;
    dmf_constraint c[2] = {problem_cons(DMF_CONS_SP, 4, 3, 4), problem_cons(DMF_CONS_SP, 2, 6, 4)};
    CHECK_STATUS(dmf_palm4msa(NULL, a, c, 2, NULL, NULL, out, NULL), DMF_ERR_SHAPE);
    CHECK(strstr(dmf_last_error(), "constraint 1") != NULL, "names the constraint: %s", dmf_last_error());
    c[1].rows = 3;
    c[1].cols = 5;
    CHECK_STATUS(dmf_palm4msa(NULL, a, c, 2, NULL, NULL, out, NULL), DMF_ERR_SHAPE);
    c[1].cols = 6;
    dmf_palm_options o;
    dmf_palm_options_default(&o);
    o.stop.num_its = 0;
    CHECK_STATUS(dmf_palm4msa(NULL, a, c, 2, NULL, &o, out, NULL), DMF_ERR_ARG);
    CHECK(out[0] == NULL && out[1] == NULL, "no factors on error");
    dmf_matrix *fixed = NULL;
    CHECK_OK(dmf_matrix_create(&fixed, DMF_C128, 4, 3));
    c[0] = problem_cons(DMF_CONS_CONST, 4, 3, 0);
    c[0].matrix = fixed;
    CHECK_STATUS(dmf_palm4msa(NULL, a, c, 2, NULL, NULL, out, NULL), DMF_ERR_ARG);
    dmf_matrix_free(fixed);
    d[5] = NAN;
    c[0] = problem_cons(DMF_CONS_SP, 4, 3, 4);
    CHECK_STATUS(dmf_palm4msa(NULL, a, c, 2, NULL, NULL, out, NULL), DMF_ERR_NUMERIC);
    d[5] = 5;
    /* Hierarchical: the residual of step 0 must be what step 1 splits. */
    dmf_constraint fact[2] = {problem_cons(DMF_CONS_SP, 4, 4, 4), problem_cons(DMF_CONS_SP, 4, 4, 4)};
    dmf_constraint res[2] = {problem_cons(DMF_CONS_SP, 4, 6, 4), problem_cons(DMF_CONS_SP, 5, 6, 4)};
    CHECK_STATUS(dmf_hierarchical(NULL, a, fact, res, 3, NULL, out, NULL), DMF_ERR_SHAPE);
    CHECK(strstr(dmf_last_error(), "step 1") != NULL, "names the step: %s", dmf_last_error());
    CHECK_STATUS(dmf_hierarchical(NULL, a, fact, res, 1, NULL, out, NULL), DMF_ERR_ARG);
    /* A working small case: the constant first factor stays as given. */
    res[1].rows = 4;
    dmf_matrix *eye = NULL;
    CHECK_OK(dmf_matrix_create(&eye, DMF_F64, 4, 4));
    for (size_t i = 0; i < 4; i++) ((double *)dmf_matrix_data(eye))[i * 5] = 1;
    c[0] = problem_cons(DMF_CONS_CONST, 4, 4, 0);
    c[0].matrix = eye;
    c[1] = problem_cons(DMF_CONS_SP, 4, 6, 24);
    CHECK_OK(dmf_palm4msa(NULL, a, c, 2, NULL, NULL, out, NULL));
    CHECK(out[0] && max_diff(out[0], (double complex[]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}) == 0,
          "the const factor changed");
    dmf_matrix_free(out[0]);
    dmf_matrix_free(out[1]);
    dmf_matrix_free(eye);
    dmf_matrix_free(a);
}

int main(void)
{
    test_projections();
    test_one_factor(DMF_F64);
    test_one_factor(DMF_F32);
    test_one_factor(DMF_C64);
    test_one_factor(DMF_C128);
    test_near_truth(DMF_F64, 1);
    test_near_truth(DMF_F64, 0);
    test_near_truth(DMF_C128, 1);
    test_near_truth(DMF_C128, 0);
    test_errors();
    for (int layout = 0; layout < 6; layout++) {
        test_sparse_sweeps(DMF_F64, layout, 0);
        test_sparse_sweeps(DMF_C128, layout, 0);
    }
    for (int layout = 1; layout < 6; layout++)
        if (layout != 3) test_sparse_sweeps(DMF_F64, layout, 1);
    test_hadamard(32, DMF_F64, 30, 0);
    test_hadamard_scaled();
    test_warm_start_scaled();
    test_hadamard(64, DMF_F64, 30, 0);
    test_hadamard(32, DMF_C128, 30, 0);
    test_hadamard(32, DMF_F64, 30, 1);
    /* In f32 the magnitudes that tie in exact arithmetic differ by
     * rounding; the projections count them as tied (0.35 otherwise). */
    test_hadamard(32, DMF_F32, 30, 0);
    /* With 30 local iterations N = 128 stops at ~2e-8: the later splits
     * converge more slowly. */
    test_hadamard(128, DMF_F64, 60, 0);
    return check_report("test_palm");
}
