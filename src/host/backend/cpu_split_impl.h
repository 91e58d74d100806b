/* CPU batched masked rank-r step, one dtype (see scalar_begin.h).
 *
 * Each sub-block is gathered into a contiguous buffer (2 x n blocks are read
 * where they lie, m x 2 blocks eight at a time in vector lanes) and
 * approximated by sum_rho x_rho h_rho with unit x_rho and h_rho = x_rho^H S (so the error is
 * the best for the chosen x).  Rank one uses closed forms for 1- and 2-row or
 * column blocks and power iteration with a residual test otherwise, Lanczos
 * where that stops without converging; rank > 1, and blocks that neither
 * solves, use LAPACK's SVD.  Exact
 * inputs are the common case: a rank-one block converges in one iteration. */

/* Thread-private scratch sized once per split.  Every buffer a sub-block is
 * worked in starts on a 64-byte boundary (and each sub-block of a tile too):
 * with scratch wherever malloc put it, the same block gave last-bit
 * different factors from one run to the next when only the heap layout
 * changed (8 of 96 runs of four problems, output to a file, a pipe or
 * /dev/null).  Aligned, a sub-block's result depends on its entries alone,
 * so the factors of several processes (dmf butterfly factor --mpi) are bit
 * for bit those of one. */
typedef struct {
    SCALAR *block, *svd_work, *u, *vt, *x, *h, *vec_n;
    REAL *sigma, *rwork, *dot_parts;
    lapack_int *iwork;
    double *written_parts; /* single precision: H's row as written, as written_residual reads it */
    SCALAR *work;
    lapack_int lwork;
    const double *row_sq; /* the rows' squared norms when the gather summed them, else NULL */
    const SCALAR *start_x; /* S conj(row 0)^T / |row 0|^2 when the gather formed it, else NULL */
    const double *first_z; /* the first iteration's sums (real view, double) when the gather formed them, else NULL */
    double first_res, first_cc; /* (gather_tile) */
    const char *next_tile; /* the next tile's first row, to prefetch while this one is gathered; or NULL */
    size_t next_stride, next_run; /* its rows' distance and length, bytes */
    double residual; /* ||S - x h||^2 when the solver computed it, else < 0 */
    double x_scale;  /* the unit x is s->x times this (1 unless a solver left x unnormalized) */
    int top_refuted;  /* power iteration converged on a triplet that the Cholesky test refuted */
    size_t steps;    /* the power iterations the block took */
    size_t lanczos_steps; /* and the Lanczos steps */
    void *lz_vectors; /* rank1_lanczos's, in double precision, allocated when first needed */
    void *lz_gram;    /* its Cholesky test's k x k factor, likewise */
    void *ss_vectors; /* rank_r_subspace's, likewise */
    double *lz_reals;
} FN(split_scratch);

static void FN(scratch_free)(FN(split_scratch) *s)
{
    void *buffers[] = {s->block, s->svd_work, s->u, s->vt, s->x, s->h, s->vec_n, s->sigma, s->iwork, s->rwork,
                       s->work, s->dot_parts, s->written_parts, s->lz_vectors, s->lz_gram, s->ss_vectors,
                       s->lz_reals};
    for (size_t k = 0; k < sizeof buffers / sizeof buffers[0]; k++) dmf_recycle_free(buffers[k]);
}

/* LAPACK's SVD by divide and conquer (?gesdd), column-major, on
 * caller-owned work arrays: every buffer LAPACK touches is ours and padded,
 * since some OpenBLAS vector kernels read a little past the end of their
 * operands.  Against ?gesvd: 128 x 128 f64 1.9 against 7.4 ms, 64 x 64
 * 0.41 against 0.78 ms, one thread.  (?syevr on the Gram matrix took 0.40
 * ms, but on a block whose top singular value is repeated exactly, a DCT-II
 * block, OpenBLAS's tridiagonalization gave vectors that changed with the
 * calling thread's stack: the factors no longer depended on the input
 * alone.) */
static lapack_int FN(gesdd)(lapack_int rows, lapack_int cols, SCALAR *a, REAL *sv, SCALAR *u, SCALAR *vt,
                            lapack_int ldvt, SCALAR *work, lapack_int lwork, REAL *rwork, lapack_int *iwork)
{
#if IS_COMPLEX
    return LAPACK_GESDD_WORK(LAPACK_COL_MAJOR, 'S', rows, cols, a, rows, sv, u, rows, vt, ldvt, work, lwork, rwork,
                             iwork);
#else
    (void)rwork;
    return LAPACK_GESDD_WORK(LAPACK_COL_MAJOR, 'S', rows, cols, a, rows, sv, u, rows, vt, ldvt, work, lwork, iwork);
#endif
}

static lapack_int FN(gesdd_lwork)(size_t m, size_t n)
{
    SCALAR query = 0;
    lapack_int k = (lapack_int)(m < n ? m : n);
    FN(gesdd)((lapack_int)n, (lapack_int)m, NULL, NULL, NULL, NULL, k, &query, -1, NULL, NULL);
    lapack_int lwork = (lapack_int)RE(query);
    return lwork > 1 ? lwork : 1;
}

static int FN(scratch_alloc)(FN(split_scratch) *s, size_t m, size_t n, size_t rank)
{
    size_t k = m < n ? m : n;
    memset(s, 0, sizeof *s);
    s->block = dmf_recycle_zeroed(m * n, sizeof(SCALAR));
    const size_t pad = 64; /* vector kernels may read a little past the end */
    s->svd_work = dmf_recycle_zeroed(m * n + pad, sizeof(SCALAR));
    s->u = dmf_recycle_zeroed(n * k + pad, sizeof(SCALAR));
    s->vt = dmf_recycle_zeroed(k * m + pad, sizeof(SCALAR));
    s->x = dmf_recycle_zeroed(m * rank, sizeof(SCALAR));
    s->h = dmf_recycle_zeroed(rank * n, sizeof(SCALAR));
    s->vec_n = dmf_recycle_zeroed(n, sizeof(SCALAR));
    s->dot_parts = dmf_recycle_zeroed(4 * n, sizeof(REAL));
    s->written_parts = sizeof(REAL) == sizeof(float) ? dmf_recycle_zeroed(4 * n, sizeof(double)) : NULL;
    s->sigma = dmf_recycle_zeroed(k + 1, sizeof(REAL));
    s->iwork = dmf_recycle_zeroed(8 * k + pad, sizeof(lapack_int));
    /* ?gesdd's real work of a complex block (LAPACK's bound for JOBZ = 'S'). */
    const size_t big = m > n ? m : n, square = 5 * k * k + 5 * k, wide = 2 * big * k + 2 * k * k + k;
    const size_t rwork = square > wide ? square : wide;
    s->rwork = IS_COMPLEX ? dmf_recycle_zeroed(rwork + pad, sizeof(REAL)) : NULL;
    s->lwork = FN(gesdd_lwork)(m, n);
    s->work = dmf_recycle_zeroed((size_t)s->lwork + pad, sizeof(SCALAR));
    if (!s->block || !s->svd_work || !s->u || !s->vt || !s->x || !s->h || !s->vec_n || !s->dot_parts || !s->sigma || (IS_COMPLEX && !s->rwork) || !s->work ||
        !s->iwork || (sizeof(REAL) == sizeof(float) && !s->written_parts)) {
        FN(scratch_free)(s);
        return 0;
    }
    return 1;
}

/* Short sums in vector lanes (lane_sums.h, lane_pairs_impl.h). */
#include "lane_pairs_impl.h"

/* sum_k x[k] a[k] and sum_k x[k] b[k] (b may be NULL), in REAL. */
static inline void FN(dot_reals)(const REAL *x, const REAL *a, const REAL *b, size_t len, REAL *out_a, REAL *out_b)
{
    FN(lanes8) sa = {0}, sb = {0};
    size_t k = 0;
    for (; k + 8 <= len; k += 8) {
        FN(lanes8) xv, av, bv;
        DMF_LOAD8(xv, x + k);
        DMF_LOAD8(av, a + k);
        sa += xv * av;
        if (b) {
            DMF_LOAD8(bv, b + k);
            sb += xv * bv;
        }
    }
    REAL ta = 0, tb = 0;
    for (; k < len; k++) {
        ta += x[k] * a[k];
        if (b) tb += x[k] * b[k];
    }
    double la[8], lb[8];
    for (int q = 0; q < 8; q++) la[q] = (double)sa[q], lb[q] = (double)sb[q];
    *out_a = (REAL)dmf_lanes_total(la) + ta;
    if (b) *out_b = (REAL)dmf_lanes_total(lb) + tb;
}

/* sum_k |x[k]|^2 over n entries, in double. */
static inline double FN(sum_sq)(const SCALAR *x, size_t n)
{
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    return sizeof(REAL) == sizeof(float) ? dmf_lane_sum_squares_f32((const float *)x, len, 1)
                                         : dmf_lane_sum_squares_f64((const double *)x, len, 1);
}

/* h = x^H S for unit x; returns ||h||^2. */
static double FN(project_row)(const SCALAR *S, size_t m, size_t n, const SCALAR *x, SCALAR *h)
{
    for (size_t b = 0; b < n; b++) h[b] = 0;
    for (size_t a = 0; a < m; a++) {
        SCALAR ca = CONJ(x[a]);
        const SCALAR *row = S + a * n;
        for (size_t b = 0; b < n; b++) h[b] += ca * row[b];
    }
    return FN(sum_sq)(h, n);
}

static double FN(normalize)(SCALAR *v, size_t len)
{
    double norm = sqrt(FN(sum_sq)(v, len));
    if (norm > 0)
        for (size_t i = 0; i < len; i++) v[i] = (SCALAR)(v[i] / (REAL)norm);
    return norm;
}

/* One step of the 2 x n projection, eight reals at k of rows A and B:
 * h = conj(x0) s0 + conj(x1) s1 written as h t into Hr, ||s - x h||^2 added
 * into acc, the reals at k of pf0 and pf1 prefetched while k is below
 * pf_end bytes. */
#define TWO_ROWS_STEP(acc, k)                                                                      \
    do {                                                                                           \
        FN(lanes8) s0, s1;                                                                         \
        if ((k) * sizeof(REAL) < pf_end) {                                                         \
            __builtin_prefetch(pf0 + (k) * sizeof(REAL), 0, 1);                                    \
            __builtin_prefetch(pf1 + (k) * sizeof(REAL), 0, 1);                                    \
        }                                                                                          \
        DMF_LOAD8(s0, A + (k));                                                                    \
        DMF_LOAD8(s1, B + (k));                                                                    \
        const FN(lanes8) hb = PAIR_CONJ_TIMES(p0, s0) + PAIR_CONJ_TIMES(p1, s1), ht = hb * t;      \
        memcpy(Hr + (k), &ht, sizeof ht);                                                          \
        const FN(dlanes8) e0 = __builtin_convertvector(s0 - PAIR_TIMES(p0, hb), FN(dlanes8)),      \
                          e1 = __builtin_convertvector(s1 - PAIR_TIMES(p1, hb), FN(dlanes8));      \
        acc += e0 * e0 + e1 * e1;                                                                  \
    } while (0)

/* The projection's entries past the last whole step (from real k on).
 * Never inlined: inlined into its two callers, GCC compiled their complex
 * products two ways (an imaginary part one rounding apart), and a block's
 * factors must not depend on the path that computed them (test_partition
 * cuts a split's tiles at other places). */
__attribute__((noinline)) static double FN(project_two_rows_tail)(const SCALAR *r0, const SCALAR *r1, size_t n,
                                                                  size_t k, const SCALAR *x, REAL t, SCALAR *h)
{
    const SCALAR c0 = CONJ(x[0]), c1 = CONJ(x[1]), x0 = x[0], x1 = x[1];
    double tail = 0;
    for (size_t b = k / (IS_COMPLEX ? 2 : 1); b < n; b++) {
        SCALAR s0 = r0[b], s1 = r1[b];
        SCALAR hb = c0 * s0 + c1 * s1;
        h[b] = hb * t;
        tail += ABS2(s0 - x0 * hb) + ABS2(s1 - x1 * hb);
    }
    return tail;
}

/* h = x^H S for a 2 x n block (rows r0 and r1), written as h t, returning
 * ||S - x h||^2 from the same pass.  The next block's rows (next0, next1,
 * n entries each; NULL: none) are prefetched along the way: l2r's rows
 * come from memory, and read only when the Gram matrix is summed, they
 * left the cores idle while the projection ran and memory idle while the
 * sum waited on it. */
static double FN(project_two_rows)(const SCALAR *r0, const SCALAR *r1, size_t n, const SCALAR *x, REAL t,
                                   SCALAR *h, const SCALAR *next0, const SCALAR *next1)
{
    const char *pf0 = (const char *)next0, *pf1 = (const char *)next1;
    const size_t pf_end = next0 ? n * sizeof(SCALAR) : 0;
    const FN(pair_lanes) p0 = FN(pair_lanes_of)(x[0]), p1 = FN(pair_lanes_of)(x[1]);
    const REAL *A = (const REAL *)r0, *B = (const REAL *)r1;
    REAL *Hr = (REAL *)h;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    /* In fixed-order lanes, two running sums. */
    FN(dlanes8) acc0 = {0}, acc1 = {0};
    size_t k = 0;
    DMF_LANE_TWO_SUMS(TWO_ROWS_STEP, acc0, acc1, k, len);
    return dmf_lanes_sum(&acc0) + FN(project_two_rows_tail)(r0, r1, n, k, x, t, h);
}

/* Sums of products in double whatever the dtype. */
#if IS_COMPLEX
typedef double complex FN(acc_t);
#else
typedef double FN(acc_t);
#endif

#ifndef DMF_SPLIT_EIGVEC_COMMON
#define DMF_SPLIT_EIGVEC_COMMON
/* Top unit eigenvector of the 2 x 2 Hermitian [[g11, g12], [conj(g12), g22]]
 * as the parts (Re e0, Im e0, Re e1, Im e1): the larger of the two null
 * vectors of G - lambda I avoids cancellation.  G's entries are squares of
 * the block's, up to 2^950 for the entries the input scan lets through and
 * subnormal for blocks far below a scaled input's largest entry: |g12| by
 * hypot and the vector brought near 1 part by part (exactly, by a power of
 * two: 2^-exponent itself can overflow) before its norm.  All in double
 * whatever the dtype (in single precision a block of entries near 2^-80
 * underflowed).  The one-block closed forms and the lanes share it.
 * Returns the eigenvalue. */
static double top_eigvec_2x2_parts(double g11, double g22, double g12r, double g12i, double v[4])
{
    double half = 0.5 * (g11 - g22);
    double lambda = 0.5 * (g11 + g22) + hypot(half, hypot(g12r, g12i));
    if (g11 >= g22) { /* (lambda - g22, conj(g12)) */
        v[0] = lambda - g22, v[1] = 0, v[2] = g12r, v[3] = -g12i;
    } else { /* (g12, lambda - g11) */
        v[0] = g12r, v[1] = g12i, v[2] = lambda - g11, v[3] = 0;
    }
    double big = fmax(fmax(fabs(v[0]), fabs(v[1])), fmax(fabs(v[2]), fabs(v[3])));
    if ((big > 0x1p500 && big < INFINITY) || (big > 0 && big < 0x1p-500)) {
        int exponent;
        frexp(big, &exponent);
        for (int q = 0; q < 4; q++) v[q] = ldexp(v[q], -exponent);
    }
    double norm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3]);
    if (norm > 0) {
        for (int q = 0; q < 4; q++) v[q] /= norm;
    } else { /* G is a multiple of I: any unit vector */
        v[0] = 1, v[1] = v[2] = v[3] = 0;
    }
    return lambda;
}
#endif

/* top_eigvec_2x2_parts rounded to the dtype; returns the eigenvalue. */
static double FN(top_eigvec_2x2)(double g11, double g22, FN(acc_t) g12, SCALAR *e)
{
    double v[4];
#if IS_COMPLEX
    double lambda = top_eigvec_2x2_parts(g11, g22, creal(g12), cimag(g12), v);
    e[0] = (SCALAR)(v[0] + I * v[1]);
    e[1] = (SCALAR)(v[2] + I * v[3]);
#else
    double lambda = top_eigvec_2x2_parts(g11, g22, g12, 0, v);
    e[0] = (SCALAR)v[0];
    e[1] = (SCALAR)v[2];
#endif
    return lambda;
}

/* S S^H of a 2 x n block (rows r0 and r1): the closed form for m == 2
 * takes its top eigenvector. */
typedef struct {
    double g11, g22;
    FN(acc_t) g12;
} FN(gram_rows);

/* In eight lanes of double over the rows' real parts, added in a fixed
 * order (lane_sums.h): an omp simd reduction left the order to the
 * compiler, and a change elsewhere in this file that moved its inlining
 * moved the last bit of some blocks' factors. */
typedef struct {
    FN(dlanes8) s11, s22, s12, t12;
} FN(gram_lanes);

/* Eight reals at k of rows x and y into the sums. */
#define GRAM_ROWS_STEP(g, x, y, k)                                                                            \
    do {                                                                                                      \
        FN(lanes8) xv_, yv_;                                                                                  \
        DMF_LOAD8(xv_, (x) + (k));                                                                            \
        DMF_LOAD8(yv_, (y) + (k));                                                                            \
        const FN(dlanes8) xd_ = __builtin_convertvector(xv_, FN(dlanes8)),                                    \
                          yd_ = __builtin_convertvector(yv_, FN(dlanes8));                                    \
        (g).s11 += xd_ * xd_;                                                                                 \
        (g).s22 += yd_ * yd_;                                                                                 \
        (g).s12 += xd_ * yd_; /* Re(r0 conj(r1)) */                                                           \
        if (IS_COMPLEX) /* Im(r0 conj(r1)): (re0, im0) . (-im1, re1) */                                      \
            (g).t12 += xd_ * (DMF_SWAP_PAIRS8(yd_) * (FN(dlanes8)){-1, 1, -1, 1, -1, 1, -1, 1});              \
    } while (0)

/* The sums' totals with the reals from k on. */
static FN(gram_rows) FN(gram_rows_finish)(const FN(gram_lanes) *g, const REAL *x, const REAL *y, size_t k,
                                          size_t len)
{
    double tail[4] = {0, 0, 0, 0};
    for (; k < len; k++) {
        const double xk = x[k], yk = y[k];
        tail[0] += xk * xk;
        tail[1] += yk * yk;
        tail[2] += xk * yk;
#if IS_COMPLEX
        tail[3] += k % 2 ? xk * y[k - 1] : -xk * y[k + 1];
#endif
    }
    const double g11 = dmf_lanes_sum(&g->s11) + tail[0], g22 = dmf_lanes_sum(&g->s22) + tail[1];
    const double g12_re = dmf_lanes_sum(&g->s12) + tail[2];
#if IS_COMPLEX
    return (FN(gram_rows)){g11, g22, g12_re + I * (dmf_lanes_sum(&g->t12) + tail[3])};
#else
    return (FN(gram_rows)){g11, g22, g12_re};
#endif
}

static FN(gram_rows) FN(gram_two_rows)(const SCALAR *r0, const SCALAR *r1, size_t n)
{
    const REAL *x = (const REAL *)r0, *y = (const REAL *)r1;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    FN(gram_lanes) g = {{0}, {0}, {0}, {0}};
    size_t k = 0;
    for (; k + 8 <= len; k += 8) GRAM_ROWS_STEP(g, x, y, k);
    return FN(gram_rows_finish)(&g, x, y, k, len);
}

/* project_two_rows of one block (no prefetch) and gram_two_rows of the
 * next (rows q0, q1, as many entries) in one loop, each with its own sums
 * in its own order: the same results bit for bit.  The next block's rows
 * come from memory while this one's are in the cache: taken one pass after
 * the other, l2r's root waited on memory in the sum (half its samples on
 * the adds after its loads) and left memory idle in the projection. */
static double FN(project_and_gram_two_rows)(const SCALAR *r0, const SCALAR *r1, size_t n, const SCALAR *x, REAL t,
                                            SCALAR *h, const SCALAR *q0, const SCALAR *q1, FN(gram_rows) *next,
                                            const SCALAR *after0, const SCALAR *after1)
{
    const char *pf0 = (const char *)after0, *pf1 = (const char *)after1;
    const size_t pf_end = after0 ? n * sizeof(SCALAR) : 0;
    const FN(pair_lanes) p0 = FN(pair_lanes_of)(x[0]), p1 = FN(pair_lanes_of)(x[1]);
    const REAL *A = (const REAL *)r0, *B = (const REAL *)r1, *gx = (const REAL *)q0, *gy = (const REAL *)q1;
    REAL *Hr = (REAL *)h;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    FN(dlanes8) acc0 = {0}, acc1 = {0};
    FN(gram_lanes) g = {{0}, {0}, {0}, {0}};
    size_t k = 0;
#define PROJECT_AND_GRAM_STEP(acc, k)       \
    do {                                    \
        TWO_ROWS_STEP(acc, k);              \
        GRAM_ROWS_STEP(g, gx, gy, k);       \
    } while (0)
    DMF_LANE_TWO_SUMS(PROJECT_AND_GRAM_STEP, acc0, acc1, k, len);
#undef PROJECT_AND_GRAM_STEP
#undef GRAM_ROWS_STEP
#undef TWO_ROWS_STEP
    *next = FN(gram_rows_finish)(&g, gx, gy, k, len);
    return dmf_lanes_sum(&acc0) + FN(project_two_rows_tail)(r0, r1, n, k, x, t, h);
}

/* Tall blocks (r2l: m up to N/2).  A running sum of m products of one
 * magnitude and phase, as a DFT gives, loses up to m/2 roundings in its
 * last digits: the projection h = x^H S summed that way left r2l at 2e-14
 * against 1.5e-15 for the balanced tree at N = 8192.  The closed form is
 * not at fault: LAPACK's x gives the same error when h is summed in that
 * order.  The Gram matrix, which only chooses v, is summed pairwise (runs
 * of 32 rows in order, then halves added); the sums that set h and the
 * block's scale are compensated (project_two_cols). */
typedef struct {
    double g11, g22;
    FN(acc_t) g12;
} FN(gram2);

/* G = S^H S of an m x 2 block, pairwise over the rows. */
static FN(gram2) FN(gram_two_cols)(const SCALAR *S, size_t m)
{
    FN(gram2) g = {0, 0, 0};
    if (m > 32) {
        size_t half = m / 2;
        FN(gram2) lo = FN(gram_two_cols)(S, half), hi = FN(gram_two_cols)(S + 2 * half, m - half);
        return (FN(gram2)){lo.g11 + hi.g11, lo.g22 + hi.g22, lo.g12 + hi.g12};
    }
    for (size_t a = 0; a < m; a++) {
        g.g11 += ABS2(S[2 * a]);
        g.g22 += ABS2(S[2 * a + 1]);
        g.g12 += (FN(acc_t))CONJ(S[2 * a]) * (FN(acc_t))S[2 * a + 1];
    }
    return g;
}

/* One pass over an m x 2 block for the unit vector v and its orthogonal
 * complement vp: xt = S v (stored), ||xt||^2 and k = xt^H S, and w = S vp
 * with ||w||^2 and xt^H w.  h = k / ||xt|| and the scale ||xt|| are the
 * short side of the split: an error there is an error of the whole block's
 * product that no residual sees, so those sums are compensated (Knuth's
 * two-sum: a few ulps whatever m; pairwise summation still left r2l 2.5x
 * above the balanced tree).  w is of the order of the rounding, its sums
 * need no care. */
typedef struct {
    double sum, carry;
} FN(ksum);

static inline void FN(ksum_add)(FN(ksum) *k, double x)
{
    double t = k->sum + x, z = t - k->sum;
    k->carry += (k->sum - (t - z)) + (x - z);
    k->sum = t;
}

typedef struct {
    double xx, ww;
    FN(acc_t) k0, k1, xw;
} FN(proj2);

/* The rows are taken in TWO_COL_LANES interleaved runs (row a in run
 * a mod TWO_COL_LANES), each with its own compensated sums, and the runs'
 * sums are added compensated at the end: the same few ulps, but the runs
 * are independent, so they fill the vector lanes and the pipelines instead
 * of waiting on one chain of additions.  r2l's splits take the same
 * arithmetic eight sub-blocks at a time (cpu_split_lanes_impl.h); this
 * one-block form serves the sub-blocks those lanes hand back. */
#ifndef TWO_COL_LANES
#define TWO_COL_LANES 4
#define TWO_SUM_ADD(sum, carry, x)                                  \
    do {                                                            \
        double x_ = (x), t_ = (sum) + x_, z_ = t_ - (sum);          \
        (carry) += ((sum) - (t_ - z_)) + (x_ - z_);                 \
        (sum) = t_;                                                 \
    } while (0)
#endif

/* The compensated total of the runs' sums and carries. */
static double FN(lanes_total)(const double *sum, const double *carry)
{
    FN(ksum) k = {0, 0};
    double carries = 0;
    for (int l = 0; l < TWO_COL_LANES; l++) {
        FN(ksum_add)(&k, sum[l]);
        carries += carry[l];
    }
    return k.sum + (k.carry + carries);
}

static FN(proj2) FN(project_two_cols)(const SCALAR *S, size_t m, const SCALAR *v, const SCALAR *vp,
                                      SCALAR *xt)
{
    enum { NL = TWO_COL_LANES };
    double xx[NL] = {0}, xxc[NL] = {0}, ww[NL] = {0};
    double k0r[NL] = {0}, k0rc[NL] = {0}, k1r[NL] = {0}, k1rc[NL] = {0};
    FN(acc_t) xw[NL] = {0};
#if IS_COMPLEX
    double k0i[NL] = {0}, k0ic[NL] = {0}, k1i[NL] = {0}, k1ic[NL] = {0};
#endif
    const SCALAR v0 = v[0], v1 = v[1], vp0 = vp[0], vp1 = vp[1];
    size_t a = 0;
#define TWO_COL_ROW(l, row)                                                                      \
    do {                                                                                         \
        SCALAR s0 = S[2 * (row)], s1 = S[2 * (row) + 1];                                         \
        SCALAR x = s0 * v0 + s1 * v1, w = s0 * vp0 + s1 * vp1;                                   \
        FN(acc_t) cx = (FN(acc_t))CONJ(x), p0 = cx * (FN(acc_t))s0, p1 = cx * (FN(acc_t))s1;     \
        xt[row] = x;                                                                             \
        TWO_SUM_ADD(xx[l], xxc[l], ABS2(x));                                                     \
        ww[l] += ABS2(w);                                                                        \
        xw[l] += cx * (FN(acc_t))w;                                                              \
        TWO_COL_PARTS(l, p0, p1);                                                                \
    } while (0)
#if IS_COMPLEX
#define TWO_COL_PARTS(l, p0, p1)                        \
    do {                                                \
        TWO_SUM_ADD(k0r[l], k0rc[l], creal(p0));        \
        TWO_SUM_ADD(k0i[l], k0ic[l], cimag(p0));        \
        TWO_SUM_ADD(k1r[l], k1rc[l], creal(p1));        \
        TWO_SUM_ADD(k1i[l], k1ic[l], cimag(p1));        \
    } while (0)
#else
#define TWO_COL_PARTS(l, p0, p1)                        \
    do {                                                \
        TWO_SUM_ADD(k0r[l], k0rc[l], p0);               \
        TWO_SUM_ADD(k1r[l], k1rc[l], p1);               \
    } while (0)
#endif
    for (; a + NL <= m; a += NL)
        for (int l = 0; l < NL; l++) TWO_COL_ROW(l, a + l);
    for (int l = 0; a < m; a++, l++) TWO_COL_ROW(l, a);
#undef TWO_COL_ROW
#undef TWO_COL_PARTS
    FN(proj2) p = {FN(lanes_total)(xx, xxc), 0, FN(lanes_total)(k0r, k0rc), FN(lanes_total)(k1r, k1rc), 0};
    for (int l = 0; l < NL; l++) {
        p.ww += ww[l];
        p.xw += xw[l];
    }
#if IS_COMPLEX
    p.k0 += I * FN(lanes_total)(k0i, k0ic);
    p.k1 += I * FN(lanes_total)(k1i, k1ic);
#endif
    return p;
}

/* Closed form for n == 2: v the top eigenvector of S^H S, x = S v / ||S v||
 * and h = x^H S, with the residual from the same pass: S - x x^H S =
 * (I - x x^H) S vp vp^H since S v is along x, so ||S - x h||^2 =
 * ||w||^2 - |x^H w|^2 with w = S vp, a sum of the small quantities
 * themselves (no cancellation of ||S||^2 against sigma^2).  x is left as
 * S v with *x_scale = 1 / ||S v||: the store applies that scale and
 * sqrt(sigma) in one multiplication, one rounding less per level of an r2l
 * tree, where every entry of the left half goes through every level.
 * Returns the residual, or -1 when S v vanished (the caller projects then,
 * with x = e_0). */
static double FN(rank1_two_cols)(const SCALAR *S, size_t m, SCALAR *x, SCALAR *h, double *x_scale)
{
    FN(gram2) g = FN(gram_two_cols)(S, m);
    SCALAR v[2], vp[2];
    FN(top_eigvec_2x2)(g.g11, g.g22, g.g12, v);
    vp[0] = -CONJ(v[1]);
    vp[1] = CONJ(v[0]);
    FN(proj2) p = FN(project_two_cols)(S, m, v, vp, x);
    if (!(p.xx > 0)) {
        memset(x, 0, m * sizeof(SCALAR));
        x[0] = 1;
        return -1;
    }
    double norm = sqrt(p.xx);
    *x_scale = 1 / norm;
    h[0] = (SCALAR)(p.k0 / norm);
    h[1] = (SCALAR)(p.k1 / norm);
    double residual = p.ww - ABS2(p.xw) / p.xx;
    return residual > 0 ? residual : 0;
}

/* Dot products of rows with one vector v.  A sum of complex products is
 * one chain of additions that GCC leaves in one lane; as two real dot
 * products over the interleaved parts, (re, im) . (v_re, -v_im) and
 * (re, im) . (v_im, v_re), it fills the vector lanes.  parts holds those
 * two vectors (4n reals; v itself for a real dtype). */
static void FN(make_dot_parts)(const SCALAR *v, size_t n, int conjugate, REAL *parts)
{
#if IS_COMPLEX
    const REAL sign = conjugate ? -1 : 1;
    REAL *re_part = parts, *im_part = parts + 2 * n;
    for (size_t b = 0; b < n; b++) {
        re_part[2 * b] = RE(v[b]);
        re_part[2 * b + 1] = -sign * cimag(v[b]);
        im_part[2 * b] = sign * cimag(v[b]);
        im_part[2 * b + 1] = RE(v[b]);
    }
#else
    (void)conjugate;
    for (size_t b = 0; b < n; b++) parts[b] = v[b];
#endif
}

static inline SCALAR FN(row_dot)(const SCALAR *row, size_t n, const REAL *parts)
{
#if IS_COMPLEX
    REAL sum_re = 0, sum_im = 0;
    FN(dot_reals)((const REAL *)row, parts, parts + 2 * n, 2 * n, &sum_re, &sum_im);
    return sum_re + I * sum_im;
#else
    SCALAR sum = 0;
    FN(dot_reals)(row, parts, NULL, n, &sum, NULL);
    return sum;
#endif
}

/* A row of n entries copied out of the target, its sum of squares
 * (returned, in double) and, given row 0's dot parts, its product with
 * conj(row 0) (*dot, as row_dot forms it) summed on the way: one read of
 * the row, and two running sums of each kind, so that an add need not wait
 * on the one before (the gather's copy, squares and product were three
 * loops over the row, each a chain of adds). */
static inline double FN(gather_row)(SCALAR *dst, const SCALAR *src, size_t n, const REAL *parts, SCALAR *dot)
{
    const REAL *in = (const REAL *)src, *P = parts;
    REAL *out = (REAL *)dst;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
#if IS_COMPLEX
    const REAL *Q = parts ? parts + len : NULL;
#endif
    FN(dlanes8) sq0 = {0}, sq1 = {0};
    FN(lanes8) re0 = {0}, re1 = {0}, im0 = {0}, im1 = {0};
    size_t k = 0;
    for (; k + 16 <= len; k += 16) {
        FN(lanes8) v0, v1;
        DMF_LOAD8(v0, in + k);
        DMF_LOAD8(v1, in + k + 8);
        memcpy(out + k, &v0, sizeof v0);
        memcpy(out + k + 8, &v1, sizeof v1);
        const FN(dlanes8) d0 = __builtin_convertvector(v0, FN(dlanes8)), d1 = __builtin_convertvector(v1, FN(dlanes8));
        sq0 += d0 * d0;
        sq1 += d1 * d1;
        if (parts) {
            FN(lanes8) p0, p1;
            DMF_LOAD8(p0, P + k);
            DMF_LOAD8(p1, P + k + 8);
            re0 += v0 * p0;
            re1 += v1 * p1;
#if IS_COMPLEX
            DMF_LOAD8(p0, Q + k);
            DMF_LOAD8(p1, Q + k + 8);
            im0 += v0 * p0;
            im1 += v1 * p1;
#endif
        }
    }
    double tail_sq = 0;
    REAL tail_re = 0, tail_im = 0;
    for (; k < len; k++) {
        out[k] = in[k];
        tail_sq += (double)in[k] * in[k];
        if (parts) {
            tail_re += in[k] * P[k];
#if IS_COMPLEX
            tail_im += in[k] * Q[k];
#endif
        }
    }
    sq0 += sq1;
    if (parts) {
        const FN(dlanes8) re = __builtin_convertvector(re0 + re1, FN(dlanes8));
        const REAL sum_re = (REAL)dmf_lanes_sum(&re) + tail_re;
#if IS_COMPLEX
        const FN(dlanes8) im = __builtin_convertvector(im0 + im1, FN(dlanes8));
        *dot = sum_re + I * ((REAL)dmf_lanes_sum(&im) + tail_im);
#else
        (void)im0, (void)im1, (void)tail_im;
        *dot = sum_re;
#endif
    }
    return dmf_lanes_sum(&sq0) + tail_sq;
}

/* x = S v. */
static void FN(rows_times)(const SCALAR *S, size_t m, size_t n, const SCALAR *v, REAL *parts, SCALAR *x)
{
    FN(make_dot_parts)(v, n, 0, parts);
    for (size_t a = 0; a < m; a++) x[a] = FN(row_dot)(S + a * n, n, parts);
}

/* ||row - c ref||^2 over n entries, in double, and z += conj(c) row
 * unless z is NULL: a row's residual against a rank-one term and its part
 * of x^H S, in one pass and in fixed-order lanes (an omp simd reduction
 * leaves the order, hence the last bits, to the compiler's inlining). */
static inline double FN(row_residual)(const SCALAR *row, const SCALAR *ref, size_t n, SCALAR c, SCALAR *z)
{
    const REAL *R = (const REAL *)row, *F = (const REAL *)ref;
    REAL *Z = (REAL *)z;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    const FN(pair_lanes) cl = FN(pair_lanes_of)(c);
    FN(dlanes8) acc0 = {0}, acc1 = {0};
    size_t k = 0;
#define RESIDUAL_STEP(acc, k)                                                                      \
    do {                                                                                           \
        FN(lanes8) r, f;                                                                           \
        DMF_LOAD8(r, R + (k));                                                                     \
        DMF_LOAD8(f, F + (k));                                                                     \
        const FN(lanes8) d = r - PAIR_TIMES(cl, f);                                                \
        if (z) {                                                                                   \
            FN(lanes8) zv;                                                                         \
            DMF_LOAD8(zv, Z + (k));                                                                \
            zv += PAIR_CONJ_TIMES(cl, r);                                                          \
            memcpy(Z + (k), &zv, sizeof zv);                                                       \
        }                                                                                          \
        const FN(dlanes8) dd = __builtin_convertvector(d, FN(dlanes8));                            \
        acc += dd * dd;                                                                            \
    } while (0)
    DMF_LANE_TWO_SUMS(RESIDUAL_STEP, acc0, acc1, k, len);
#undef RESIDUAL_STEP
    double tail = 0;
    for (size_t b = k / (IS_COMPLEX ? 2 : 1); b < n; b++) {
        if (z) z[b] += CONJ(c) * row[b];
        tail += ABS2(row[b] - c * ref[b]);
    }
    return dmf_lanes_sum(&acc0) + tail;
}

/* A block's first-step sums in the tile's buffer: z's sums and their
 * carries, then the sums of the current chunk of rows. */
static size_t FN(first_half)(size_t n) { return (n * (IS_COMPLEX ? 2 : 1) + 7) / 8 * 8; }
static size_t FN(first_stride)(size_t n) { return 3 * FN(first_half)(n); } /* z's sums, carries, a chunk's sums */

/* row_residual for the gather's first step, with z summed in double
 * whatever the dtype (zd: the real view of z, a chunk's sums; first_flush
 * adds them up): in single precision, z summed in the dtype left the root
 * of c64 DFT-bitrev 16384 with an error of 9.9e-7 as written, 6.8e-8 with
 * these sums. */
static inline double FN(first_step_row)(const SCALAR *row, const SCALAR *ref, size_t n, SCALAR c, double *zd)
{
    const REAL *R = (const REAL *)row, *F = (const REAL *)ref;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    const FN(pair_lanes) cl = FN(pair_lanes_of)(c);
    FN(dlanes8) cw_re = __builtin_convertvector(cl.re, FN(dlanes8)), cw_conj = __builtin_convertvector(cl.conj, FN(dlanes8));
    (void)cw_conj;
    FN(dlanes8) acc0 = {0}, acc1 = {0};
    size_t k = 0;
#define FIRST_STEP(acc, k)                                                                         \
    do {                                                                                           \
        FN(lanes8) r, f;                                                                           \
        DMF_LOAD8(r, R + (k));                                                                     \
        DMF_LOAD8(f, F + (k));                                                                     \
        const FN(dlanes8) dd = __builtin_convertvector(r - PAIR_TIMES(cl, f), FN(dlanes8));        \
        const FN(dlanes8) rd = __builtin_convertvector(r, FN(dlanes8));                            \
        FN(dlanes8) zv;                                                                            \
        DMF_LOAD8(zv, zd + (k));                                                                   \
        zv += FIRST_CONJ_TIMES(rd);                                                                \
        memcpy(zd + (k), &zv, sizeof zv);                                                          \
        acc += dd * dd;                                                                            \
    } while (0)
#if IS_COMPLEX
#define FIRST_CONJ_TIMES(y) (cw_re * (y) + cw_conj * DMF_SWAP_PAIRS8(y))
#else
#define FIRST_CONJ_TIMES(y) (cw_re * (y))
#endif
    DMF_LANE_TWO_SUMS(FIRST_STEP, acc0, acc1, k, len);
#undef FIRST_STEP
#undef FIRST_CONJ_TIMES
    double tail = 0;
    for (size_t b = k / (IS_COMPLEX ? 2 : 1); b < n; b++) {
        const SCALAR zb = CONJ(c) * row[b];
#if IS_COMPLEX
        zd[2 * b] += RE(zb);
        zd[2 * b + 1] += cimag(zb);
#else
        zd[b] += zb;
#endif
        tail += ABS2(row[b] - c * ref[b]);
    }
    return dmf_lanes_sum(&acc0) + tail;
}

/* Adds a chunk's sums (len of them) into z's sums with their carries and
 * clears them: over a block's rows, whose terms add up coherently when it
 * is near rank one, plain sums in double left c128 blocks 15 u off
 * (test_split); chunks of sixteen rows summed plainly and added with
 * carries cost a sixteenth of carrying every row, and as little accuracy
 * (c128 DFT-bitrev 16384: rel_error 1.15e-15 -> 6.2e-16 either way). */
static void FN(first_flush)(double *sum, double *carry, double *chunk, size_t len)
{
    for (size_t k = 0; k < len; k += 8) {
        FN(dlanes8) sv, cv, p;
        DMF_LOAD8(sv, sum + k);
        DMF_LOAD8(cv, carry + k);
        DMF_LOAD8(p, chunk + k);
        const FN(dlanes8) t = sv + p, back = t - sv;
        cv += (sv - (t - back)) + (p - back);
        memcpy(sum + k, &t, sizeof t);
        memcpy(carry + k, &cv, sizeof cv);
        memset(chunk + k, 0, sizeof p);
    }
}

#include "cpu_split_lanczos_impl.h"

/* Row 0 as the start: S times it squares the entries, so it is taken only
 * where their squares stay far from underflow (tiny blocks of f32 and c64;
 * a unit v keeps S v at the entries' scale). */
static int FN(row0_start_ok)(double row0_sq, size_t n)
{
    const double tiny = sizeof(REAL) == sizeof(float) ? 0x1p-100 : 0x1p-1000;
    return row0_sq >= tiny * (double)n;
}

/* Power iteration on S^H S started from a heavy row.  Stops when the
 * triplet (sigma, x, v) has residual ||S^H x - sigma v|| <= tol (S v = sigma x
 * holds by construction), i.e. it is an exact singular triplet of a matrix
 * within tol of S.  Leaves h = z = x^H S.  Returns 0 if the test was not met
 * (caller falls back).
 *
 * The first iteration, where exact blocks converge, also sums the residual
 * against the prediction p = sigma v^H in the pass that forms z: since
 * x^H (S - x z) = 0, ||S - x p||^2 = ||S - x z||^2 + ||z - p||^2, and the
 * second term is the convergence test's own sum, so the block needs no
 * residual pass of its own (s->residual; < 0 when not computed).  From
 * row 0, the gather has done that iteration (gather_tile). */
static int FN(rank1_power)(FN(split_scratch) *s, size_t m, size_t n, double norm2)
{
    const SCALAR *S = s->block;
    SCALAR *x = s->x, *v = s->vec_n, *z = s->h;
    const int max_iterations = 60;
    const double eps = sizeof(REAL) == sizeof(float) ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
    const double tol = (double)(m + n) * eps * sqrt(norm2);
    size_t heavy = 0;
    double heavy_norm = -1;
    for (size_t a = 0; a < m; a++) {
        const double row = s->row_sq ? s->row_sq[a] : FN(sum_sq)(S + a * n, n);
        if (row > heavy_norm) heavy_norm = row, heavy = a;
    }
    /* Row 0 is as good a start unless it is much lighter, and the gather
     * has already formed S times it (and maybe the whole first iteration). */
    const int from_gather = s->start_x && s->first_z && s->row_sq && 2 * s->row_sq[0] >= heavy_norm &&
                            FN(row0_start_ok)(s->row_sq[0], n);
    if (from_gather) heavy = 0;
    for (size_t b = 0; b < n; b++) v[b] = CONJ(S[heavy * n + b]);
    double start_norm = FN(normalize)(v, n);
    SCALAR *predicted = (SCALAR *)s->dot_parts; /* free once x is formed */
    double back2 = INFINITY, back1 = INFINITY; /* the residuals two and one steps back */
    for (int it = 0; it < max_iterations; it++) {
        double sigma, unit_scale = 1, against_predicted = -1;
        if (it == 0 && from_gather) {
            /* The gather's step: x is c / |c|, kept as c with the scale
             * aside, so that z = x^H S was summed from the very entries W
             * gets. */
            const double c_norm = sqrt(s->first_cc);
            if (!(c_norm > 0 && c_norm < INFINITY)) return 0;
            for (size_t a = 0; a < m; a++) x[a] = s->start_x[a];
            sigma = c_norm * start_norm;
            unit_scale = 1 / c_norm;
            REAL *zr = (REAL *)z; /* summed in double: rounded once, here */
            const double *carry = s->first_z + FN(first_half)(n);
            for (size_t e = 0; e < n * (IS_COMPLEX ? 2 : 1); e++)
                zr[e] = (REAL)((s->first_z[e] + carry[e]) * unit_scale);
            against_predicted = s->first_res;
        } else {
            FN(rows_times)(S, m, n, v, s->dot_parts, x);
            sigma = FN(normalize)(x, m);
            if (sigma == 0) return 0;
            for (size_t b = 0; b < n; b++) z[b] = 0;
        }
        if (it == 0 && !from_gather) {
            for (size_t b = 0; b < n; b++) predicted[b] = (REAL)sigma * CONJ(v[b]);
            against_predicted = 0;
            for (size_t a = 0; a < m; a++) against_predicted += FN(row_residual)(S + a * n, predicted, n, x[a], z);
        } else if (it > 0) {
            for (size_t a = 0; a < m; a++) {
                SCALAR ca = CONJ(x[a]);
                const SCALAR *row = S + a * n;
                for (size_t b = 0; b < n; b++) z[b] += ca * row[b];
            }
        }
        /* z holds x^H S (a row); the residual compares conj(z) with sigma v. */
        SCALAR *diff = s->svd_work; /* free until a fallback SVD */
        for (size_t b = 0; b < n; b++) diff[b] = CONJ(z[b]) - (REAL)sigma * v[b];
        const double res2 = FN(sum_sq)(diff, n);
        const double z2 = FN(sum_sq)(z, n);
        s->steps = (size_t)it + 1;
        const double res = sqrt(res2);
        if (res <= tol) {
            /* A converged triplet must be the top one: sigma_1^2 >= ||S||^2 / min(m, n);
             * and where the rest of the block could hold a larger value
             * (a start with no part along the top singular vector, as in
             * a direct sum whose lighter rows hold it), mu I - G must have
             * a Cholesky factor (no eigenvalue above mu = sigma^2 + a
             * rounding margin), else Lanczos takes the block, told to
             * put its own answer to that test too. */
            int top = dmf_power_may_be_top(z2, m, n, norm2);
            if (top && !dmf_rest_below(z2, m, n, norm2) && !FN(lz_top_certified)(s, m, n, z2, norm2)) {
                s->top_refuted = 1;
                top = 0;
            }
            if (top) s->x_scale = unit_scale; /* the SVD's x is unit */
            if (top && against_predicted >= 0) s->residual = fmax(against_predicted - res2, 0);
            return top;
        }
        /* Shrinking by q a step (q^2 from two steps), the test is met
         * log(tol / res) / log(q) steps on: past the limit, Lanczos
         * (rank1_lanczos) is the cheaper way (a DCT-II's 128 x 128 blocks,
         * their top two singular values close, ran all the steps first). */
        if (it >= 4 && dmf_rate_out_of_reach(it, res, sqrt(res / back2), tol, max_iterations)) return 0;
        back2 = back1;
        back1 = res;
        double zn = sqrt(z2);
        for (size_t b = 0; b < n; b++) v[b] = (SCALAR)(CONJ(z[b]) / (REAL)zn);
    }
    return 0;
}

/* Rank-r by LAPACK on a copy (the block is still needed for the residual).
 * The row-major block S is the column-major n x m matrix S^T = U' s V'^H, so
 * S = conj(V') s U'^T: x_rho = V'^H[rho, :]^T, h_rho = s_rho U'[:, rho]^T.
 * Column-major on our own buffers avoids LAPACKE's transposed copies. */
static int FN(rank_r_svd)(FN(split_scratch) *s, size_t m, size_t n, size_t rank)
{
    size_t k = m < n ? m : n;
    memcpy(s->svd_work, s->block, m * n * sizeof(SCALAR));
    int info = (int)FN(gesdd)((lapack_int)n, (lapack_int)m, s->svd_work, s->sigma, s->u, s->vt,
                              (lapack_int)k, s->work, s->lwork, s->rwork, s->iwork);
    if (info != 0) return 0;
    /* LAPACK returns the singular values in decreasing order. */
    const double negligible = dmf_split_negligible_ratio(m, n, sizeof(REAL) == sizeof(float)) * (double)s->sigma[0];
    for (size_t rho = 0; rho < rank; rho++) {
        const int kept = rho < k && (rho == 0 || (double)s->sigma[rho] > negligible);
        for (size_t a = 0; a < m; a++) s->x[a * rank + rho] = kept ? s->vt[rho + a * k] : 0;
        for (size_t b = 0; b < n; b++)
            s->h[rho * n + b] = kept ? s->sigma[rho] * s->u[b + rho * n] : 0;
    }
    return 1;
}

/* Approximates the gathered block s->block (m x n) and fills s->x (m x rank,
 * column rho = x_rho) and s->h (rank x n).  Returns the DMF_BLOCK_* code.
 * Power iteration leaves h = x^H S already computed. */
static int FN(approximate_block)(FN(split_scratch) *s, size_t m, size_t n, size_t rank,
                                 double norm2)
{
    s->residual = -1;
    s->x_scale = 1;
    s->steps = 0;
    s->lanczos_steps = 0;
    s->top_refuted = 0;
    if (!(norm2 < INFINITY)) { /* a NaN or an overflow: passed on for the caller's checks, at once */
        for (size_t e = 0; e < m * rank; e++) s->x[e] = NAN;
        for (size_t e = 0; e < rank * n; e++) s->h[e] = NAN;
        s->residual = NAN;
        return DMF_BLOCK_CLOSED_FORM;
    }
    if (norm2 == 0) {
        memset(s->x, 0, m * rank * sizeof(SCALAR));
        memset(s->h, 0, rank * n * sizeof(SCALAR));
        s->residual = 0;
        return DMF_BLOCK_CLOSED_FORM;
    }
    if (rank == 1) {
        int code = DMF_BLOCK_CLOSED_FORM;
        if (m == 1) {
            s->x[0] = 1;
        } else if (n == 1) {
            for (size_t a = 0; a < m; a++) s->x[a] = s->block[a];
            FN(normalize)(s->x, m);
        } else if (n == 2) { /* the r2l case (one block): h and the residual in one pass */
            s->residual = FN(rank1_two_cols)(s->block, m, s->x, s->h, &s->x_scale);
            if (s->residual >= 0) return code;
        } else if (FN(rank1_power)(s, m, n, norm2)) {
            return DMF_BLOCK_ITERATIVE;
        } else {
            s->residual = -1;
            if (!FN(rank1_lanczos)(s, m, n, norm2))
                return FN(rank_r_svd)(s, m, n, 1) ? DMF_BLOCK_DENSE_SVD : DMF_BLOCK_FAILED;
            code = DMF_BLOCK_ITERATIVE;
        }
        FN(project_row)(s->block, m, n, s->x, s->h);
        return code;
    }
    if (FN(rank_r_subspace)(s, m, n, rank, norm2)) return DMF_BLOCK_ITERATIVE;
    return FN(rank_r_svd)(s, m, n, rank) ? DMF_BLOCK_DENSE_SVD : DMF_BLOCK_FAILED;
}

/* Residual of the approximation, entrywise: ||S||^2 - sum sigma^2 would
 * lose half the digits on the nearly exact blocks that are the common case. */
static double FN(block_residual)(const FN(split_scratch) *s, size_t m, size_t n, size_t r)
{
    double residual = 0;
    for (size_t a = 0; a < m; a++) {
        const SCALAR *row = s->block + a * n;
        if (r == 1) {
            residual += FN(row_residual)(row, s->h, n, s->x[a], NULL);
            continue;
        }
        for (size_t b = 0; b < n; b++) {
            SCALAR approx = 0;
            for (size_t rho = 0; rho < r; rho++) approx += s->x[a * r + rho] * s->h[rho * n + b];
            residual += ABS2(row[b] - approx);
        }
    }
    return residual;
}

/* Writes h_rho / sqrt(sigma) into H's row rho*b2 + u and keeps
 * x_rho sqrt(sigma) in x_out (m x r) for the tile's W store. */
static void FN(store_block)(const FN(split_scratch) *s, const dmf_split_geometry *g, size_t i,
                            size_t v, size_t u, size_t j, SCALAR *x_out, SCALAR *H)
{
    const size_t m = g->b1, n = g->c2, r = g->rank;
    SCALAR *hb = H + dmf_split_h_offset(g, i * g->d + v, u, j);
    for (size_t rho = 0; rho < r; rho++) {
        const double sigma = sqrt(FN(sum_sq)(s->h + rho * n, n));
        REAL to_w = (REAL)((sigma > 0 ? sqrt(sigma) : 1) * s->x_scale), to_h = sigma > 0 ? (REAL)(1 / sqrt(sigma)) : 1;
        for (size_t a = 0; a < m; a++) x_out[a * r + rho] = s->x[a * r + rho] * to_w;
        for (size_t b = 0; b < n; b++) hb[rho * g->b2 * n + b] = s->h[rho * n + b] * to_h;
    }
}

#include "cpu_split_lanes_impl.h"

/* Single precision, rank one: ||S - W H||^2 of the gathered block's
 * factors as written, in double.  The solvers' sums use x and h before the
 * sqrt(sigma) scaling rounds them to the dtype; on exact blocks what they
 * leave is the rounding of a difference of two such sums, not what W H
 * misses S by (c64 DFT-bitrev 256: 4e-18 against 3e-8).  With H's row as
 * the parts P = h and Q = i h (real view), row a of W H is w_re P + w_im Q. */
static double FN(written_residual)(FN(split_scratch) *s, size_t m, size_t n, const SCALAR *x_out, const SCALAR *h)
{
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    double *P = s->written_parts, *Q = P + 2 * n;
    for (size_t b = 0; b < n; b++) {
#if IS_COMPLEX
        P[2 * b] = RE(h[b]), P[2 * b + 1] = cimag(h[b]);
        Q[2 * b] = -cimag(h[b]), Q[2 * b + 1] = RE(h[b]);
#else
        P[b] = h[b], Q[b] = 0;
#endif
    }
    double total = 0;
    for (size_t a = 0; a < m; a++) {
        const REAL *row = (const REAL *)(s->block + a * n);
        const double wr = RE(x_out[a]), wi = IS_COMPLEX ? cimag(x_out[a]) : 0;
        FN(dlanes8) acc = {0};
        size_t k = 0;
        for (; k + 8 <= len; k += 8) {
            FN(lanes8) rv;
            FN(dlanes8) pv, qv;
            DMF_LOAD8(rv, row + k);
            DMF_LOAD8(pv, P + k);
            DMF_LOAD8(qv, Q + k);
            const FN(dlanes8) sv = __builtin_convertvector(rv, FN(dlanes8));
            const FN(dlanes8) e = sv - wr * pv - wi * qv;
            acc += e * e;
        }
        double tail = 0;
        for (; k < len; k++) {
            const double e = (double)row[k] - wr * P[k] - wi * Q[k];
            tail += e * e;
        }
        total += dmf_lanes_sum(&acc) + tail;
    }
    return total;
}

/* How sub-block j of a tile (row group iv, row digit u) was solved, into
 * info and the statistics (its residual apart). */
static void FN(record_outcome)(const FN(split_scratch) *s, const dmf_split_geometry *g, size_t iv, size_t u,
                               size_t j, int code, double norm2, int *info, dmf_split_stats *acc)
{
    if (info) info[(iv * g->b2 + u) * g->c1 + j] = code;
    acc->closed_form += code == DMF_BLOCK_CLOSED_FORM;
    acc->iterative += code == DMF_BLOCK_ITERATIVE;
    acc->dense_svd += code == DMF_BLOCK_DENSE_SVD;
    acc->failed += code == DMF_BLOCK_FAILED;
    acc->power_steps += code == DMF_BLOCK_ITERATIVE || code == DMF_BLOCK_DENSE_SVD ? s->steps : 0;
    acc->lanczos_steps += code == DMF_BLOCK_ITERATIVE || code == DMF_BLOCK_DENSE_SVD ? s->lanczos_steps : 0;
    acc->target_sq += norm2;
}

/* The outcome of sub-block j of a tile into info, the statistics, H and
 * the tile's x_out.  `gathered`: s->block holds the sub-block (2 x n
 * blocks are read where they lie). */
static void FN(record_block)(FN(split_scratch) *s, const dmf_split_geometry *g, size_t iv, size_t u, size_t j,
                             int code, double norm2, SCALAR *x_out, SCALAR *H, int *info, dmf_split_stats *acc,
                             int gathered)
{
    const size_t m = g->b1, n = g->c2, r = g->rank;
    FN(record_outcome)(s, g, iv, u, j, code, norm2, info, acc);
    FN(store_block)(s, g, iv / g->d, iv % g->d, u, j, x_out, H);
    double residual = s->residual >= 0 ? s->residual : FN(block_residual)(s, m, n, r);
    /* Below what rounding the factors to single precision leaves (u^2 =
     * 2^-48 per unit of ||S||^2), the solver's residual says nothing of
     * them: they are measured as written instead.  Inexact blocks keep the
     * solver's figure. */
    if (gathered && r == 1 && sizeof(REAL) == sizeof(float) && norm2 > 0 && norm2 < INFINITY &&
        residual < 64 * 0x1p-48 * norm2)
        residual = FN(written_residual)(s, m, n, x_out, H + dmf_split_h_offset(g, iv, u, j));
    acc->residual_sq += residual;
}

/* A thread's buffers for the tiles it gathers. */
typedef struct {
    SCALAR *blocks;    /* the tile's sub-blocks, each on a 64-byte boundary */
    SCALAR *x;         /* their x_rho sqrt(sigma) for W */
    double *norms;     /* their squared norms */
    double *row_sq;    /* their rows' squared norms */
    SCALAR *start_x;   /* S conj(row 0)^T / |row 0|^2 of each, where power iteration will run */
    REAL *start_parts; /* row 0 of each as dot parts */
    double *first_z;   /* the first iteration's sums of each (gather_tile, real view), first_stride apart */
    double *first_res, *first_cc;
} FN(tile_scratch);

static void FN(tile_scratch_free)(FN(tile_scratch) *ts)
{
    void *buffers[] = {ts->blocks, ts->x, ts->norms, ts->row_sq, ts->start_x, ts->start_parts,
                       ts->first_z, ts->first_res, ts->first_cc};
    for (size_t k = 0; k < sizeof buffers / sizeof buffers[0]; k++) dmf_recycle_free(buffers[k]);
}

static size_t FN(block_stride)(size_t m, size_t n)
{
    return (m * n * sizeof(SCALAR) + 63) / 64 * 64 / sizeof(SCALAR);
}

/* A sub-block's dot parts in the tile's buffer start on a 64-byte
 * boundary too, so their sums do not depend on the block's place. */
static size_t FN(parts_stride)(size_t n) { return (4 * n * sizeof(REAL) + 63) / 64 * 64 / sizeof(REAL); }

/* Power iteration's blocks: rank one, neither side 2 or less. */
static int FN(power_blocks)(size_t m, size_t n, size_t r) { return r == 1 && m > 2 && n > 2; }

static int FN(tile_scratch_alloc)(FN(tile_scratch) *ts, size_t tile, size_t m, size_t n, size_t r)
{
    memset(ts, 0, sizeof *ts);
    ts->blocks = dmf_recycle_alloc(tile * FN(block_stride)(m, n), sizeof(SCALAR));
    ts->x = dmf_recycle_zeroed(tile * m * r, sizeof(SCALAR));
    ts->norms = dmf_recycle_zeroed(tile, sizeof(double));
    ts->row_sq = dmf_recycle_zeroed(tile * m, sizeof(double));
    int ok = ts->blocks && ts->x && ts->norms && ts->row_sq;
    if (ok && FN(power_blocks)(m, n, r)) {
        ts->start_x = dmf_recycle_zeroed(tile * m, sizeof(SCALAR));
        ts->start_parts = dmf_recycle_zeroed(tile * FN(parts_stride)(n), sizeof(REAL));
        ts->first_z = dmf_recycle_zeroed(tile * FN(first_stride)(n), sizeof(double));
        ts->first_res = dmf_recycle_zeroed(tile, sizeof(double));
        ts->first_cc = dmf_recycle_zeroed(tile, sizeof(double));
        ok = ts->start_x && ts->start_parts && ts->first_z && ts->first_res && ts->first_cc;
    }
    if (!ok) {
        FN(tile_scratch_free)(ts);
        memset(ts, 0, sizeof *ts); /* the caller frees it again */
    }
    return ok;
}

/* Sub-blocks j0 .. j0+width-1 (their rows at base, b2*C apart), gathered
 * together (runs of about 2 KiB instead of n elements, which matters for
 * narrow blocks), each then approximated on its own.  The gather waits on
 * memory, so it also sums the rows' squares and, for power iteration, forms
 * S conj(row 0)^T: the first product of the iteration, off the block's
 * passes in cache. */
static void FN(gather_tile)(FN(split_scratch) *s, const dmf_split_geometry *g, size_t iv, size_t u, size_t j0,
                            size_t width, const SCALAR *base, FN(tile_scratch) *ts, SCALAR *H, int *info,
                            dmf_split_stats *acc)
{
    const size_t m = g->b1, n = g->c2, r = g->rank, stride = g->b2 * dmf_split_row_stride(g);
    const size_t block_stride = FN(block_stride)(m, n), first_stride = FN(first_stride)(n);
    for (size_t jj = 0; jj < width; jj++) ts->norms[jj] = 0;
    if (ts->first_z) {
        memset(ts->first_z, 0, width * first_stride * sizeof(double));
        for (size_t jj = 0; jj < width; jj++) ts->first_res[jj] = ts->first_cc[jj] = 0;
    }
    /* Rows of a tile lie a whole row group apart: far-apart runs of a few
     * cache lines that the hardware does not prefetch.  They are fetched
     * into L2 a dozen rows ahead, and the next tile a row per row of this
     * one (its first rows would otherwise be waited for): into L1, the
     * requests held the core's few first-level miss buffers and the loop
     * stalled on them (balanced Hadamard f64 16384: 0.16 s against
     * 0.17-0.22 s, DFT-bitrev c128 0.40 s against 0.43 s). */
    const size_t run_bytes = width * n * sizeof(SCALAR), ahead = 12;
    for (size_t a = 0; a < m; a++) {
        const SCALAR *src = base + a * stride;
        if (a + ahead < m) DMF_PREFETCH_LINES(src + ahead * stride, run_bytes, 1);
        if (s->next_tile) DMF_PREFETCH_LINES(s->next_tile + a * s->next_stride, s->next_run, 2);
        for (size_t jj = 0; jj < width; jj++) {
            /* A local sum: through norms[] every add would wait on a store. */
            SCALAR *dst = ts->blocks + jj * block_stride + a * n;
            const SCALAR *in = src + jj * n;
            REAL *parts = ts->start_x ? ts->start_parts + jj * FN(parts_stride)(n) : NULL;
            if (parts && a == 0) FN(make_dot_parts)(in, n, 1, parts);
            SCALAR row_x = 0;
            const double sum = FN(gather_row)(dst, in, n, parts, &row_x);
            ts->norms[jj] += sum;
            ts->row_sq[jj * m + a] = sum; /* the power iteration's start, without a pass of its own */
            if (ts->start_x) {
                const double row0_sq = ts->row_sq[jj * m];
                /* The first power iteration from row 0, while the row is
                 * in L1 (its own pass read the block again from L2, a
                 * third of the balanced tree's time).  With v =
                 * conj(row0)^T / |row0| and x = S v, row a's entry of x,
                 * over |row0|, is c = (row . conj(row0)) / |row0|^2, free
                 * of the entries' scale (S v squares it, and z below
                 * would cube it): z = x^H S / |x| is sum_a conj(c_a) row_a
                 * / |c|, and the residual against the prediction
                 * (rank1_power) sum_a |row_a - c_a row0|^2.  x keeps c. */
                ts->start_x[jj * m + a] = 0;
                if (FN(row0_start_ok)(row0_sq, n)) {
                    const SCALAR c = (SCALAR)(row_x / row0_sq);
                    ts->start_x[jj * m + a] = c;
                    double *zd = ts->first_z + jj * first_stride;
                    const size_t half = FN(first_half)(n);
                    ts->first_res[jj] += FN(first_step_row)(dst, ts->blocks + jj * block_stride, n, c, zd + 2 * half);
                    if (a % 16 == 15 || a + 1 == m) FN(first_flush)(zd, zd + half, zd + 2 * half, half);
                    ts->first_cc[jj] += ABS2(c);
                }
            }
        }
    }
    SCALAR *own_block = s->block;
    for (size_t jj = 0; jj < width; jj++) {
        s->block = ts->blocks + jj * block_stride;
        s->row_sq = ts->row_sq + jj * m;
        s->start_x = ts->start_x ? ts->start_x + jj * m : NULL;
        s->first_z = ts->first_z ? ts->first_z + jj * first_stride : NULL;
        s->first_res = ts->first_z ? ts->first_res[jj] : 0;
        s->first_cc = ts->first_z ? ts->first_cc[jj] : 0;
        int code = FN(approximate_block)(s, m, n, r, ts->norms[jj]);
        s->row_sq = NULL;
        s->start_x = NULL;
        s->first_z = NULL;
        FN(record_block)(s, g, iv, u, j0 + jj, code, ts->norms[jj], ts->x + jj * m * r, H, info, acc, 1);
    }
    s->block = own_block;
}

/* Rank one of 2 x n sub-blocks (l2r's splits) read where they lie: the two
 * rows are runs of n entries, so a copy would only add a pass; the Gram
 * matrix's diagonal is the block's norm.  Its top eigenvector is x (eigenvalue
 * lambda = ||x^H S||^2), and h = x^H S and the residual come from one more
 * pass, which writes h lambda^(-1/4) into H itself (W's two entries are x
 * lambda^(1/4)), as r2l's lanes do: h kept aside, its norm summed and the
 * row scaled into H took two more passes over n entries (l2r DFT-bitrev
 * 16384 c128: a quarter of the splits' time).  Zero and non-finite blocks
 * get approximate_block's answers. */
static void FN(two_rows_tile)(FN(split_scratch) *s, const dmf_split_geometry *g, size_t iv, size_t u, size_t j0,
                              size_t width, const SCALAR *base, SCALAR *tile_x, SCALAR *H, int *info,
                              dmf_split_stats *acc)
{
    const size_t n = g->c2, stride = g->b2 * dmf_split_row_stride(g);
    /* Block jj + 1's Gram matrix is summed while block jj is projected. */
    FN(gram_rows) gr = FN(gram_two_rows)(base, base + stride, n), next_gr = gr;
    for (size_t jj = 0; jj < width; jj++, gr = next_gr) {
        const SCALAR *r0 = base + jj * n, *r1 = r0 + stride;
        const int more = jj + 1 < width;
        double norm2 = gr.g11 + gr.g22;
        if (!(norm2 > 0 && norm2 < INFINITY)) { /* zero, NaN or overflow: approximate_block's answers */
            s->x_scale = 1;
            int code = FN(approximate_block)(s, 2, n, 1, norm2);
            FN(record_block)(s, g, iv, u, j0 + jj, code, norm2, tile_x + jj * 2, H, info, acc, 0);
            if (more) next_gr = FN(gram_two_rows)(r0 + n, r1 + n, n);
            continue;
        }
        /* norm2 / 2 <= lambda <= norm2, finite; but a norm2 of the least
         * subnormal halves to 0 (one entry near 2.2e-162 in double, the
         * rest zero): W H = x x^H S does not depend on the balance, so
         * norm2 stands in. */
        double lambda = FN(top_eigvec_2x2)(gr.g11, gr.g22, gr.g12, s->x);
        if (!(lambda > 0)) lambda = norm2;
        const double root = sqrt(sqrt(lambda));
        SCALAR *h = H + dmf_split_h_offset(g, iv, u, j0 + jj);
        if (more) {
            const SCALAR *after0 = jj + 2 < width ? r0 + 2 * n : (const SCALAR *)s->next_tile;
            const SCALAR *after1 = jj + 2 < width ? r1 + 2 * n
                                   : s->next_tile ? (const SCALAR *)(s->next_tile + s->next_stride) : NULL;
            acc->residual_sq += FN(project_and_gram_two_rows)(r0, r1, n, s->x, (REAL)(1 / root), h, r0 + n, r1 + n,
                                                              &next_gr, after0, after1);
        } else {
            const SCALAR *next0 = (const SCALAR *)s->next_tile;
            const SCALAR *next1 = next0 ? (const SCALAR *)(s->next_tile + s->next_stride) : NULL;
            acc->residual_sq += FN(project_two_rows)(r0, r1, n, s->x, (REAL)(1 / root), h, next0, next1);
        }
        tile_x[jj * 2] = s->x[0] * (REAL)root;
        tile_x[jj * 2 + 1] = s->x[1] * (REAL)root;
        FN(record_outcome)(s, g, iv, u, j0 + jj, DMF_BLOCK_CLOSED_FORM, norm2, info, acc);
    }
}

/* Where tile t lies: its first sub-block j0, its row digit u, its row
 * group iv, its width and its first row in T. */
typedef struct {
    size_t j0, u, iv, width;
    const SCALAR *base;
} FN(tile_place);

static FN(tile_place) FN(tile_at)(const dmf_split_geometry *g, size_t tile, size_t t, const SCALAR *T)
{
    const size_t tiles_per_group = (g->c1 + tile - 1) / tile, rest = t / tiles_per_group;
    FN(tile_place) p = {(t % tiles_per_group) * tile, rest % g->b2, rest / g->b2, 0, NULL};
    p.width = g->c1 - p.j0 < tile ? g->c1 - p.j0 : tile;
    const size_t row = dmf_split_row_stride(g);
    p.base = T + (p.iv * g->b1 * g->b2 + p.u) * row + p.j0 * g->c2;
    return p;
}

/* Tile t of a split: sub-blocks j0 .. j0+width-1 of one row group and row
 * digit u, side by side in T's rows. */
static void FN(tile_split)(FN(split_scratch) *s, const dmf_split_geometry *g, size_t tile, size_t t,
                           size_t num_tiles, const SCALAR *T, SCALAR *W, SCALAR *H, FN(tile_scratch) *ts, int *info,
                           dmf_split_stats *acc)
{
    const size_t m = g->b1, n = g->c2, r = g->rank;
    const FN(tile_place) here = FN(tile_at)(g, tile, t, T);
    const size_t j0 = here.j0, u = here.u, iv = here.iv, width = here.width, i = iv / g->d, v = iv % g->d;
    const SCALAR *base = here.base;
    s->next_tile = NULL;
    if (t + 1 < num_tiles) {
        const FN(tile_place) next = FN(tile_at)(g, tile, t + 1, T);
        s->next_tile = (const char *)next.base;
        s->next_stride = g->b2 * dmf_split_row_stride(g) * sizeof(SCALAR);
        s->next_run = next.width * n * sizeof(SCALAR);
    }
    if (m == 2 && r == 1)
        FN(two_rows_tile)(s, g, iv, u, j0, width, base, ts->x, H, info, acc);
    else
        FN(gather_tile)(s, g, iv, u, j0, width, base, ts, H, info, acc);
    /* W's columns j0 .. j0+width-1 are adjacent in each of its rows. */
    SCALAR *wb = W + (i * g->b2 * g->d + u * g->d + v) * m * g->c1 * r + j0 * r;
    for (size_t a = 0; a < m; a++)
        for (size_t jj = 0; jj < width; jj++)
            for (size_t rho = 0; rho < r; rho++)
                wb[a * g->c1 * r + jj * r + rho] = ts->x[(jj * m + a) * r + rho];
}

static int FN(cpu_split_rank_r)(const dmf_split_geometry *g, const void *target_v, void *w_v,
                                void *h_v, int *info, dmf_split_stats *stats)
{
    const SCALAR *T = target_v;
    SCALAR *W = w_v, *H = h_v;
    const size_t m = g->b1, n = g->c2, r = g->rank;
    const size_t count = dmf_split_num_sub_blocks(g);
    /* Sub-blocks j, j+1, ... of one row group sit side by side in T's rows:
     * a tile of them is gathered together, in runs of up to 2 KiB (against
     * 512 bytes, balanced Hadamard f64 4096 and 8192: -19 % and -16 %;
     * DFT-bitrev c128 4096 -8 %, 8192 unchanged; 4 KiB: worse at 8192). */
    const size_t run = 2048;
    const size_t tile = n * sizeof(SCALAR) >= run ? 1
                        : (run / (n * sizeof(SCALAR)) < g->c1 ? run / (n * sizeof(SCALAR)) : g->c1);
    const size_t num_tiles = g->a * g->d * g->b2 * ((g->c1 + tile - 1) / tile);
    size_t closed = 0, iterative = 0, dense = 0, failed = 0, steps = 0, lanczos_steps = 0, no_memory = 0;
    const int by_lanes = n == 2 && r == 1 && m >= 2;
    /* Two lane groups read together, for neighbours 512 bytes of each of
     * T's rows for c128, 256 for f64 and c64, 128 for f32 (c128 against one
     * group: r2l DFT-bitrev 16384 0.91 -> 0.87 s, 8192 0.19 -> 0.17 s; f32
     * against four groups within 2 %; four for c64 and c128 10-15 %
     * slower). */
    const size_t sets = by_lanes ? LANE_SETS : 1, per_unit = sets * LANES;
    const size_t units = by_lanes ? (count + per_unit - 1) / per_unit : num_tiles;
    /* Each unit's sums of squares, added in order after the threads: the
     * node's error then does not depend on which thread took which unit.
     * Small splits keep them on the stack: a heap buffer per split cost
     * r2l's streamed groups 6 % (their splits are many and short). */
    double local_sums[512];
    double *sums = 2 * units <= 512 ? local_sums : dmf_alloc(2 * units, sizeof(double));
    if (!sums) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the sums of %zu blocks", count);

    /* Waking threads costs more than a node of a few thousand entries; a
     * node of 2 x 2 blocks takes ~25 ns an entry on one thread, so from
     * 8192 entries (~0.2 ms) two threads pay. */
    const int parallel = count * m * n > 8192;
    /* The fallback SVDs run inside our threads; closed forms alone (blocks
     * of one or two rows or columns, rank one) call no LAPACK, and r2l's
     * many small splits skip the lock. */
    const int may_call_lapack = r > 1 || (m > 2 && n > 2);
    if (may_call_lapack) dmf_blas_serial_enter();
#pragma omp parallel if (parallel) reduction(+ : closed, iterative, dense, failed, steps, lanczos_steps, no_memory)
    {
        FN(split_scratch) s;
        /* The lanes read T's rows themselves; the other blocks are gathered. */
        FN(tile_scratch) ts = {0};
        FN(lane_scratch) lanes[LANE_SETS] = {{NULL}};
        int have_scratch = FN(scratch_alloc)(&s, m, n, r), ok = have_scratch;
        for (size_t k = 0; k < sets && by_lanes && !lanes_read_twice(g, count, sizeof(SCALAR)); k++)
            ok = ok && FN(lane_scratch_alloc)(&lanes[k], m);
        if (!by_lanes) ok = ok && FN(tile_scratch_alloc)(&ts, tile, m, n, r);
        if (!ok) no_memory++;
        dmf_split_stats part = {0};
        if (by_lanes) {
#pragma omp for schedule(dynamic, 4)
            for (size_t k = 0; k < units; k++) {
                if (!ok) continue;
                FN(lane_groups)(lanes, &s, g, T, W, H, k * per_unit, sets, count, info, &part);
                sums[2 * k] = part.target_sq;
                sums[2 * k + 1] = part.residual_sq;
                part.target_sq = part.residual_sq = 0;
            }
        } else {
#pragma omp for schedule(dynamic, 4)
            for (size_t k = 0; k < units; k++) {
                if (!ok) continue;
                FN(tile_split)(&s, g, tile, k, num_tiles, T, W, H, &ts, info, &part);
                sums[2 * k] = part.target_sq;
                sums[2 * k + 1] = part.residual_sq;
                part.target_sq = part.residual_sq = 0;
            }
        }
        closed += part.closed_form;
        iterative += part.iterative;
        dense += part.dense_svd;
        failed += part.failed;
        steps += part.power_steps;
        lanczos_steps += part.lanczos_steps;
        if (have_scratch) FN(scratch_free)(&s);
        for (size_t k = 0; k < sets; k++) FN(lane_scratch_free)(&lanes[k]);
        FN(tile_scratch_free)(&ts);
    }
    if (may_call_lapack) dmf_blas_serial_leave();
    stats->closed_form += closed;
    stats->iterative += iterative;
    stats->dense_svd += dense;
    stats->failed += failed;
    stats->power_steps += steps;
    stats->lanczos_steps += lanczos_steps;
    for (size_t k = 0; k < units; k++) {
        stats->target_sq += sums[2 * k];
        stats->residual_sq += sums[2 * k + 1];
    }
    if (sums != local_sums) free(sums);
    if (no_memory) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate scratch for %zu x %zu blocks", m, n);
    return DMF_OK;
}
