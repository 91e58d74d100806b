/* PALM problems with known answers, shared by the tests that run PALM on
 * more than one backend table, and by test_palm.c (include after
 * dense_access.h and check.h):
 *   near truth: A = 3.7 S_0 S_1 S_2 of random sparse factors, started
 *     from the truth plus relative noise 1e-3 with the true constraints;
 *   hadamard: FAuST's hierarchical demonstration on Sylvester's N x N. */
#ifndef DMF_TEST_PALM_PROBLEMS_H
#define DMF_TEST_PALM_PROBLEMS_H

#include <complex.h>
#include <math.h>

enum { NEAR_TRUTH_J = 3 };

typedef struct {
    dmf_matrix *a, *start[NEAR_TRUTH_J], *supp[NEAR_TRUTH_J];
    dmf_constraint c[NEAR_TRUTH_J];
    dmf_palm_options o;
} near_truth_problem;

static inline dmf_constraint problem_cons(dmf_constraint_kind kind, size_t rows, size_t cols, size_t k)
{
    dmf_constraint c = {0};
    c.kind = kind;
    c.rows = rows;
    c.cols = cols;
    c.k = k;
    c.normalized = 1;
    return c;
}

/* kinds 0: sp, splin, sp; 1: supp; 2: splincol, spcol, normcol (the
 * first two sparse enough for CSR, the last dense) */
static inline void near_truth_build(near_truth_problem *p, dmf_dtype dt, int kinds, const size_t dims[4])
{
    memset(p, 0, sizeof *p);
    const size_t krow = 3;
    dmf_matrix *truth[NEAR_TRUTH_J] = {NULL};
    for (size_t j = 0; j < NEAR_TRUTH_J; j++) {
        size_t r = dims[j], q = dims[j + 1];
        CHECK_OK(dmf_matrix_create(&truth[j], dt, r, q));
        CHECK_OK(dmf_matrix_create(&p->start[j], dt, r, q));
        CHECK_OK(dmf_matrix_create(&p->supp[j], DMF_F64, r, q));
        if (!truth[j] || !p->start[j] || !p->supp[j]) return;
        for (size_t i = 0; i < r; i++)
            for (size_t t = 0; t < (j == 1 ? krow : 2); t++) {
                size_t col;
                do col = (size_t)(uniform() * q);
                while (get(p->supp[j], i, col) != 0);
                set(p->supp[j], i, col, 1);
                double mag = 0.5 + uniform();
                double complex phase = dmf_dtype_is_complex(dt) ? cexp(2 * M_PI * I * uniform()) : (uniform() < 0.5 ? -1 : 1);
                set(truth[j], i, col, mag * phase);
            }
        double norm = dmf_matrix_norm_fro(truth[j]);
        for (size_t i = 0; i < r; i++)
            for (size_t col = 0; col < q; col++) {
                set(truth[j], i, col, get(truth[j], i, col) / norm);
                double complex noise = dmf_dtype_is_complex(dt) ? gauss() + I * gauss() : gauss();
                set(p->start[j], i, col, get(truth[j], i, col) + 1e-3 * noise / sqrt((double)(r * q)));
            }
        if (kinds == 1) {
            p->c[j] = problem_cons(DMF_CONS_SUPP, r, q, 0);
            p->c[j].matrix = p->supp[j];
        } else if (kinds == 2) {
            size_t most = 0; /* the truth's most nonzeros in a row or column */
            for (size_t i = 0; i < r; i++) {
                size_t n = 0;
                for (size_t col = 0; col < q; col++) n += get(p->supp[j], i, col) != 0;
                if (n > most) most = n;
            }
            for (size_t col = 0; col < q; col++) {
                size_t n = 0;
                for (size_t i = 0; i < r; i++) n += get(p->supp[j], i, col) != 0;
                if (n > most) most = n;
            }
            p->c[j] = problem_cons(j == 0 ? DMF_CONS_SPLINCOL : DMF_CONS_SPCOL, r, q, most);
            if (j == 2) {
                p->c[j] = problem_cons(DMF_CONS_NORMCOL, r, q, 0);
                p->c[j].value = 1;
            }
        } else {
            p->c[j] = problem_cons(j == 1 ? DMF_CONS_SPLIN : DMF_CONS_SP, r, q, j == 1 ? krow : 2 * r);
        }
    }
    CHECK_OK(dmf_matrix_create(&p->a, dt, dims[0], dims[3]));
    for (size_t i = 0; p->a && i < dims[0]; i++)
        for (size_t l = 0; l < dims[3]; l++) {
            double complex s = 0;
            for (size_t a = 0; a < dims[1]; a++)
                for (size_t b = 0; b < dims[2]; b++) s += get(truth[0], i, a) * get(truth[1], a, b) * get(truth[2], b, l);
            set(p->a, i, l, 3.7 * s);
        }
    dmf_palm_options_default(&p->o);
    p->o.stop.num_its = 200;
    p->o.init_lambda = 3.7 * (1 + 1e-3);
    for (size_t j = 0; j < NEAR_TRUTH_J; j++) dmf_matrix_free(truth[j]);
}

static inline void near_truth_free(near_truth_problem *p)
{
    dmf_matrix_free(p->a);
    for (size_t j = 0; j < NEAR_TRUTH_J; j++) {
        dmf_matrix_free(p->start[j]);
        dmf_matrix_free(p->supp[j]);
    }
}

/* The Hadamard demonstration's constraints (n = log2 N factors) and
 * options, 30 iterations per PALM, right to left as pyfaust's. */
static inline size_t hadamard_setup(size_t N, dmf_dtype dt, dmf_matrix **a, dmf_constraint *fact, dmf_constraint *res,
                             dmf_hierarchical_options *o)
{
    size_t n = 0;
    while (((size_t)1 << n) < N) n++;
    dmf_matrix_spec spec = {.name = "hadamard", .rows = N, .cols = N, .dtype = dt};
    CHECK_OK(dmf_matrix_builtin(&spec, a));
    for (size_t i = 0; i + 1 < n; i++) {
        fact[i] = problem_cons(DMF_CONS_SPLINCOL, N, N, 2);
        res[i] = problem_cons(DMF_CONS_SPLINCOL, N, N, N >> (i + 1));
    }
    dmf_hierarchical_options_default(o);
    o->local.stop.num_its = o->global.stop.num_its = 30;
    o->local.update_right_to_left = o->global.update_right_to_left = 1;
    return n;
}

/* max |x - y| over the entries, relative to max |y|. */
static inline double rel_max_diff(const dmf_matrix *x, const dmf_matrix *y)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < dmf_matrix_rows(y); i++)
        for (size_t j = 0; j < dmf_matrix_cols(y); j++) {
            double e = cabs(get(x, i, j) - get(y, i, j)), v = cabs(get(y, i, j));
            if (e > d) d = e;
            if (v > m) m = v;
        }
    return m > 0 ? d / m : d;
}

#endif
