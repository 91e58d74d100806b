/* Compact product of two adjacent ranges, one dtype (see scalar_begin.h).
 * Sub-block (i, v, u, j) of T is the b1 x c2 product of W's columns
 * j*r .. j*r + r - 1 and H's rows rho*b2 + u, the inverse of a split. */

#include "lane_pairs_impl.h"

/* The sums of |s ref - s w h|^2 and |s ref|^2 over one row of a rank-one
 * sub-block, the product formed part by part in the dtype's precision (a
 * complex product in C checks for infinities entry by entry, which keeps
 * the loop from vectorizing), added into fixed-order lanes d and r2 (the
 * whole vectors) and into *diff and *norm (the rest): the error reported
 * then does not move with the compiler's inlining.  The lanes are totalled
 * by the caller, once for many rows (totalled after every run of n
 * entries, the error pass took 1.6 reads of the input at N = 16384 c128). */
static inline void FN(row_error)(const SCALAR *ref, SCALAR w, const SCALAR *h, size_t n, REAL s, FN(dlanes8) *dl,
                                 FN(dlanes8) *rl, double *diff, double *norm)
{
    const REAL *x = (const REAL *)ref, *y = (const REAL *)h;
    const size_t len = n * (IS_COMPLEX ? 2 : 1);
    const FN(pair_lanes) wl = FN(pair_lanes_of)(w);
    FN(dlanes8) d = *dl, r2 = *rl;
    size_t k = 0;
    for (; k + 8 <= len; k += 8) {
        FN(lanes8) xv, yv;
        DMF_LOAD8(xv, x + k);
        DMF_LOAD8(yv, y + k);
        xv *= s;
        const FN(lanes8) pv = PAIR_TIMES(wl, yv) * s;
        const FN(dlanes8) e = __builtin_convertvector(xv - pv, FN(dlanes8)), xd = __builtin_convertvector(xv, FN(dlanes8));
        d += e * e;
        r2 += xd * xd;
    }
    *dl = d, *rl = r2;
    double dt = 0, rt = 0;
    for (size_t b = k / (IS_COMPLEX ? 2 : 1); b < n; b++) {
#if IS_COMPLEX
        REAL xr = x[2 * b] * s, xi = x[2 * b + 1] * s;
        REAL pr = (RE(w) * y[2 * b] - cimag(w) * y[2 * b + 1]) * s, pi = (RE(w) * y[2 * b + 1] + cimag(w) * y[2 * b]) * s;
        REAL er = xr - pr, ei = xi - pi;
        dt += (double)er * er + (double)ei * ei;
        rt += (double)xr * xr + (double)xi * xi;
#else
        REAL xv = ref[b] * s, e = xv - w * h[b] * s;
        dt += (double)e * e;
        rt += (double)xv * xv;
#endif
    }
    *diff += dt;
    *norm += rt;
}

/* row += w h over n entries (row = w h when `first`), part by part for the
 * reason above. */
static inline void FN(row_axpy)(SCALAR *row, SCALAR w, const SCALAR *h, size_t n, int first)
{
#if IS_COMPLEX
    REAL *y = (REAL *)row;
    const REAL *x = (const REAL *)h, wr = RE(w), wi = cimag(w);
#pragma omp simd
    for (size_t b = 0; b < n; b++) {
        REAL pr = wr * x[2 * b] - wi * x[2 * b + 1], pi = wr * x[2 * b + 1] + wi * x[2 * b];
        y[2 * b] = first ? pr : y[2 * b] + pr;
        y[2 * b + 1] = first ? pi : y[2 * b + 1] + pi;
    }
#else
#pragma omp simd
    for (size_t b = 0; b < n; b++) row[b] = first ? w * h[b] : row[b] + w * h[b];
#endif
}

/* The error of a product against ref, T's rows in order.  Row
 * (iv, alpha, u) of T is contiguous: c1 runs of n entries, run j being
 * the r terms W[alpha, j r + rho] times row rho b2 + u of H's block j.
 * Taking the rows of one (iv, u) together, ref streams at the memory's
 * speed and those rows of H stay in cache (sub-block by sub-block instead,
 * ref's runs lay a row group apart: 1.5-2.5x the time of a read at
 * N = 16384 c128).  Rank one goes through row_error; other ranks entry by
 * entry, no row of the product stored.  The sums of fixed chunks of
 * (iv, u) are added in order, so they do not depend on the threads. */
static void FN(chain_error)(const dmf_split_geometry *g, const SCALAR *W, const SCALAR *H, const SCALAR *ref,
                            REAL s, double *diff_sq, double *ref_sq)
{
    enum { CHUNKS = 256 };
    const size_t m = g->b1, n = g->c2, r = g->rank, c1 = g->c1, b2 = g->b2, d = g->d;
    const size_t items = g->a * d * b2, chunks = items < CHUNKS ? items : CHUNKS;
    const size_t h_block = d * r * b2 * n; /* from H's block j to block j + 1 */
    double diff[CHUNKS], norm[CHUNKS];
#pragma omp parallel for schedule(dynamic, 1) if (items * m * c1 * n * (r ? r : 1) > 65536)
    for (size_t k = 0; k < chunks; k++) {
        double dk = 0, nk = 0;
        FN(dlanes8) dl = {0}, rl = {0};
        for (size_t item = k * items / chunks; item < (k + 1) * items / chunks; item++) {
            size_t u = item % b2, iv = item / b2, i = iv / d, v = iv % d;
            const SCALAR *wb = W + (i * b2 * d + u * d + v) * m * c1 * r;
            const SCALAR *hb = H + (i * c1 * d + v) * r * b2 * n + u * n;
            for (size_t alpha = 0; alpha < m; alpha++) {
                const SCALAR *x = ref + ((iv * m + alpha) * b2 + u) * c1 * n, *w = wb + alpha * c1 * r;
                for (size_t j = 0; j < c1; j++) {
                    const SCALAR *xj = x + j * n, *wj = w + j * r, *hj = hb + j * h_block;
                    if (r == 1) {
                        FN(row_error)(xj, wj[0], hj, n, s, &dl, &rl, &dk, &nk);
                        continue;
                    }
                    for (size_t b = 0; b < n; b++) {
                        SCALAR p = 0;
                        for (size_t rho = 0; rho < r; rho++) p += wj[rho] * hj[rho * b2 * n + b];
                        const SCALAR xs = xj[b] * s, e = xs - p * s;
                        dk += ABS2(e);
                        nk += ABS2(xs);
                    }
                }
            }
        }
        diff[k] = dk + dmf_lanes_sum(&dl);
        norm[k] = nk + dmf_lanes_sum(&rl);
    }
    for (size_t k = 0; k < chunks; k++) {
        *diff_sq += diff[k];
        *ref_sq += norm[k];
    }
}

/* T = the product of W and H (ref NULL), or, with ref, only the sums of
 * |scale (ref - W H)|^2 and |scale ref|^2 added to *diff_sq and *ref_sq. */
static void FN(merge)(const dmf_split_geometry *g, const SCALAR *W, const SCALAR *H, SCALAR *T,
                      const SCALAR *ref, double *diff_sq, double *ref_sq, double scale)
{
    /* With ref, the sums are of (scale x)^2: scale is 1, or the power of
     * two that keeps the squares of huge or tiny entries in range. */
    const REAL s = (REAL)scale;
    const size_t m = g->b1, n = g->c2, r = g->rank;
    const size_t C = g->c1 * g->c2, B = g->b1 * g->b2;
    const size_t count = g->a * g->d * g->b2 * g->c1;
    if (ref) {
        double diff = 0, norm = 0;
        FN(chain_error)(g, W, H, ref, s, &diff, &norm);
        if (diff_sq) *diff_sq += diff;
        if (ref_sq) *ref_sq += norm;
        return;
    }
#pragma omp parallel for schedule(static) if (count * m * n > 65536)
    for (size_t blk = 0; blk < count; blk++) {
        size_t j = blk % g->c1, rest = blk / g->c1;
        size_t u = rest % g->b2, iv = rest / g->b2;
        size_t i = iv / g->d, v = iv % g->d;
        const SCALAR *wb = W + (i * g->b2 * g->d + u * g->d + v) * m * g->c1 * r + j * r;
        const SCALAR *hb = H + ((i * g->c1 + j) * g->d + v) * r * g->b2 * n + u * n;
        size_t offset = iv * B * C + u * C + j * n;
        for (size_t alpha = 0; alpha < m; alpha++) {
            SCALAR *out = T + offset + alpha * g->b2 * C;
            for (size_t rho = 0; rho < r; rho++)
                FN(row_axpy)(out, wb[alpha * g->c1 * r + rho], hb + rho * g->b2 * n, n, rho == 0);
            if (r == 0)
                for (size_t b = 0; b < n; b++) out[b] = 0;
        }
    }
}
