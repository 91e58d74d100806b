/* Rank one where power iteration stops without converging (the top two
 * singular values close): Lanczos on the smaller Gram matrix, G = S S^H
 * when m <= n, else S^H S, applied as two products with S and never
 * formed, with full reorthogonalization, in double precision (one dtype,
 * see scalar_begin.h; included by cpu_split_impl.h).
 *
 * The Krylov space of G holds the top eigenvector after at most k = min(m,
 * n) steps, and where the top eigenvalue is well apart from the rest of
 * G's spectrum after a few.  The run stops once the Ritz pair's residual is
 * small, or, where a piece of the space has closed, once that piece's top
 * is certainly G's (below), and the triplet is then put to power
 * iteration's own test: with u the unit Ritz vector, by rows x = u, v = S^H x / sigma, by
 * columns v = u, x = S v / sigma, and e the one side that is not exact,
 * ||e|| <= (m + n) u ||S||_F makes (sigma, x, v) an exact singular triplet of
 * a matrix within ||e|| of S.  A run that does not meet it returns 0 and the
 * block goes to LAPACK's SVD.  All sums run in a fixed order in dmf's own
 * code: the result depends on the block's entries alone. */

#if IS_COMPLEX
typedef double complex FN(lz_t);
#define LZ_CONJ(x) conj(x)
#define LZ_ABS2(x) (creal(x) * creal(x) + cimag(x) * cimag(x))
#define LZ_ABS(x) cabs(x)
#else
typedef double FN(lz_t);
#define LZ_CONJ(x) (x)
#define LZ_ABS2(x) ((x) * (x))
#define LZ_ABS(x) fabs(x)
#endif

/* Products with G square the block's scale: past 2^+-400 in ||S||_F^2 its
 * sums would leave double's normal range, and such a block goes to the
 * SVD (which scales). */
static int FN(lz_in_range)(double norm2) { return norm2 >= 0x1p-400 && norm2 <= 0x1p400; }

/* The block in double precision, row-major, complex entries as pairs. */
#define LZ_REALS (IS_COMPLEX ? 2 : 1)

/* sum_i x_i y_i, or with conj_x sum_i conj(x_i) y_i, over count entries. */
static FN(lz_t) FN(lz_inner)(const double *x, const double *y, size_t count, int conj_x)
{
    double parts[4];
    dmf_lane_products(x, y, count * LZ_REALS, IS_COMPLEX, parts);
#if IS_COMPLEX
    return conj_x ? dmf_make_complex(parts[0] + parts[1], parts[2] - parts[3])
                  : dmf_make_complex(parts[0] - parts[1], parts[2] + parts[3]);
#else
    (void)conj_x;
    return parts[0] + parts[1];
#endif
}

/* out = S q (m entries). */
static void FN(lz_times)(const double *D, size_t m, size_t n, const FN(lz_t) *q, FN(lz_t) *out)
{
    for (size_t a = 0; a < m; a++) out[a] = FN(lz_inner)(D + a * n * LZ_REALS, (const double *)q, n, 0);
}

/* out = S^H q (n entries), a row of S at a time. */
static void FN(lz_times_adjoint)(const double *D, size_t m, size_t n, const FN(lz_t) *q, FN(lz_t) *out)
{
    for (size_t b = 0; b < n; b++) out[b] = 0;
    for (size_t a = 0; a < m; a++) {
        const FN(lz_t) *row = (const FN(lz_t) *)(D + a * n * LZ_REALS);
        const FN(lz_t) qa = q[a];
        for (size_t b = 0; b < n; b++) out[b] += LZ_CONJ(row[b]) * qa;
    }
}

/* out = G q (length k), through t (the other side's length). */
static void FN(lz_apply)(const double *D, size_t m, size_t n, int by_rows, const FN(lz_t) *q, FN(lz_t) *t,
                         FN(lz_t) *out)
{
    if (by_rows) { /* t = S^H q, out = S t */
        FN(lz_times_adjoint)(D, m, n, q, t);
        FN(lz_times)(D, m, n, t, out);
    } else { /* t = S q, out = S^H t */
        FN(lz_times)(D, m, n, q, t);
        FN(lz_times_adjoint)(D, m, n, t, out);
    }
}

static FN(lz_t) FN(lz_dot)(const FN(lz_t) *x, const FN(lz_t) *y, size_t len) /* x^H y */
{
    return FN(lz_inner)((const double *)x, (const double *)y, len, 1);
}

static double FN(lz_norm)(const FN(lz_t) *x, size_t len)
{
    double parts[4];
    dmf_lane_products((const double *)x, (const double *)x, len * LZ_REALS, 0, parts);
    return sqrt(parts[0] + parts[1]);
}

/* x scaled to unit length; returns its norm before (x is NaN where that
 * was 0, and the caller gives up). */
static double FN(lz_normalize)(FN(lz_t) *x, size_t len)
{
    const double norm = FN(lz_norm)(x, len);
    for (size_t i = 0; i < len; i++) x[i] /= norm;
    return norm;
}

/* x minus its parts along the count orthonormal vectors of Q (length k
 * each), twice: twice is enough (Kahan, Parlett). */
static void FN(lz_orthogonalize)(const FN(lz_t) *Q, size_t count, size_t k, FN(lz_t) *x)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t p = 0; p < count; p++) {
            const FN(lz_t) c = FN(lz_dot)(Q + p * k, x, k);
            for (size_t i = 0; i < k; i++) x[i] -= c * Q[p * k + i];
        }
}

/* Whether every eigenvalue of G is below mu: mu I - G has a Cholesky
 * factor (Sylvester's law of inertia), formed in L (k x k, row-major, its
 * lower triangle), a row at a time; it stops at the first pivot that is
 * not positive.  k^2 max(m, n) / 2 + k^3 / 6 products, some 10-20 Lanczos
 * steps' worth at 128 x 128. */
static int FN(lz_all_below)(const double *D, size_t m, size_t n, int by_rows, double mu, FN(lz_t) *L)
{
    const size_t k = by_rows ? m : n;
    if (by_rows) { /* G = S S^H: products of rows */
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j <= i; j++)
                L[i * k + j] = -FN(lz_inner)(D + j * n * LZ_REALS, D + i * n * LZ_REALS, n, 1);
    } else { /* G = S^H S: a row of S at a time */
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j <= i; j++) L[i * k + j] = 0;
        for (size_t a = 0; a < m; a++) {
            const FN(lz_t) *row = (const FN(lz_t) *)(D + a * n * LZ_REALS);
            for (size_t i = 0; i < k; i++) {
                const FN(lz_t) c = LZ_CONJ(row[i]);
                for (size_t j = 0; j <= i; j++) L[i * k + j] -= c * row[j];
            }
        }
    }
    for (size_t i = 0; i < k; i++) {
        FN(lz_t) *li = L + i * k;
        li[i] += mu;
        for (size_t j = 0; j <= i; j++) {
            const FN(lz_t) *lj = L + j * k;
            const FN(lz_t) sum = li[j] - FN(lz_dot)(lj, li, j); /* sum_p li[p] conj(lj[p]) */
            if (j < i) {
                li[j] = sum / creal(lj[j]);
            } else {
                const double pivot = creal(sum);
                if (!(pivot > 0)) return 0;
                li[i] = sqrt(pivot);
            }
        }
    }
    return 1;
}

/* Its buffers, allocated at the first block that needs them: the k
 * Lanczos vectors, three vectors of max(m, n), single precision's block in
 * double, T and its eigenvector. */
static int FN(lz_alloc)(FN(split_scratch) *s, size_t m, size_t n)
{
    if (s->lz_vectors) return 1;
    const size_t k = m < n ? m : n, big = m > n ? m : n, copy = sizeof(REAL) == sizeof(double) ? 0 : m * n;
    s->lz_vectors = dmf_alloc_aligned_uninit(k * k + 3 * big + copy, sizeof(FN(lz_t)));
    s->lz_reals = dmf_alloc_aligned_uninit(5 * k, sizeof(double));
    return s->lz_vectors && s->lz_reals;
}

/* The block in double precision: itself, or single precision's copy. */
static const double *FN(lz_block)(FN(split_scratch) *s, size_t m, size_t n)
{
    if (sizeof(REAL) == sizeof(double)) return (const double *)s->block;
    const size_t k = m < n ? m : n, big = m > n ? m : n;
    FN(lz_t) *copy = (FN(lz_t) *)s->lz_vectors + k * k + 3 * big;
    for (size_t e = 0; e < m * n; e++) copy[e] = s->block[e];
    return (const double *)copy;
}

/* Whether no eigenvalue of the block's Gram matrix lies above theta plus a
 * rounding margin (the margin covers the rounding of G and of its factor,
 * each within (m + n) eps ||S||_F^2).  0 also where the scale is out of
 * range or memory runs out: the caller then takes the longer way. */
static int FN(lz_top_certified)(FN(split_scratch) *s, size_t m, size_t n, double theta, double norm2)
{
    if (!FN(lz_in_range)(norm2) || !FN(lz_alloc)(s, m, n)) return 0;
    const size_t k = m < n ? m : n;
    if (!s->lz_gram) s->lz_gram = dmf_alloc_aligned_uninit(k * k, sizeof(FN(lz_t)));
    if (!s->lz_gram) return 0;
    const double mu = theta + dmf_gram_margin(m, n, norm2);
    return FN(lz_all_below)(FN(lz_block)(s, m, n), m, n, m <= n, mu, s->lz_gram);
}

/* A Cholesky test of theta as G's top, at most twice a block and the
 * second time only from a higher top: whether it passed. */
static int FN(lz_try_certificate)(FN(split_scratch) *s, size_t m, size_t n, double theta, double norm2,
                                  int *certificates, double *certified_below)
{
    if (*certificates >= 2 || !(theta > *certified_below)) return 0;
    (*certificates)++;
    *certified_below = theta;
    return FN(lz_top_certified)(s, m, n, theta, norm2);
}

/* Sets s->x (unit) for the block S (m x n, both > 2); the caller forms
 * h = x^H S.  Returns 0 if the test was not met or memory ran out. */
static int FN(rank1_lanczos)(FN(split_scratch) *s, size_t m, size_t n, double norm2)
{
    if (!FN(lz_in_range)(norm2) || !FN(lz_alloc)(s, m, n)) return 0;
    const int by_rows = m <= n;
    const size_t k = by_rows ? m : n, big = m > n ? m : n;
    FN(lz_t) *Q = s->lz_vectors, *w = Q + k * k, *t = w + big, *u = t + big;
    const double *D = FN(lz_block)(s, m, n);
    double *alpha = s->lz_reals, *beta = alpha + k, *y = beta + k, *work = y + k, *y_piece = work + k;
    const double eps = sizeof(REAL) == sizeof(float) ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
    const double tol = (double)(m + n) * eps * sqrt(norm2);

    /* Start from power iteration's last v (unit), or S v by rows, with a
     * little of a fixed pseudo-random vector added: where v has no part
     * along the top singular vector (a block that is a direct sum whose
     * heavier rows hold the smaller values), the Krylov space would never
     * reach it and could converge on a lower pair; with a part of about
     * 0.1 / sqrt(3 n) along every direction, a lower pair's Ritz vector
     * keeps a residual of that times the gap and is refused unless the gap
     * is within tol sqrt(3 n) / 0.1.  (The added parts cost DCT-II and
     * Gaussian blocks a few more steps, 0-5 %, with 0.01 as with 0.1.) */
    dmf_rng generic;
    dmf_rng_seed(&generic, 0x9e3779b97f4a7c15ull);
    const double spread = 0.1 / sqrt((double)n);
    for (size_t b = 0; b < n; b++) {
        const double re = 2 * dmf_rng_uniform(&generic) - 1;
#if IS_COMPLEX
        const double im = 2 * dmf_rng_uniform(&generic) - 1;
        t[b] = s->vec_n[b] + spread * dmf_make_complex(re, im);
#else
        t[b] = s->vec_n[b] + spread * re;
#endif
    }
    if (by_rows) FN(lz_times)(D, m, n, t, Q);
    else memcpy(Q, t, n * sizeof *Q);
    const double start = FN(lz_normalize)(Q, k);
    if (!(start > 0 && start < INFINITY)) return 0;

    /* T's top eigenpair costs a bisection, near a step's worth at 64 x 64:
     * the open piece's is looked at after its steps 1-6, 8, 10, 13, 17, 22,
     * 29, ..., and at every close (beta tiny: G q_j lies in the space). */
    size_t steps = 0, next_look = 1, piece = 0;
    double theta = 0, closed_trace = 0, closed_top = 0, certified_below = 0;
    int certificates = 0;
    for (size_t j = 0; j < k; j++) {
        FN(lz_t) *q = Q + j * k;
        FN(lz_apply)(D, m, n, by_rows, q, t, w);
        alpha[j] = creal(FN(lz_dot)(q, w, k));
        for (size_t i = 0; i < k; i++) w[i] -= alpha[j] * q[i] + (j ? beta[j - 1] * q[i - k] : 0);
        FN(lz_orthogonalize)(Q, j + 1, k, w);
        beta[j] = FN(lz_norm)(w, k);
        steps = j + 1;
        /* A closed piece of the space (G q_j in it) holds eigenpairs of G
         * exactly, but not necessarily the top one: a start with no part
         * along it (a block-diagonal block) never reaches it. */
        const int closed = !(beta[j] > DBL_EPSILON * norm2);
        if (steps == k) break; /* the whole space: T's top is G's */
        /* ||G u - theta u|| = beta_j |y_j| for the top pair (theta, y) of
         * the open piece, T's diagonal block from step `piece` on; e is that
         * over sigma.  A closed piece's pairs are exact eigenpairs of G, but
         * G's top is known to be among them only once their top is at least
         * all the rest of G's spectrum together (G is semidefinite, its
         * trace ||S||_F^2); until then the run goes on from a new vector. */
        if (closed) {
            beta[j] = 0;
            closed_top = fmax(closed_top, dmf_tridiag_top(alpha + piece, beta + piece, steps - piece, y_piece, work));
            for (size_t p = piece; p <= j; p++) closed_trace += alpha[p];
            piece = steps;
            next_look = steps + 1;
            if (closed_top >= norm2 - closed_trace + 4 * (double)k * DBL_EPSILON * norm2) break;
            /* Else a Cholesky factor of mu I - G, mu a little above the
             * closed top, shows that nothing lies above it: a top repeated
             * dozens of times (a DCT-II's blocks) would otherwise need the
             * whole space, one closed piece at a time.  The margin covers
             * the rounding of G and of its factor (both within (m + n) eps
             * ||S||_F^2). */
            if (FN(lz_try_certificate)(s, m, n, closed_top, norm2, &certificates, &certified_below)) break;
        } else if (steps == next_look) {
            const size_t done = steps - piece;
            next_look = steps + (done < 4 ? 1 : done / 3);
            const double top = dmf_tridiag_top(alpha + piece, beta + piece, steps - piece, y_piece, work);
            if (!(top >= 0 && top < INFINITY)) return 0;
            /* Where power iteration's converged triplet was refuted, its
             * vector has little along the top one, and a converged open
             * piece must pass the Cholesky test as well. */
            if (beta[j] * fabs(y_piece[steps - piece - 1]) <= 0.25 * tol * sqrt(top) &&
                (!s->top_refuted || FN(lz_try_certificate)(s, m, n, top, norm2, &certificates, &certified_below)))
                break;
        }
        FN(lz_t) *next = Q + (j + 1) * k;
        if (!closed) {
            for (size_t i = 0; i < k; i++) next[i] = w[i] / beta[j];
            continue;
        }
        /* Go on from the unit vector furthest from the space so far. */
        size_t best = 0;
        double best_left = -1;
        for (size_t i = 0; i < k; i++) {
            double in = 0;
            for (size_t p = 0; p <= j; p++) in += LZ_ABS2(Q[p * k + i]);
            if (1 - in > best_left) best_left = 1 - in, best = i;
        }
        for (size_t i = 0; i < k; i++) next[i] = i == best;
        FN(lz_orthogonalize)(Q, j + 1, k, next);
        if (!(FN(lz_normalize)(next, k) > 0.5 / sqrt((double)k))) return 0; /* at least 1/sqrt(k) is left */
    }
    s->lanczos_steps = steps;
    theta = dmf_tridiag_top(alpha, beta, steps, y, work);
    if (!(theta > 0 && theta < INFINITY)) return 0;
    for (size_t i = 0; i < k; i++) u[i] = 0;
    for (size_t p = 0; p < steps; p++)
        for (size_t i = 0; i < k; i++) u[i] += y[p] * Q[p * k + i];
    if (!(FN(lz_normalize)(u, k) > 0)) return 0;

    /* The test, on the triplet itself.  By rows: x = u, t = S^H x = sigma v,
     * e = S v - sigma x; by columns: v = u, t = S v = sigma x,
     * e = S^H x - sigma v. */
    FN(lz_apply)(D, m, n, by_rows, u, t, w); /* w = G u; t = S^H u or S u */
    const double sigma = FN(lz_norm)(t, by_rows ? n : m);
    if (!(sigma > 0 && sigma < INFINITY)) return 0;
    double e2 = 0;
    for (size_t i = 0; i < k; i++) {
        const FN(lz_t) e = w[i] / sigma - sigma * u[i];
        e2 += LZ_ABS2(e);
    }
    const int top = sigma * sigma * (double)k >= norm2 * (1 - 1e-3);
    if (!(sqrt(e2) <= tol) || !top) return 0;
    if (by_rows)
        for (size_t a = 0; a < m; a++) s->x[a] = (SCALAR)u[a];
    else
        for (size_t a = 0; a < m; a++) s->x[a] = (SCALAR)(t[a] / sigma);
    return 1;
}

#include "cpu_split_subspace_impl.h"

#undef LZ_REALS
#undef LZ_CONJ
#undef LZ_ABS2
#undef LZ_ABS
