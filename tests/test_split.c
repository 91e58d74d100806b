/* The batched masked rank-r kernel of the backend table, against LAPACK.
 *
 * For every sub-block the kernel's error must be the optimal one,
 * ||S||_F^2 - sum of the top r sigma^2 from LAPACK's SVD, up to
 * 100 (m + n) u ||S||_F^2 (a backward-stable SVD is exact for a matrix within
 * O((m+n) u ||S||) of S; the squared error then moves by that much times
 * ||S||).  The halves W and H, multiplied back, must give the reported
 * residual: that checks where the kernel writes, not only what it computes.
 * Shapes cover the closed forms (1 x n, n x 1, 2 x n, n x 2, the last also
 * eight sub-blocks at a time in vector lanes), the power
 * method around a warp size (31, 32, 33), zero blocks, repeated singular
 * values and a slowly converging block on which power iteration must give
 * up within five steps for Lanczos. */
#include <complex.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "backend/backend.h"
#include "butterfly/chain_internal.h"
#include "check.h"
#include "split_fill.h"

/* Optimal ||S - rank-r||^2 of sub-block (iv, u, j), via LAPACK in double. */
static double optimal_residual(dmf_dtype dtype, const dmf_split_geometry *g, const void *t,
                               size_t iv, size_t u, size_t j, double *norm2)
{
    size_t m = g->b1, n = g->c2, B = g->b1 * g->b2, C = g->c1 * g->c2, k = m < n ? m : n;
    /* Column-major on padded buffers of our own: some OpenBLAS vector
     * kernels read a little past the end of LAPACKE's internal copies. */
    const size_t pad = 64;
    double complex *s = calloc(m * n + pad, sizeof *s), query = 0;
    double *sv = calloc(k + pad, sizeof *sv), *rwork = calloc(5 * k + pad, sizeof *rwork);
    *norm2 = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            s[a + b * m] = dmf_get(dtype, t, iv * B * C + (a * g->b2 + u) * C + j * n + b);
            *norm2 += pow(cabs(s[a + b * m]), 2);
        }
    LAPACKE_zgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)m, (lapack_int)n, s, (lapack_int)m, sv,
                        NULL, 1, NULL, 1, &query, -1, rwork);
    lapack_int lwork = (lapack_int)creal(query);
    double complex *work = calloc((size_t)lwork + pad, sizeof *work);
    lapack_int info = LAPACKE_zgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)m, (lapack_int)n, s,
                                          (lapack_int)m, sv, NULL, 1, NULL, 1, work, lwork, rwork);
    double kept = 0;
    for (size_t r = 0; r < g->rank && r < k && info == 0; r++) kept += sv[r] * sv[r];
    free(s), free(sv), free(rwork), free(work);
    return *norm2 - kept;
}

/* After normalize_pair the product W H is unchanged (its distance to T is
 * still the split's residual) and the rank groups of the chosen side are
 * orthonormal: r x r Gram matrices equal to the identity. */
static void check_normalize(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h,
                            dmf_normalize_side side, double residual_sq)
{
    (void)residual_sq;
    size_t esize = dmf_dtype_size(dtype), B = g->b1 * g->b2, C = g->c1 * g->c2;
    size_t t_size = g->a * g->d * B * C, r = g->rank;
    void *before = calloc(t_size, esize), *after = calloc(t_size, esize);
    dmf_merge_ranges(dtype, g, w, h, before, NULL, NULL, NULL);
    CHECK_OK(dmf_backend_cpu()->normalize_pair(dtype, g, w, h, side));
    dmf_merge_ranges(dtype, g, w, h, after, NULL, NULL, NULL);
    double diff = 0, norm = 0, eps = dmf_dtype_eps(dtype), worst = 0;
    for (size_t e = 0; e < t_size; e++) {
        diff += pow(cabs(dmf_get(dtype, after, e) - dmf_get(dtype, before, e)), 2);
        norm += pow(cabs(dmf_get(dtype, before, e)), 2);
    }
    CHECK(sqrt(diff) <= 1e3 * eps * sqrt(norm), "normalize side %d changed W H by %.3g of %.3g", (int)side,
          sqrt(diff), sqrt(norm));
    size_t wcols = g->c1 * r;
    for (size_t iv = 0; iv < g->a * g->d; iv++)
        for (size_t u = 0; u < g->b2; u++)
            for (size_t j = 0; j < g->c1; j++) {
                size_t i = iv / g->d, v = iv % g->d;
                size_t wb = (i * g->b2 * g->d + u * g->d + v) * g->b1 * wcols + j * r;
                size_t hb = ((i * g->c1 + j) * g->d + v) * r * g->b2 * g->c2 + u * g->c2;
                for (size_t x = 0; x < r; x++)
                    for (size_t y = 0; y < r; y++) {
                        double complex dot = 0;
                        if (side == DMF_NORMALIZE_LEFT)
                            for (size_t a = 0; a < g->b1; a++)
                                dot += conj(dmf_get(dtype, w, wb + a * wcols + x)) * dmf_get(dtype, w, wb + a * wcols + y);
                        else
                            for (size_t b = 0; b < g->c2; b++)
                                dot += conj(dmf_get(dtype, h, hb + x * g->b2 * g->c2 + b)) *
                                       dmf_get(dtype, h, hb + y * g->b2 * g->c2 + b);
                        /* A group of rank k < r has r - k zero vectors. */
                        double want = x == y && cabs(dot) > 0.5 ? 1.0 : 0.0;
                        worst = fmax(worst, cabs(dot - want));
                    }
            }
    CHECK(worst <= 1e3 * eps, "normalize side %d: groups off orthonormal by %.3g", (int)side, worst);
    free(before);
    free(after);
}

static void run_case(dmf_dtype dtype, dmf_split_geometry g, split_fill kind)
{
    const dmf_backend *cpu = dmf_backend_cpu();
    size_t esize = dmf_dtype_size(dtype), B = g.b1 * g.b2, C = g.c1 * g.c2;
    size_t count = dmf_split_num_sub_blocks(&g);
    size_t t_size = g.a * g.d * B * C;
    size_t w_size = g.a * g.b2 * g.d * g.b1 * g.c1 * g.rank, h_size = g.a * g.c1 * g.d * g.rank * g.b2 * g.c2;
    void *t = calloc(t_size, esize), *w = calloc(w_size, esize), *h = calloc(h_size, esize),
         *back = calloc(t_size, esize);
    int *info = calloc(count, sizeof *info);
    split_fill_target(dtype, &g, t, kind, 1000 + g.b1 * 31 + g.c2);
    dmf_split_stats stats = {0};
    CHECK_OK(cpu->split_rank_r(dtype, &g, t, w, h, info, &stats));

    double eps = dmf_dtype_eps(dtype), worst = 0, optimal_total = 0;
    for (size_t iv = 0; iv < g.a * g.d; iv++)
        for (size_t u = 0; u < g.b2; u++)
            for (size_t j = 0; j < g.c1; j++) {
                double norm2, best = optimal_residual(dtype, &g, t, iv, u, j, &norm2);
                optimal_total += best;
                worst = fmax(worst, norm2);
            }
    double tol = 100.0 * (double)(g.b1 + g.c2) * eps * (stats.target_sq + 1e-300);
    CHECK(fabs(stats.residual_sq - optimal_total) <= tol,
          "%s %zux%zu rank %zu kind %d: residual^2 %.6e, optimal %.6e (tol %.1e)", dmf_dtype_name(dtype),
          g.b1, g.c2, g.rank, (int)kind, stats.residual_sq, optimal_total, tol);

    /* Multiply W H back: its distance to T is the reported residual. */
    double diff = 0, ref = 0;
    dmf_merge_ranges(dtype, &g, w, h, NULL, t, &diff, &ref);
    CHECK(fabs(diff - stats.residual_sq) <= 1e-6 * stats.target_sq + 1e-300,
          "%s %zux%zu: W H misses T by %.6e, kernel reported %.6e", dmf_dtype_name(dtype), g.b1,
          g.c2, diff, stats.residual_sq);
    size_t codes = stats.closed_form + stats.iterative + stats.dense_svd + stats.failed;
    CHECK(codes == count, "%zu outcomes for %zu sub-blocks", codes, count);
    CHECK(stats.failed == 0, "%zu failed sub-blocks", stats.failed);
    /* Their top two singular values 0.1 % apart: power iteration would
     * need thousands of steps, and its rate says so by the fifth; Lanczos
     * then meets the test (the optimal residual above). */
    if (kind == FILL_SLOW && g.rank == 1 && g.b1 > 2 && g.c2 > 2) {
        CHECK(stats.iterative == count && stats.dense_svd == 0, "slow blocks: %zu of %zu iterative, %zu by the SVD",
              stats.iterative, count, stats.dense_svd);
        CHECK(stats.power_steps <= 5 * count, "slow blocks: %zu power steps for %zu blocks", stats.power_steps, count);
    }
    /* Power iteration converges on these: from the heaviest row (row 0 is
     * the lightest of FILL_RANK_ONE_NOISY), and from a unit vector where
     * the squares of the entries would underflow (FILL_TINY). */
    if ((kind == FILL_RANK_ONE_NOISY || kind == FILL_TINY) && g.rank == 1 && g.b1 > 2 && g.c2 > 2)
        CHECK(stats.iterative == count, "%s rank-one-plus-noise blocks (kind %d): %zu of %zu iterative",
              dmf_dtype_name(dtype), (int)kind, stats.iterative, count);
    /* Exact blocks converge in the first iteration, which the gather does
     * from row 0 (the heaviest here) as it reads the rows. */
    if (kind == FILL_RANK_ONE && g.rank == 1 && g.b1 > 2 && g.c2 > 2)
        CHECK(stats.iterative == count && stats.power_steps == count,
              "%s %zux%zu exact rank-one blocks: %zu of %zu iterative, %zu iterations", dmf_dtype_name(dtype), g.b1,
              g.c2, stats.iterative, count, stats.power_steps);
    if (kind == FILL_RANK_ONE)
        CHECK(stats.residual_sq <= 1e3 * eps * eps * stats.target_sq, "%s %zux%zu exact rank-one blocks: residual^2 %.3e of %.3e",
              dmf_dtype_name(dtype), g.b1, g.c2, stats.residual_sq, stats.target_sq);
    for (int side = DMF_NORMALIZE_LEFT; side <= DMF_NORMALIZE_RIGHT && kind == FILL_RANDOM; side++)
        check_normalize(dtype, &g, w, h, (dmf_normalize_side)side, stats.residual_sq);
    (void)worst;
    free(t), free(w), free(h), free(back), free(info);
}

/* A node's sums of squares (its reported error) come out the same bit for
 * bit whatever the threads and however the units fell to them: one thread
 * against two, several times (a reduction across threads differed in the
 * last bits from run to run). */
static void test_sums_independent_of_threads(dmf_dtype dtype, dmf_split_geometry g)
{
    const dmf_backend *cpu = dmf_backend_cpu();
    size_t esize = dmf_dtype_size(dtype), t_size = g.a * g.d * g.b1 * g.b2 * g.c1 * g.c2;
    size_t w_size = g.a * g.b2 * g.d * g.b1 * g.c1, h_size = g.a * g.c1 * g.d * g.b2 * g.c2;
    void *t = calloc(t_size, esize), *w = calloc(w_size, esize), *h = calloc(h_size, esize);
    split_fill_target(dtype, &g, t, FILL_RANK_ONE_NOISY, 77);
    int threads = omp_get_max_threads();
    dmf_split_stats first = {0};
    omp_set_num_threads(1);
    CHECK_OK(cpu->split_rank_r(dtype, &g, t, w, h, NULL, &first));
    omp_set_num_threads(2);
    for (int run = 0; run < 6; run++) {
        dmf_split_stats again = {0};
        CHECK_OK(cpu->split_rank_r(dtype, &g, t, w, h, NULL, &again));
        CHECK(again.target_sq == first.target_sq && again.residual_sq == first.residual_sq,
              "%s %zux%zu run %d on two threads: sums %.17g, %.17g against one thread's %.17g, %.17g",
              dmf_dtype_name(dtype), g.b1, g.c2, run, again.target_sq, again.residual_sq, first.target_sq,
              first.residual_sq);
    }
    omp_set_num_threads(threads);
    free(t), free(w), free(h);
}

/* A target read in place through a wider row stride (a view of some of an
 * input's columns) gives the packed target's W, H and sums bit for bit;
 * the entries between the rows are NaN, so a read of one would show.
 * far: a stride that spreads a block's rows over more than 1 MiB, where
 * the lanes copy the rows they read instead of reading them twice. */
static void test_row_stride(dmf_dtype dtype, dmf_split_geometry g, int far)
{
    const dmf_backend *cpu = dmf_backend_cpu();
    size_t esize = dmf_dtype_size(dtype), C = g.c1 * g.c2, rows = g.a * g.d * g.b1 * g.b2;
    size_t stride = far ? ((size_t)1 << 20) / (g.b1 * g.b2 * esize) + C + 1 : 3 * C + 5, w_size = g.a * g.b2 * g.d * g.b1 * g.c1 * g.rank,
           h_size = g.a * g.c1 * g.d * g.rank * g.b2 * g.c2;
    char *t = calloc(rows * C, esize), *wide = malloc(rows * stride * esize);
    char *w[2] = {calloc(w_size, esize), calloc(w_size, esize)}, *h[2] = {calloc(h_size, esize), calloc(h_size, esize)};
    split_fill_target(dtype, &g, t, FILL_RANK_ONE_NOISY, 5);
    memset(wide, 0xff, rows * stride * esize);
    for (size_t row = 0; row < rows; row++) memcpy(wide + (row * stride + C) * esize, t + row * C * esize, C * esize);
    dmf_split_stats packed = {0}, viewed = {0};
    CHECK_OK(cpu->split_rank_r(dtype, &g, t, w[0], h[0], NULL, &packed));
    dmf_split_geometry view = g;
    view.row_stride = stride;
    CHECK_OK(cpu->split_rank_r(dtype, &view, wide + C * esize, w[1], h[1], NULL, &viewed));
    CHECK(memcmp(w[0], w[1], w_size * esize) == 0 && memcmp(h[0], h[1], h_size * esize) == 0 &&
              packed.target_sq == viewed.target_sq && packed.residual_sq == viewed.residual_sq,
          "%s %zux%zu rank %zu through row stride %zu: W, H or sums differ from the packed target's "
          "(residual %.17g against %.17g)",
          dmf_dtype_name(dtype), g.b1, g.c2, g.rank, stride, viewed.residual_sq, packed.residual_sq);
    free(t), free(wide), free(w[0]), free(w[1]), free(h[0]), free(h[1]);
}

/* Large blocks that are rank one up to the rounding of their entries (unit
 * phases e^(i a theta) e^(i b phi) for complex dtypes, (1 + a/7)(1 - b/11)
 * for real ones, each entry rounded once): the factors as written miss
 * each block by little more than their own rounding, at most 4 u relative.
 * The first power step sums x^H S over the block's 128 rows in double,
 * chunks of rows added with carries: in the dtype it missed by 14 u (c64
 * and c128), and in plain double by 15 u (c128). */
static void test_rank_one_rounding(dmf_dtype dtype)
{
    const dmf_split_geometry g = {1, 1, 128, 1, 3, 128, 1, 0};
    const size_t t_size = g.b1 * g.c1 * g.c2, esize = dmf_dtype_size(dtype);
    void *t = calloc(t_size, esize), *w = calloc(g.b1 * g.c1, esize), *h = calloc(g.c1 * g.c2, esize);
    for (size_t a = 0; a < g.b1; a++)
        for (size_t e = 0; e < g.c1 * g.c2; e++) {
            size_t b = e % g.c2;
            double complex value = dmf_dtype_is_complex(dtype) ? cexp(I * 0.37 * (double)a) * cexp(I * 1.91 * (double)b)
                                                               : (1 + a / 7.0) * (1 - b / 11.0);
            dmf_set(dtype, t, a * g.c1 * g.c2 + e, value);
        }
    dmf_split_stats stats = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
    double diff = 0, ref = 0, u = dmf_dtype_eps(dtype);
    dmf_merge_ranges(dtype, &g, w, h, NULL, t, &diff, &ref);
    CHECK(stats.iterative == g.c1 && sqrt(diff / ref) <= 4 * u, "%s: rank one up to rounding, W H misses it by %.2f u",
          dmf_dtype_name(dtype), sqrt(diff / ref) / u);
    free(t), free(w), free(h);
}

extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int threads) __attribute__((weak));
extern int openblas_get_parallel(void) __attribute__((weak));

/* The SVD's LAPACK calls (rank 2 here) run on dmf's threads alone while a
 * split runs; OpenBLAS's own setting comes back after it, whatever it was. */
static void test_blas_threads_restored(void)
{
    if (!openblas_get_num_threads || !openblas_set_num_threads || !openblas_get_parallel) return; /* another BLAS */
    const int threads_before = omp_get_max_threads();
    const int before = openblas_get_num_threads();
    dmf_split_geometry g = {1, 1, 32, 4, 4, 32, 2};
    size_t total = 32 * 4 * 4 * 32;
    double *t = calloc(total, sizeof *t), *w = calloc(2 * total, sizeof *w), *h = calloc(2 * total, sizeof *h);
    split_fill_target(DMF_F64, &g, t, FILL_RANDOM, 3);
    for (int threads = 2; threads <= 3; threads++) {
        openblas_set_num_threads(threads);
        dmf_split_stats stats = {0};
        CHECK_OK(dmf_backend_cpu()->split_rank_r(DMF_F64, &g, t, w, h, NULL, &stats));
        CHECK(stats.dense_svd == 16, "%zu of 16 rank-2 blocks by the SVD", stats.dense_svd);
        CHECK(openblas_get_num_threads() == threads, "OpenBLAS threads %d after a split, %d before",
              openblas_get_num_threads(), threads);
        CHECK(omp_get_max_threads() == threads_before, "OpenMP threads %d after a split, %d before",
              omp_get_max_threads(), threads_before);
    }
    openblas_set_num_threads(before);
    free(t), free(w), free(h);
}

/* The tridiagonal solver under Lanczos, against closed forms: T =
 * tridiag(-1, 2, -1) of order n has top eigenvalue 2 + 2 cos(pi / (n + 1))
 * and eigenvector y_i = sin(i n pi / (n + 1)), i = 1..n; a diagonal T, a
 * repeated top eigenvalue (any unit vector of its space) and T = 0. */
static void test_tridiag_top(void)
{
    double diag[64], off[64], vec[64], work[64];
    for (size_t n = 1; n <= 60; n++) {
        for (size_t i = 0; i < n; i++) diag[i] = 2, off[i] = -1;
        const double theta = dmf_tridiag_top(diag, off, n, vec, work), want = 2 + 2 * cos(M_PI / (double)(n + 1));
        double dot = 0, norm = 0;
        for (size_t i = 0; i < n; i++) {
            double e = sin((double)((i + 1) * n) * M_PI / (double)(n + 1));
            dot += e * vec[i];
            norm += e * e;
        }
        CHECK(fabs(theta - want) <= 8 * DBL_EPSILON * want, "tridiag(-1, 2, -1) of %zu: top %.17g, want %.17g", n,
              theta, want);
        CHECK(fabs(fabs(dot) / sqrt(norm) - 1) <= 1e-12, "tridiag(-1, 2, -1) of %zu: vector off by %.3g", n,
              fabs(fabs(dot) / sqrt(norm) - 1));
    }
    const double d3[3] = {1, 3, 2}, z3[2] = {0, 0};
    double theta = dmf_tridiag_top(d3, z3, 3, vec, work);
    CHECK(fabs(theta - 3) <= 8 * DBL_EPSILON * 3 && fabs(fabs(vec[1]) - 1) <= 1e-15, "diag(1, 3, 2): top %.17g, vector %g %g %g", theta, vec[0],
          vec[1], vec[2]);
    const double same[4] = {5, 5, 5, 5}, none[3] = {0, 0, 0};
    theta = dmf_tridiag_top(same, none, 4, vec, work);
    double unit = 0;
    for (int i = 0; i < 4; i++) unit += vec[i] * vec[i];
    CHECK(fabs(theta - 5) <= 1e-14 && fabs(unit - 1) <= 1e-14, "5 I: top %.17g, |y|^2 %.17g", theta, unit);
    theta = dmf_tridiag_top(none, none, 3, vec, work);
    CHECK(theta == 0 && vec[0] == 1 && vec[1] == 0 && vec[2] == 0, "T = 0: top %g", theta);
}

/* A block-diagonal block whose heavier rows hold the slow part (singular
 * values 1 .. 0.98, rotated by reflections) and whose top singular value
 * (1.2) sits in the other part: power iteration and Lanczos from a heavy
 * row never see the top, and the Krylov space closes on the first part's
 * top, an exact but not the top triplet.  The kernel must still give the
 * optimal residual. */
static void test_hidden_top(dmf_dtype dtype)
{
    enum { N = 7 };
    const double sv[5] = {1, 0.995, 0.99, 0.985, 0.98}, a[5] = {1, 2, -1, 3, 1}, b[5] = {2, -1, 1, 1, -2};
    double S[N][N] = {{0}};
    /* (I - 2 a a^T / a^T a) diag(sv) (I - 2 b b^T / b^T b) */
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            double sum = 0;
            for (int k = 0; k < 5; k++) sum += ((i == k) - 2 * a[i] * a[k] / 16) * sv[k] * ((k == j) - 2 * b[k] * b[j] / 11);
            S[i][j] = sum;
        }
    S[5][5] = S[5][6] = S[6][5] = S[6][6] = 0.6;
    dmf_split_geometry g = {1, 1, N, 1, 1, N, 1, 0};
    void *t = calloc(N * N, dmf_dtype_size(dtype)), *w = calloc(N, dmf_dtype_size(dtype)),
         *h = calloc(N, dmf_dtype_size(dtype));
    for (int e = 0; e < N * N; e++) dmf_set(dtype, t, (size_t)e, S[e / N][e % N]);
    dmf_split_stats stats = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
    double norm2 = 0, best = optimal_residual(dtype, &g, t, 0, 0, 0, &norm2);
    const double tol = 100.0 * (2 * N) * dmf_dtype_eps(dtype) * norm2;
    CHECK(fabs(stats.residual_sq - best) <= tol, "%s hidden top: residual^2 %.9g, optimal %.9g (the top 1.2^2 = 1.44 "
          "missed?)", dmf_dtype_name(dtype), stats.residual_sq, best);
    free(t), free(w), free(h);
}

/* A 40 x 40 block whose top singular value 1 is repeated 30 times, the
 * other ten 0.95 .. 0.5, turned by two reflections and (complex) a phase
 * per column: power iteration converges at 0.95^2 a step and, in double
 * precision, hands over to Lanczos, whose space closes after the eleven distinct values.  The closed
 * top is certified by the Cholesky factor of mu I - G there; without it the
 * run would find the top's 29 other copies one closed piece at a time, 40
 * steps in all. */
static void test_repeated_top(dmf_dtype dtype)
{
    enum { N = 40 };
    double sv[N], a[N], b[N], aa = 0, bb = 0;
    for (int i = 0; i < N; i++) {
        sv[i] = i < 30 ? 1 : 1 - 0.05 * (i - 29);
        a[i] = sin(1.0 + 0.7 * i), b[i] = cos(0.3 + 1.3 * i);
        aa += a[i] * a[i], bb += b[i] * b[i];
    }
    void *t = calloc(N * N, dmf_dtype_size(dtype)), *w = calloc(N, dmf_dtype_size(dtype)),
         *h = calloc(N, dmf_dtype_size(dtype));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0; /* (I - 2 a a^T / a^T a) diag(sv) (I - 2 b b^T / b^T b) */
            for (int k = 0; k < N; k++) sum += ((i == k) - 2 * a[i] * a[k] / aa) * sv[k] * ((k == j) - 2 * b[k] * b[j] / bb);
            dmf_set(dtype, t, (size_t)(i * N + j), sum * (dmf_dtype_is_complex(dtype) ? cexp(I * 0.4 * j) : 1));
        }
    dmf_split_geometry g = {1, 1, N, 1, 1, N, 1, 0};
    dmf_split_stats stats = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
    double norm2 = 0, best = optimal_residual(dtype, &g, t, 0, 0, 0, &norm2);
    const double tol = 100.0 * (2 * N) * dmf_dtype_eps(dtype) * norm2;
    CHECK(fabs(stats.residual_sq - best) <= tol, "%s repeated top: residual^2 %.12g, optimal %.12g",
          dmf_dtype_name(dtype), stats.residual_sq, best);
    /* Single precision's looser test lets power iteration finish. */
    const int single = dtype == DMF_F32 || dtype == DMF_C64;
    CHECK(stats.iterative == 1 && (single || stats.lanczos_steps >= 1) && stats.lanczos_steps <= 20,
          "%s repeated top: %zu iterative, %zu Lanczos steps (the top's copies found one at a time?)",
          dmf_dtype_name(dtype), stats.iterative, stats.lanczos_steps);
    free(t), free(w), free(h);
}

/* Rank r > 1 by subspace iteration: blocks of exact rank 3 (sums of three
 * products, row 0 not among the heaviest) take one iteration each and no
 * SVD; a rank-2 block whose heavier rows hold a part with singular values
 * 1 and 0.99 while a lighter part holds 1.2 converges on the wrong pair,
 * and the rest test must send it to the SVD (optimal residual). */
static void test_rank_r_subspace(dmf_dtype dtype)
{
    const double eps = dmf_dtype_eps(dtype);
    {
        dmf_split_geometry g = {1, 1, 24, 2, 3, 20, 3, 0};
        const size_t count = dmf_split_num_sub_blocks(&g), esize = dmf_dtype_size(dtype);
        const size_t t_size = 24 * 2 * 3 * 20, w_size = 2 * 24 * 3 * 3, h_size = 3 * 3 * 2 * 20;
        void *t = calloc(t_size, esize), *w = calloc(w_size, esize), *h = calloc(h_size, esize);
        for (size_t e = 0; e < t_size; e++) {
            const size_t row = e / 60, col = e % 60;
            double complex v = 0;
            for (int p = 0; p < 3; p++)
                v += sin(1.0 + 0.37 * (double)row * (p + 1) + p) * cos(0.3 + 0.71 * (double)col * (p + 2)) *
                     (dmf_dtype_is_complex(dtype) ? cexp(I * (0.2 * p + 0.05 * (double)col)) : 1);
            dmf_set(dtype, t, e, v);
        }
        dmf_split_stats stats = {0};
        CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
        CHECK(stats.iterative == count && stats.dense_svd == 0 && stats.power_steps == count,
              "%s exact rank 3: %zu of %zu iterative, %zu SVD, %zu iterations", dmf_dtype_name(dtype), stats.iterative,
              count, stats.dense_svd, stats.power_steps);
        CHECK(stats.residual_sq <= 1e4 * eps * eps * stats.target_sq, "%s exact rank 3: residual^2 %.3e of %.3e",
              dmf_dtype_name(dtype), stats.residual_sq, stats.target_sq);
        free(t), free(w), free(h);
    }
    {
        enum { N = 8 };
        double S[N][N] = {{0}};
        const double c = cos(0.4), sn = sin(0.4);
        /* rows 0-3: R diag(1, 0.99, 0.5, 0.4) R^T with weight 3 on row 0 */
        const double sv[4] = {1, 0.99, 0.5, 0.4};
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double sum = 0;
                for (int k = 0; k < 4; k++) {
                    const double ri = k == i ? c : (k ^ 1) == i ? (k & 1 ? -sn : sn) : 0;
                    const double rj = k == j ? c : (k ^ 1) == j ? (k & 1 ? -sn : sn) : 0;
                    sum += ri * sv[k] * rj;
                }
                S[i][j] = sum;
            }
        S[4][4] = S[4][5] = S[5][4] = S[5][5] = 0.6; /* singular value 1.2 */
        S[6][6] = 0.1, S[7][7] = 0.05;
        dmf_split_geometry g = {1, 1, N, 1, 1, N, 2, 0};
        const size_t esize = dmf_dtype_size(dtype);
        void *t = calloc(N * N, esize), *w = calloc(2 * N, esize), *h = calloc(2 * N, esize);
        for (int e = 0; e < N * N; e++) dmf_set(dtype, t, (size_t)e, S[e / N][e % N]);
        dmf_split_stats stats = {0};
        CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
        double norm2 = 0, best = optimal_residual(dtype, &g, t, 0, 0, 0, &norm2);
        CHECK(fabs(stats.residual_sq - best) <= 100.0 * (2 * N) * eps * norm2,
              "%s rank 2, hidden top: residual^2 %.9g, optimal %.9g", dmf_dtype_name(dtype), stats.residual_sq, best);
        free(t), free(w), free(h);
    }
}

/* Q (p x q, p >= q, column-major) with orthonormal columns: QR of a
 * Gaussian matrix. */
static void random_orthonormal(dmf_rng *rng, double complex *Q, int p, int q, int complex_entries)
{
    double complex tau[64];
    for (int i = 0; i < p * q; i++) Q[i] = dmf_rng_normal(rng) + (complex_entries ? I * dmf_rng_normal(rng) : 0);
    LAPACKE_zgeqrf(LAPACK_COL_MAJOR, p, q, Q, p, tau);
    LAPACKE_zungqr(LAPACK_COL_MAJOR, p, q, q, Q, p, tau);
}

/* The rows a..a+p, columns b..b+q of S (row-major, n columns) set to
 * U diag(sv) V^H with random U, V. */
static void place_block(dmf_rng *rng, double complex *S, int n, int a, int b, int p, int q, const double *sv,
                        int complex_entries)
{
    const int k = p < q ? p : q;
    double complex *U = calloc((size_t)(p > k ? p : k) * k, sizeof *U), *V = calloc((size_t)(q > k ? q : k) * k, sizeof *V);
    random_orthonormal(rng, U, p, k, complex_entries);
    random_orthonormal(rng, V, q, k, complex_entries);
    for (int i = 0; i < p; i++)
        for (int j = 0; j < q; j++) {
            double complex sum = 0;
            for (int t = 0; t < k; t++) sum += U[i + t * p] * sv[t] * conj(V[j + t * q]);
            S[(a + i) * n + b + j] = sum;
        }
    free(U), free(V);
}

/* Blocks that are direct sums, the top singular value (1.001) in the part
 * whose rows are lighter: power iteration from a heavy row has no part
 * along it and may converge on the lower pair (65 of these 400 blocks
 * without its Cholesky test), or its slow pairs (1, 0.999, ...) hand the
 * block to Lanczos, whose Krylov space from power iteration's vector alone
 * would never reach the top either and whose open piece could converge on
 * the lower pair (37 more without the start's added part; where power
 * iteration's triplet was refuted, Lanczos's must pass the test too).
 * Every block must have the optimal residual, and at least 80 of the 800
 * must reach Lanczos. */
static void test_direct_sums(void)
{
    dmf_rng rng;
    dmf_rng_seed(&rng, 20261207);
    size_t by_lanczos = 0;
    for (int trial = 0; trial < 800; trial++) {
        /* From trial 400 on, short wide blocks whose parts hold only 1s
         * but for the top: power iteration converges at once on a 1, and
         * the test refutes it. */
        const int flat = trial >= 400;
        const dmf_dtype dtype = (dmf_dtype)(trial % 4);
        const int m = flat ? 4 + (int)(dmf_rng_uniform(&rng) * 8) : 6 + (int)(dmf_rng_uniform(&rng) * 30);
        const int n = flat ? 20 + (int)(dmf_rng_uniform(&rng) * 20) : 6 + (int)(dmf_rng_uniform(&rng) * 30);
        const int m1 = 2 + (int)(dmf_rng_uniform(&rng) * (m - 4)), n1 = 2 + (int)(dmf_rng_uniform(&rng) * (n - 4));
        const int k1 = m1 < n1 ? m1 : n1, k2 = m - m1 < n - n1 ? m - m1 : n - n1;
        double sv1[64], sv2[64];
        for (int i = 0; i < k1; i++) sv1[i] = i == 0 || flat ? 1 : 0.999 - 0.4 * i / k1;
        for (int i = 0; i < k2; i++) sv2[i] = i == 0 ? 1.001 : flat ? 1 : 0.3;
        double complex *S = calloc((size_t)m * n, sizeof *S);
        const int complex_entries = dmf_dtype_is_complex(dtype);
        place_block(&rng, S, n, 0, 0, m1, n1, sv1, complex_entries);
        place_block(&rng, S, n, m1, n1, m - m1, n - n1, sv2, complex_entries);
        dmf_split_geometry g = {1, 1, (size_t)m, 1, 1, (size_t)n, 1, 0};
        void *t = calloc((size_t)(m * n), dmf_dtype_size(dtype)), *w = calloc((size_t)m, dmf_dtype_size(dtype)),
             *h = calloc((size_t)n, dmf_dtype_size(dtype));
        for (int e = 0; e < m * n; e++) dmf_set(dtype, t, (size_t)e, S[e]);
        dmf_split_stats stats = {0};
        CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
        by_lanczos += stats.lanczos_steps > 0 && stats.iterative == 1;
        {
            double norm2 = 0, best = optimal_residual(dtype, &g, t, 0, 0, 0, &norm2);
            CHECK(fabs(stats.residual_sq - best) <= 100.0 * (m + n) * dmf_dtype_eps(dtype) * norm2,
                  "direct sum %d (%s %d x %d, parts %d x %d): residual^2 %.9g, optimal %.9g after %zu Lanczos steps",
                  trial, dmf_dtype_name(dtype), m, n, m1, n1, stats.residual_sq, best, stats.lanczos_steps);
        }
        free(S), free(t), free(w), free(h);
    }
    CHECK(by_lanczos >= 80, "only %zu of 800 direct sums reached Lanczos", by_lanczos);
}

/* Rank 3 of a 12 x 9 block with singular values 2, 1.5, 1, 1e-3, 1e-3 at
 * scales from 1e-80 to 1e80 (double dtypes): the rotations of the small
 * SVD are taken from |<p_i, p_j>| itself, not from its square, which left
 * the range of double at sigma^4 (at 1e-80 a wrong subspace was accepted
 * with 100 times the optimal residual); blocks whose squares leave it go
 * to the SVD. */
static void test_rank_r_scales(void)
{
    dmf_rng rng;
    dmf_rng_seed(&rng, 7);
    const double sv[9] = {2, 1.5, 1, 1e-3, 1e-3, 0, 0, 0, 0}, scales[5] = {1e-80, 1e-55, 1, 1e55, 1e80};
    for (dmf_dtype dtype = DMF_F64; dtype <= DMF_C128; dtype += 2)
        for (int sc = 0; sc < 5; sc++) {
            double complex S[12 * 9] = {0};
            place_block(&rng, S, 9, 0, 0, 12, 9, sv, dmf_dtype_is_complex(dtype));
            dmf_split_geometry g = {1, 1, 12, 1, 1, 9, 3, 0};
            void *t = calloc(12 * 9, dmf_dtype_size(dtype)), *w = calloc(12 * 3, dmf_dtype_size(dtype)),
                 *h = calloc(3 * 9, dmf_dtype_size(dtype));
            for (int e = 0; e < 12 * 9; e++) dmf_set(dtype, t, (size_t)e, S[e] * scales[sc]);
            dmf_split_stats stats = {0};
            CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
            double norm2 = 0, best = optimal_residual(dtype, &g, t, 0, 0, 0, &norm2);
            CHECK(fabs(stats.residual_sq - best) <= 100.0 * 21 * dmf_dtype_eps(dtype) * norm2,
                  "%s rank 3 at scale %g: residual^2 / ||S||^2 %.6g, optimal %.6g", dmf_dtype_name(dtype), scales[sc],
                  stats.residual_sq / norm2, best / norm2);
            free(t), free(w), free(h);
        }
}

int main(void)
{
    test_tridiag_top();
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) test_hidden_top(dt);
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) test_repeated_top(dt);
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) test_rank_r_subspace(dt);
    test_direct_sums();
    test_rank_r_scales();
    test_blas_threads_restored();
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) test_rank_one_rounding(dt);

    /* Power iteration's tiles and the lanes' groups, tens of thousands of
     * entries: split across threads. */
    test_sums_independent_of_threads(DMF_C128, (dmf_split_geometry){1, 1, 8, 64, 64, 8, 1});
    test_sums_independent_of_threads(DMF_F64, (dmf_split_geometry){1, 4, 64, 2, 64, 2, 1});

    /* Lanes (adjacent and not), power iteration, narrow tiles, 2 x n, rank 2. */
    const size_t strided[][7] = {{1, 1, 100, 2, 9, 2, 1}, {2, 3, 45, 2, 3, 2, 1}, {1, 1, 31, 2, 2, 33, 1},
                                 {1, 1, 3, 2, 20, 2, 1},  {2, 1, 2, 2, 3, 7, 1},  {2, 1, 4, 3, 70, 2, 2}};
    for (size_t s = 0; s < sizeof strided / sizeof strided[0]; s++)
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            test_row_stride(dt, (dmf_split_geometry){strided[s][0], strided[s][1], strided[s][2], strided[s][3],
                                                     strided[s][4], strided[s][5], strided[s][6], 0}, 0);
    /* Full lane groups (eight neighbours, four, two and one sub-block of a
     * row group): read twice when packed, copied through a far stride. */
    const size_t lane_groups[][7] = {{1, 1, 100, 2, 8, 2, 1}, {1, 1, 64, 2, 4, 2, 1}, {2, 1, 33, 2, 2, 2, 1},
                                     {2, 2, 40, 2, 1, 2, 1}};
    for (size_t s = 0; s < sizeof lane_groups / sizeof lane_groups[0]; s++)
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            test_row_stride(dt, (dmf_split_geometry){lane_groups[s][0], lane_groups[s][1], lane_groups[s][2],
                                                     lane_groups[s][3], lane_groups[s][4], lane_groups[s][5],
                                                     lane_groups[s][6], 0}, 1);

    /* (a, d, b1, b2, c1, c2, rank) */
    const size_t shapes[][7] = {
        {1, 1, 1, 3, 2, 5, 1},  {1, 1, 5, 2, 3, 1, 1},  {2, 1, 2, 2, 3, 7, 1},  {1, 2, 7, 3, 2, 2, 1},
        {1, 1, 31, 2, 2, 33, 1}, {1, 1, 32, 1, 2, 32, 1}, {1, 1, 33, 2, 1, 31, 1}, {2, 3, 4, 2, 3, 5, 1},
        {1, 1, 6, 2, 2, 5, 2},  {1, 1, 3, 1, 2, 8, 3},  {1, 1, 2, 2, 2, 2, 4},  {3, 1, 1, 1, 1, 1, 1},
        {1, 1, 24, 2, 3, 20, 3}, {2, 1, 40, 1, 2, 33, 2},
        /* narrow blocks gathered in tiles of several j, the last one partial */
        {1, 1, 3, 2, 20, 2, 1}, {1, 2, 5, 1, 37, 1, 1}, {2, 1, 4, 3, 70, 2, 2},
        /* n = 2 blocks eight to a vector: several chunks of rows, and
         * groups of eight that span u, v and i */
        {1, 1, 100, 2, 9, 2, 1}, {2, 3, 45, 2, 3, 2, 1}, {1, 1, 64, 1, 8, 2, 1},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dmf_split_geometry g = {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                                shapes[s][4], shapes[s][5], shapes[s][6]};
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            for (int kind = FILL_RANDOM; kind <= FILL_DIRECT_SUM; kind++)
                run_case(dt, g, (split_fill)kind);
    }
    return check_report("test_split");
}
