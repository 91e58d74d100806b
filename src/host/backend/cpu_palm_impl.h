/* The CPU's PALM kernels for one dtype (instantiated four times by
 * cpu_palm.c): the entries of the CPU's dmf_palm_kernels on the typed
 * arrays.  The host side of PALM (src/host/palm) decides which of them
 * runs; these only do the work. */

#include "cpu_palm_factor_impl.h"

/* The CPU's copy of a factor (dmf_palm_factor.csr). */
static FN(palm_factor) *FN(typed)(const dmf_palm_factor *f)
{
    return f->csr;
}

/* The counts the host chooses its products by, after a sync. */
static void FN(publish)(dmf_palm_factor *g)
{
    const FN(palm_factor) *f = g->csr;
    g->sparse = f->sparse;
    g->nnz = f->sparse ? f->nnz : 0;
    g->row_sq = g->col_sq = 0;
    if (!f->sparse) return;
    for (size_t r = 0; r < f->rows; r++) g->row_sq += (f->row_ptr[r + 1] - f->row_ptr[r]) * (f->row_ptr[r + 1] - f->row_ptr[r]);
    for (size_t c = 0; c < f->cols; c++) g->col_sq += (f->adj_ptr[c + 1] - f->adj_ptr[c]) * (f->adj_ptr[c + 1] - f->adj_ptr[c]);
}

static int FN(cpu_factor_sync)(dmf_palm_factor *g)
{
    if (!g->csr) {
        g->csr = calloc(1, sizeof(FN(palm_factor)));
        if (!g->csr) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a PALM factor");
    }
    FN(palm_factor) *f = g->csr;
    f->rows = g->rows, f->cols = g->cols, f->dense = g->dense;
    DMF_TRY(FN(factor_sync)(f));
    FN(publish)(g);
    return DMF_OK;
}

static void FN(cpu_factor_free)(dmf_palm_factor *g)
{
    if (g->csr) FN(factor_free)(g->csr);
    free(g->csr);
    g->csr = NULL;
}

/* Y = f[count-1] ... f[0] X (adjoint: with every f[s]^H), all CSR.  Each
 * block of columns goes through the whole chain while it stays in cache,
 * instead of every factor streaming the whole array through memory. */
static void FN(cpu_csr_chain)(cpu_palm_ws *ws, const dmf_palm_factor *const *f, size_t steps, int herm,
                              const SCALAR *X, SCALAR *Y, size_t n)
{
    const size_t B = ws->block, blocks = (n + B - 1) / B, maxd = ws->maxd;
#pragma omp parallel for schedule(dynamic) if (blocks > 1 && n * steps * maxd >= ((size_t)1 << 22))
    for (size_t q = 0; q < blocks; q++) {
        SCALAR *buf[2];
        buf[0] = (SCALAR *)ws->blk + (size_t)omp_get_thread_num() * 2 * maxd * B;
        buf[1] = buf[0] + maxd * B;
        const size_t t0 = q * B, w = n - t0 < B ? n - t0 : B;
        const SCALAR *cur = X + t0;
        size_t ld = n;
        for (size_t s = 0; s < steps; s++) {
            const FN(palm_factor) *F = FN(typed)(f[s]);
            int last = s + 1 == steps;
            SCALAR *dst = last ? Y + t0 : buf[s % 2];
            size_t ldd = last ? n : B;
            if (herm) FN(csr_left_h)(F, cur, ld, dst, ldd, 0, w);
            else FN(csr_left)(F, cur, ld, dst, ldd, 0, w);
            cur = dst;
            ld = ldd;
        }
    }
}

/* G = L^H (lambda L S_j Q - W) (rows x cols of S_j) from the right caches
 * Q and W^H (palm_impl.h), S_0 ... S_j = f[0] ... f[j] all CSR: each block
 * of columns of Q goes through S_j, ..., S_0, the difference with W and
 * S_0^H, ..., S_{j-1}^H while it stays in cache. */
static void FN(cpu_gradient_right)(cpu_palm_ws *ws, const dmf_palm_factor *const *f, size_t j, REAL lambda,
                                   const SCALAR *Q, const SCALAR *WH, SCALAR *G)
{
    const size_t B = ws->block, n = f[j]->cols, M = f[0]->rows, blocks = (n + B - 1) / B, maxd = ws->maxd;
#pragma omp parallel for schedule(dynamic) if (blocks > 1 && n * (j + 1) * maxd >= ((size_t)1 << 22))
    for (size_t q = 0; q < blocks; q++) {
        SCALAR *buf[2];
        buf[0] = (SCALAR *)ws->blk + (size_t)omp_get_thread_num() * 2 * maxd * B;
        buf[1] = buf[0] + maxd * B;
        const size_t t0 = q * B, w = n - t0 < B ? n - t0 : B;
        const SCALAR *cur = Q + t0;
        size_t ld = n, at = 0;
        for (size_t k = j + 1; k-- > 0;) { /* L S_j Q */
            FN(csr_left)(FN(typed)(f[k]), cur, ld, buf[at], B, 0, w);
            cur = buf[at];
            ld = B;
            at ^= 1;
        }
        SCALAR *z = buf[at ^ 1]; /* lambda L S_j Q - W, in place; W's columns are rows of W^H */
        for (size_t t = 0; t < w; t++) {
            const SCALAR *wh = WH + (t0 + t) * M;
            for (size_t i = 0; i < M; i++) z[i * B + t] = lambda * z[i * B + t] - CONJ(wh[i]);
        }
        if (j == 0) {
            for (size_t i = 0; i < M; i++) memcpy(G + i * n + t0, z + i * B, w * sizeof *z);
            continue;
        }
        for (size_t k = 0; k < j; k++) { /* L^H (...) */
            int last = k + 1 == j;
            SCALAR *dst = last ? G + t0 : buf[at];
            FN(csr_left_h)(FN(typed)(f[k]), cur, B, dst, last ? n : B, 0, w);
            cur = dst;
            at ^= 1;
        }
    }
}

/* y = F^H F x (by_rows: F F^H x); ft = F^H for a dense F by rows. */
static void FN(cpu_gram_vec)(const dmf_palm_factor *g, int by_rows, const SCALAR *ft, const SCALAR *x, SCALAR *y)
{
    const FN(palm_factor) *F = FN(typed)(g);
    if (F->sparse) FN(gram_vec_sparse)(F, by_rows, x, y);
    else if (by_rows) FN(gram_vec_dense)(ft, F->cols, F->rows, x, y);
    else FN(gram_vec_dense)(F->dense, F->rows, F->cols, x, y);
}

static void FN(cpu_scale)(SCALAR *x, size_t n, double factor)
{
    const REAL f = (REAL)factor;
    for (size_t t = 0; t < n; t++) x[t] *= f;
}

/* E (rows x cols) = lambda Y - Z^H by tiles, Z (cols x rows) read by rows. */
static void FN(cpu_sub_adjoint)(size_t rows, size_t cols, double lambda, const SCALAR *Y, const SCALAR *Z, SCALAR *E)
{
    const REAL lam = (REAL)lambda;
    enum { T = 16 };
    for (size_t i0 = 0; i0 < rows; i0 += T)
        for (size_t t = 0; t < cols; t++) {
            const SCALAR *z = Z + t * rows;
            for (size_t i = i0; i < i0 + T && i < rows; i++) E[i * cols + t] = lam * Y[i * cols + t] - CONJ(z[i]);
        }
}

static void FN(cpu_sub)(size_t n, double lambda, const SCALAR *X, const SCALAR *A, SCALAR *E)
{
    const REAL lam = (REAL)lambda;
    for (size_t t = 0; t < n; t++) E[t] = lam * X[t] - A[t];
}

/* lambda = Re<A, X> / ||X||^2, then the error with it. */
static void FN(cpu_fit)(size_t n, const SCALAR *X, const SCALAR *A, double lambda, double *lambda_out, double *err_out)
{
    double num = 0, den = 0, err = 0;
    for (size_t t = 0; t < n; t++) {
        num += RE(CONJ(X[t]) * A[t]);
        den += ABS2(X[t]);
    }
    if (den > 0) lambda = num / den;
    for (size_t t = 0; t < n; t++) {
        SCALAR d = A[t] - (REAL)lambda * X[t];
        err += ABS2(d);
    }
    *lambda_out = lambda;
    *err_out = err;
}

/* x -= step g, the projection of a constraint other than the sparsity
 * ones, the CSR copy. */
static int FN(cpu_step_project)(cpu_palm_ws *ws, const dmf_constraint *c, dmf_palm_factor *g, double step,
                                const SCALAR *G)
{
    FN(palm_factor) *F = FN(typed)(g);
    const size_t n = F->rows * F->cols;
    const REAL st = (REAL)step;
    for (size_t t = 0; G && t < n; t++) F->dense[t] -= st * G[t];
    DMF_TRY(dmf_palm_project_ws(ws->dtype, c, F->dense, &ws->proj));
    DMF_TRY(FN(factor_sync)(F));
    FN(publish)(g);
    return DMF_OK;
}

/* The sparsity projections: the step and the magnitudes in one pass, the
 * support, then the mask, the CSR copy and the norm in another. */
static int FN(cpu_step_project_sparse)(cpu_palm_ws *ws, const dmf_constraint *c, dmf_palm_factor *g, double step,
                                       const SCALAR *G)
{
    FN(palm_factor) *F = FN(typed)(g);
    const size_t n = F->rows * F->cols;
    const REAL st = (REAL)step;
    DMF_TRY(dmf_palm_support_begin(c, &ws->proj));
    double *mag = ws->proj.mag;
    SCALAR *x = F->dense;
    if (G) {
#pragma omp parallel for schedule(static) if (n >= ((size_t)1 << 22))
        for (size_t t = 0; t < n; t++) {
            x[t] -= st * G[t];
            mag[t] = ABS2(x[t]);
        }
    } else {
        for (size_t t = 0; t < n; t++) mag[t] = ABS2(x[t]);
    }
    dmf_palm_support_end(c, ws->dtype, &ws->proj);
    DMF_TRY(FN(factor_mask_sync)(F, ws->proj.keep, c->normalized));
    FN(publish)(g);
    return DMF_OK;
}
