/* Index arithmetic and per-thread bodies of the device split kernels, in
 * plain C that nvcc compiles for host and device (DMF_HD).  The CUDA kernels
 * call these functions and nothing else for "which element goes where", and
 * tests/test_split_index.c runs the same functions in host loops (an emulated
 * launch over block and thread indices) against the CPU backend's layout, so
 * a mistake here shows up on a machine without a GPU.
 *
 * Layout (backend.h): sub-block s = ((i*d + v)*b2 + u)*c1 + j of a split
 * holds S[alpha, beta] = T_(i,v)[alpha*b2 + u, j*c2 + beta]; its rank-r
 * approximation sum_rho x_rho h_rho goes to W[alpha, j*r + rho] of block
 * i*b2*d + u*d + v and H[rho*b2 + u, beta] of block (i*c1 + j)*d + v.
 * Device scratch keeps, per sub-block of a batch, x as m x r (column rho =
 * x_rho) and h as r x n, like the CPU backend's scratch. */
#ifndef DMF_SPLIT_INDEX_H
#define DMF_SPLIT_INDEX_H

#include <math.h>
#include <stddef.h>

#include "backend/backend.h"

#ifdef __CUDACC__
#define DMF_HD __host__ __device__
#else
#define DMF_HD
#endif

/* ---- where a sub-block's entries live ------------------------------------ */

typedef struct {
    size_t i, v, u, j;
} dmf_sub_block;

DMF_HD static inline dmf_sub_block dmf_sub_block_of(const dmf_split_geometry *g, size_t s)
{
    dmf_sub_block b;
    b.j = s % g->c1;
    size_t rest = s / g->c1;
    b.u = rest % g->b2;
    size_t iv = rest / g->b2;
    b.i = iv / g->d;
    b.v = iv % g->d;
    return b;
}

/* Index in T of S_s[alpha, beta]. */
DMF_HD static inline size_t dmf_split_target_index(const dmf_split_geometry *g, size_t s, size_t alpha,
                                                   size_t beta)
{
    dmf_sub_block b = dmf_sub_block_of(g, s);
    size_t rows = g->b1 * g->b2, cols = g->c1 * g->c2;
    return (b.i * g->d + b.v) * rows * cols + (alpha * g->b2 + b.u) * cols + b.j * g->c2 + beta;
}

/* Index in W of x_rho[alpha] of sub-block s. */
DMF_HD static inline size_t dmf_split_w_index(const dmf_split_geometry *g, size_t s, size_t alpha,
                                              size_t rho)
{
    dmf_sub_block b = dmf_sub_block_of(g, s);
    size_t wcols = g->c1 * g->rank;
    return (b.i * g->b2 * g->d + b.u * g->d + b.v) * g->b1 * wcols + alpha * wcols + b.j * g->rank + rho;
}

/* Index in H of h_rho[beta] of sub-block s. */
DMF_HD static inline size_t dmf_split_h_index(const dmf_split_geometry *g, size_t s, size_t rho,
                                              size_t beta)
{
    dmf_sub_block b = dmf_sub_block_of(g, s);
    return ((b.i * g->c1 + b.j) * g->d + b.v) * g->rank * g->b2 * g->c2 + (rho * g->b2 + b.u) * g->c2 + beta;
}

/* Successive entries of a sub-block: index(s, a, b) = index(s, 0, 0) +
 * a * row_step + b (T), and likewise for W (alpha, rho) and H (rho, beta). */
DMF_HD static inline size_t dmf_split_target_row_step(const dmf_split_geometry *g)
{
    return g->b2 * g->c1 * g->c2;
}
DMF_HD static inline size_t dmf_split_w_row_step(const dmf_split_geometry *g) { return g->c1 * g->rank; }
DMF_HD static inline size_t dmf_split_h_row_step(const dmf_split_geometry *g) { return g->b2 * g->c2; }

/* ---- batches and scratch ------------------------------------------------- */

/* Scratch entries one sub-block needs on the device: x (m x r), h (r x n)
 * and the power iteration's vector (n); with rank > 1 every sub-block also
 * goes through the SVD, which needs its gathered copy (m x n). */
DMF_HD static inline size_t dmf_split_scratch_per_block(const dmf_split_geometry *g)
{
    size_t m = g->b1, n = g->c2, r = g->rank;
    return m * r + r * n + n + (r > 1 ? m * n : 0);
}

/* Sub-blocks per batch so that one batch needs at most max_elements
 * entries of scratch, `per_block` each (at least one sub-block, at most all). */
DMF_HD static inline size_t dmf_split_batch_size(const dmf_split_geometry *g, size_t per_block, size_t max_elements)
{
    size_t count = g->a * g->d * g->b2 * g->c1, per = per_block;
    size_t batch = per ? max_elements / per : count;
    if (batch < 1) batch = 1;
    return batch < count ? batch : count;
}

DMF_HD static inline size_t dmf_split_num_batches(const dmf_split_geometry *g, size_t batch)
{
    size_t count = g->a * g->d * g->b2 * g->c1;
    return batch ? (count + batch - 1) / batch : 0;
}

/* Device scratch of a batch of `batch` sub-blocks of m x n, rank r, with
 * elements of elem bytes: offsets (bytes, 256-aligned) of each array. */
typedef struct {
    size_t x, h, z, norms, residuals, codes, list, total;
} dmf_split_scratch_layout;

DMF_HD static inline size_t dmf_align256(size_t bytes) { return (bytes + 255) / 256 * 256; }

DMF_HD static inline dmf_split_scratch_layout dmf_split_scratch(size_t batch, size_t m, size_t n, size_t r,
                                                                size_t elem)
{
    dmf_split_scratch_layout l;
    l.x = 0;
    l.h = l.x + dmf_align256(batch * m * r * elem);
    l.z = l.h + dmf_align256(batch * r * n * elem);
    l.norms = l.z + dmf_align256(batch * n * elem);
    l.residuals = l.norms + dmf_align256(batch * sizeof(double));
    l.codes = l.residuals + dmf_align256(batch * sizeof(double));
    l.list = l.codes + dmf_align256(batch * sizeof(int));
    l.total = l.list + dmf_align256(batch * sizeof(int));
    return l;
}

/* ---- scalars ------------------------------------------------------------- */

/* The kernels compute in double (complex) whatever the storage dtype. */
typedef struct {
    double re, im;
} dmf_dc;

DMF_HD static inline dmf_dc dmf_dc_make(double re, double im)
{
    dmf_dc z;
    z.re = re;
    z.im = im;
    return z;
}
DMF_HD static inline dmf_dc dmf_dc_add(dmf_dc a, dmf_dc b) { return dmf_dc_make(a.re + b.re, a.im + b.im); }
DMF_HD static inline dmf_dc dmf_dc_sub(dmf_dc a, dmf_dc b) { return dmf_dc_make(a.re - b.re, a.im - b.im); }
DMF_HD static inline dmf_dc dmf_dc_mul(dmf_dc a, dmf_dc b)
{
    return dmf_dc_make(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
/* conj(a) * b */
DMF_HD static inline dmf_dc dmf_dc_cmul(dmf_dc a, dmf_dc b)
{
    return dmf_dc_make(a.re * b.re + a.im * b.im, a.re * b.im - a.im * b.re);
}
DMF_HD static inline dmf_dc dmf_dc_conj(dmf_dc a) { return dmf_dc_make(a.re, -a.im); }
DMF_HD static inline dmf_dc dmf_dc_scale(dmf_dc a, double s) { return dmf_dc_make(a.re * s, a.im * s); }
DMF_HD static inline double dmf_dc_abs2(dmf_dc a) { return a.re * a.re + a.im * a.im; }

/* Element `index` of an array of `dtype` (interleaved re, im for complex). */
DMF_HD static inline dmf_dc dmf_load(dmf_dtype dtype, const void *base, size_t index)
{
    switch (dtype) {
    case DMF_F32: return dmf_dc_make(((const float *)base)[index], 0);
    case DMF_F64: return dmf_dc_make(((const double *)base)[index], 0);
    case DMF_C64: return dmf_dc_make(((const float *)base)[2 * index], ((const float *)base)[2 * index + 1]);
    default: return dmf_dc_make(((const double *)base)[2 * index], ((const double *)base)[2 * index + 1]);
    }
}

DMF_HD static inline void dmf_store(dmf_dtype dtype, void *base, size_t index, dmf_dc z)
{
    switch (dtype) {
    case DMF_F32: ((float *)base)[index] = (float)z.re; break;
    case DMF_F64: ((double *)base)[index] = z.re; break;
    case DMF_C64:
        ((float *)base)[2 * index] = (float)z.re;
        ((float *)base)[2 * index + 1] = (float)z.im;
        break;
    default:
        ((double *)base)[2 * index] = z.re;
        ((double *)base)[2 * index + 1] = z.im;
    }
}

/* ---- closed forms and stopping tests, as the CPU backend has them --------- */

/* Unit top eigenvector of the Hermitian [[g11, g12], [conj(g12), g22]]: the
 * larger of the two null vectors of G - lambda I avoids cancellation. */
DMF_HD static inline void dmf_top_eigvec_2x2(double g11, double g22, dmf_dc g12, dmf_dc e[2])
{
    double half = 0.5 * (g11 - g22);
    double lambda = 0.5 * (g11 + g22) + hypot(half, hypot(g12.re, g12.im)); /* |g12|^2 overflows from 2^512 */
    if (g11 >= g22) {
        e[0] = dmf_dc_make(lambda - g22, 0);
        e[1] = dmf_dc_conj(g12);
    } else {
        e[0] = g12;
        e[1] = dmf_dc_make(lambda - g11, 0);
    }
    /* G's entries are squares of the block's (up to 2^950, or subnormal):
     * brought near 1 by a power of two (exact) before the norm, whose
     * squares would overflow or underflow, as on the CPU. */
    double big = fmax(fmax(fabs(e[0].re), fabs(e[0].im)), fmax(fabs(e[1].re), fabs(e[1].im)));
    if ((big > 0x1p500 && big < INFINITY) || (big > 0 && big < 0x1p-500)) {
        int exponent;
        frexp(big, &exponent);
        for (int q = 0; q < 2; q++) e[q] = dmf_dc_make(ldexp(e[q].re, -exponent), ldexp(e[q].im, -exponent));
    }
    double norm = sqrt(dmf_dc_abs2(e[0]) + dmf_dc_abs2(e[1]));
    if (norm == 0) { /* G is a multiple of I: any unit vector */
        e[0] = dmf_dc_make(1, 0);
        e[1] = dmf_dc_make(0, 0);
    } else {
        e[0] = dmf_dc_scale(e[0], 1 / norm);
        e[1] = dmf_dc_scale(e[1], 1 / norm);
    }
}

/* Unit roundoff of the storage dtype. */
DMF_HD static inline double dmf_unit_roundoff(dmf_dtype dtype)
{
    return dtype == DMF_F32 || dtype == DMF_C64 ? 5.9604644775390625e-08 : 1.1102230246251565e-16;
}

/* Power iteration stops when ||S^H x - sigma v|| <= (m + n) u ||S||_F. */
DMF_HD static inline double dmf_power_tolerance(dmf_dtype dtype, size_t m, size_t n, double norm2)
{
    return (double)(m + n) * dmf_unit_roundoff(dtype) * sqrt(norm2);
}

/* The rounding margin of a test on the spectrum of a block's Gram matrix G
 * (S S^H or S^H S, formed or applied in double): 4 (m + n) eps ||S||_F^2. */
DMF_HD static inline double dmf_gram_margin(size_t m, size_t n, double norm2)
{
    return 4 * (double)(m + n) * 0x1p-52 * norm2;
}

/* Whether an iteration whose residual shrinks by q a step, now res, can
 * still meet tol within max steps (from step it): log(tol / res) / log(q)
 * more steps. */
DMF_HD static inline int dmf_rate_out_of_reach(int it, double res, double q, double tol, int max)
{
    return !(q < 1) || (double)it + 1 + log(tol / res) / log(q) > (double)max;
}

/* A converged triplet can be the top one only if sigma_1^2 >= ||S||^2 /
 * min(m, n). */
DMF_HD static inline int dmf_power_may_be_top(double sigma2, size_t m, size_t n, double norm2)
{
    return sigma2 * (double)(m < n ? m : n) >= norm2 * (1 - 1e-3);
}

/* The rest of the block, ||S||^2 - sigma^2, at most sigma^2: no other
 * eigenvalue of G can exceed sigma^2 (G is semidefinite). */
DMF_HD static inline int dmf_rest_below(double sigma2, size_t m, size_t n, double norm2)
{
    return !(norm2 - sigma2 > sigma2 + dmf_gram_margin(m, n, norm2));
}

/* A converged triplet is certainly the top one where it can be and the rest
 * is below it.  Elsewhere a start with no part along the top singular
 * vector (a direct sum whose lighter rows hold it) may have converged on a
 * lower triplet: the CUDA split hands such a block to the SVD, the CPU's to
 * a Cholesky test of mu I - G. */
DMF_HD static inline int dmf_power_is_top(double sigma2, size_t m, size_t n, double norm2)
{
    return dmf_power_may_be_top(sigma2, m, n, norm2) && dmf_rest_below(sigma2, m, n, norm2);
}

/* W gets x sqrt(sigma), H gets h / sqrt(sigma) (h = sigma y^H); a zero
 * sigma leaves both as they are (zeros). */
DMF_HD static inline void dmf_sqrt_sigma_scales(double sigma2, double *to_w, double *to_h)
{
    double sigma = sqrt(sigma2);
    *to_w = sigma > 0 ? sqrt(sigma) : 1;
    *to_h = sigma > 0 ? 1 / sqrt(sigma) : 1;
}

/* ---- per-thread bodies of the simple kernels ------------------------------ */

/* Gather, one thread per entry: entry e of a batch starting at sub-block
 * `first` (row-major m x n per sub-block) comes from this index of T.  The
 * buffer is also the column-major n x m matrix S^T that cuSOLVER factors. */
DMF_HD static inline size_t dmf_split_gather_source(const dmf_split_geometry *g, size_t first, size_t e)
{
    size_t per = g->b1 * g->c2, local = e / per, within = e % per;
    return dmf_split_target_index(g, first + local, within / g->c2, within % g->c2);
}

/* Scatter of sub-block s (its x at x, h at h, both from the batch scratch),
 * thread t of `threads`: W = x_rho sqrt(sigma_rho), H = h_rho / sqrt(sigma_rho).
 * sigma2[rho] = ||h_rho||^2 was reduced by the block beforehand. */
DMF_HD static inline void dmf_split_scatter_thread(dmf_dtype dtype, const dmf_split_geometry *g, size_t s,
                                                   const void *x, const void *h, const double *sigma2,
                                                   size_t t, size_t threads, void *w_out, void *h_out)
{
    size_t m = g->b1, n = g->c2, r = g->rank;
    for (size_t e = t; e < m * r; e += threads) {
        size_t alpha = e / r, rho = e % r;
        double to_w, to_h;
        dmf_sqrt_sigma_scales(sigma2[rho], &to_w, &to_h);
        dmf_store(dtype, w_out, dmf_split_w_index(g, s, alpha, rho), dmf_dc_scale(dmf_load(dtype, x, e), to_w));
    }
    for (size_t e = t; e < r * n; e += threads) {
        size_t rho = e / n, beta = e % n;
        double to_w, to_h;
        dmf_sqrt_sigma_scales(sigma2[rho], &to_w, &to_h);
        dmf_store(dtype, h_out, dmf_split_h_index(g, s, rho, beta), dmf_dc_scale(dmf_load(dtype, h, e), to_h));
    }
}

/* Orthonormalization of group s (the pairing of split_rank_r's sub-block s),
 * one thread per group: the r columns of W (side LEFT) or rows of H (RIGHT)
 * of the group are orthonormalized by modified Gram-Schmidt run twice and
 * the triangular factor multiplied into the other side, as the CPU backend
 * does.  tri holds r*r dmf_dc of thread-private scratch. */
DMF_HD static inline void dmf_normalize_group(dmf_dtype dtype, const dmf_split_geometry *g, size_t s,
                                              void *w, void *h, dmf_normalize_side side, dmf_dc *tri)
{
    const size_t r = g->rank, m = g->b1, n = g->c2;
    /* The vectors being orthonormalized: v_rho[e] = base[first + rho*rho_step + e*e_step]. */
    void *base = side == DMF_NORMALIZE_LEFT ? w : h;
    size_t first = side == DMF_NORMALIZE_LEFT ? dmf_split_w_index(g, s, 0, 0) : dmf_split_h_index(g, s, 0, 0);
    size_t rho_step = side == DMF_NORMALIZE_LEFT ? 1 : g->b2 * n;
    size_t e_step = side == DMF_NORMALIZE_LEFT ? g->c1 * r : 1;
    size_t len = side == DMF_NORMALIZE_LEFT ? m : n;
    for (size_t k = 0; k < r * r; k++) tri[k] = dmf_dc_make(0, 0);
    for (size_t rho = 0; rho < r; rho++) {
        size_t v0 = first + rho * rho_step;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < rho; k++) {
                size_t q0 = first + k * rho_step;
                dmf_dc dot = dmf_dc_make(0, 0);
                for (size_t e = 0; e < len; e++)
                    dot = dmf_dc_add(dot, dmf_dc_cmul(dmf_load(dtype, base, q0 + e * e_step),
                                                      dmf_load(dtype, base, v0 + e * e_step)));
                for (size_t e = 0; e < len; e++) {
                    size_t at = v0 + e * e_step;
                    dmf_dc val = dmf_dc_sub(dmf_load(dtype, base, at),
                                            dmf_dc_mul(dot, dmf_load(dtype, base, q0 + e * e_step)));
                    dmf_store(dtype, base, at, val);
                }
                tri[rho * r + k] = dmf_dc_add(tri[rho * r + k], dot);
            }
        double norm2 = 0;
        for (size_t e = 0; e < len; e++) norm2 += dmf_dc_abs2(dmf_load(dtype, base, v0 + e * e_step));
        double norm = sqrt(norm2);
        for (size_t e = 0; e < len; e++) {
            size_t at = v0 + e * e_step;
            dmf_store(dtype, base, at, norm > 0 ? dmf_dc_scale(dmf_load(dtype, base, at), 1 / norm) : dmf_dc_make(0, 0));
        }
        tri[rho * r + rho] = dmf_dc_make(norm, 0);
    }
    if (side == DMF_NORMALIZE_LEFT) { /* H_rows <- R H_rows, R = tri^T (upper) */
        size_t h0 = dmf_split_h_index(g, s, 0, 0), hstep = g->b2 * n;
        for (size_t b = 0; b < n; b++)
            for (size_t k = 0; k < r; k++) { /* row k only needs rows >= k: update in place upwards */
                dmf_dc acc = dmf_dc_make(0, 0);
                for (size_t rho = k; rho < r; rho++)
                    acc = dmf_dc_add(acc, dmf_dc_mul(tri[rho * r + k], dmf_load(dtype, h, h0 + rho * hstep + b)));
                dmf_store(dtype, h, h0 + k * hstep + b, acc);
            }
    } else { /* W_cols <- W_cols L, L = tri (lower) */
        size_t w0 = dmf_split_w_index(g, s, 0, 0), wstep = g->c1 * r;
        for (size_t a = 0; a < m; a++)
            for (size_t k = 0; k < r; k++) {
                dmf_dc acc = dmf_dc_make(0, 0);
                for (size_t rho = k; rho < r; rho++)
                    acc = dmf_dc_add(acc, dmf_dc_mul(dmf_load(dtype, w, w0 + a * wstep + rho), tri[rho * r + k]));
                dmf_store(dtype, w, w0 + a * wstep + k, acc);
            }
    }
}

#endif
