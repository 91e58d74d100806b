/* PALM4MSA sweeps for one dtype (instantiated four times by palm4msa.c).
 *
 * One iteration updates every factor once, in the sweep's order, by a
 * projected gradient step on f = ||A - lambda L S_j R||_F^2 / 2 with L and
 * R the products of the factors left and right of S_j:
 *     grad = lambda L^H (lambda L S_j R - A) R^H,
 *     S_j <- P_j(S_j - grad / c),   c = 1.001 lambda^2 ||L||_2^2 ||R||_2^2,
 * c the Lipschitz constant of that gradient (from power iterations, with a
 * margin of 1e-3 because they approach the norm from below), then sets
 * lambda to its least-squares value Re<A, S>/||S||^2 for S = S_0...S_{J-1}.
 *
 * L and R are never formed: the constraint sets make the factors sparse
 * (a few nonzeros per row) while their products are dense, so every
 * product above is a chain of factor products, each factor applied as CSR
 * when it is sparse enough and by BLAS otherwise.  An update then costs
 * O((M + N + d_j) sum_k nnz(S_k)) instead of dense products of M x N
 * matrices with d x d ones. */

/* C = alpha op(A) op(B) + beta C, row-major, op = identity or (with h)
 * the conjugate transpose; A is m x k after op, B k x n. */
static void FN(gemm)(int ha, int hb, size_t m, size_t n, size_t k, SCALAR alpha, const SCALAR *A, const SCALAR *B,
                     SCALAR beta, SCALAR *C)
{
    enum CBLAS_TRANSPOSE ta = ha ? (IS_COMPLEX ? CblasConjTrans : CblasTrans) : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = hb ? (IS_COMPLEX ? CblasConjTrans : CblasTrans) : CblasNoTrans;
    int lda = (int)(ha ? m : k), ldb = (int)(hb ? k : n);
#if DMF_TYPE_ID == 0
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, A, lda, B, ldb, beta, C, (int)n);
#elif DMF_TYPE_ID == 1
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, A, lda, B, ldb, beta, C, (int)n);
#elif DMF_TYPE_ID == 2
    cblas_cgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, &alpha, A, lda, B, ldb, &beta, C, (int)n);
#else
    cblas_zgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, &alpha, A, lda, B, ldb, &beta, C, (int)n);
#endif
}

static double FN(sum_sq)(const SCALAR *x, size_t n)
{
    double s = 0;
    for (size_t e = 0; e < n; e++) s += ABS2(x[e]);
    return s;
}

/* One factor: its dense array (what the steps update and the caller gets
 * back) and, when at most 1/8 of it is nonzero, a CSR copy the products
 * use instead. */
typedef struct {
    size_t rows, cols;
    SCALAR *dense;
    int sparse;
    size_t nnz, capacity;
    size_t *row_ptr, *col;
    SCALAR *val;
} FN(palm_factor);

static void FN(factor_free)(FN(palm_factor) *f)
{
    free(f->row_ptr);
    free(f->col);
    free(f->val);
}

static int FN(factor_sync)(FN(palm_factor) *f)
{
    size_t n = f->rows * f->cols, nnz = 0;
    for (size_t e = 0; e < n; e++) nnz += f->dense[e] != 0;
    f->sparse = nnz * 8 <= n;
    if (!f->sparse) return DMF_OK;
    if (!f->row_ptr) f->row_ptr = malloc((f->rows + 1) * sizeof *f->row_ptr);
    if (nnz > f->capacity || !f->col) {
        free(f->col);
        free(f->val);
        f->capacity = nnz + nnz / 2 + 1;
        f->col = malloc(f->capacity * sizeof *f->col);
        f->val = malloc(f->capacity * sizeof *f->val);
    }
    if (!f->row_ptr || !f->col || !f->val) {
        f->capacity = 0;
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu sparse factor", f->rows, f->cols);
    }
    size_t p = 0;
    for (size_t r = 0; r < f->rows; r++) {
        f->row_ptr[r] = p;
        for (size_t c = 0; c < f->cols; c++) {
            SCALAR v = f->dense[r * f->cols + c];
            if (v != 0) f->col[p] = c, f->val[p++] = v;
        }
    }
    f->row_ptr[f->rows] = p;
    f->nnz = p;
    return DMF_OK;
}

#define PALM_PAR(work) if ((work) > ((size_t)1 << 18))

/* Y (m x cols) = X (m x rows) F */
static void FN(mul_right)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(0, 0, m, b, a, 1, X, F->dense, 0, Y);
        return;
    }
#pragma omp parallel for schedule(static) PALM_PAR(m * F->nnz)
    for (size_t i = 0; i < m; i++) {
        const SCALAR *x = X + i * a;
        SCALAR *y = Y + i * b;
        for (size_t c = 0; c < b; c++) y[c] = 0;
        for (size_t r = 0; r < a; r++) {
            SCALAR xr = x[r];
            if (xr == 0) continue;
            for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) y[F->col[p]] += xr * F->val[p];
        }
    }
}

/* Y (m x rows) = X (m x cols) F^H */
static void FN(mul_right_h)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(0, 1, m, a, b, 1, X, F->dense, 0, Y);
        return;
    }
#pragma omp parallel for schedule(static) PALM_PAR(m * F->nnz)
    for (size_t i = 0; i < m; i++) {
        const SCALAR *x = X + i * b;
        SCALAR *y = Y + i * a;
        for (size_t r = 0; r < a; r++) {
            SCALAR s = 0;
            for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) s += x[F->col[p]] * CONJ(F->val[p]);
            y[r] = s;
        }
    }
}

/* Y (rows x n) = F X, X (cols x n) */
static void FN(mul_left)(const FN(palm_factor) *F, size_t n, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(0, 0, a, n, b, 1, F->dense, X, 0, Y);
        return;
    }
#pragma omp parallel for schedule(static) PALM_PAR(n * F->nnz)
    for (size_t r = 0; r < a; r++) {
        SCALAR *y = Y + r * n;
        for (size_t t = 0; t < n; t++) y[t] = 0;
        for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) {
            const SCALAR v = F->val[p], *x = X + F->col[p] * n;
            for (size_t t = 0; t < n; t++) y[t] += v * x[t];
        }
    }
}

/* Y (cols x n) = F^H X, X (rows x n); the columns of X and Y are split
 * among the threads (rows of Y receive from several rows of F). */
static void FN(mul_left_h)(const FN(palm_factor) *F, size_t n, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(1, 0, b, n, a, 1, F->dense, X, 0, Y);
        return;
    }
    const size_t chunk = 64, chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) PALM_PAR(n * F->nnz)
    for (size_t q = 0; q < chunks; q++) {
        size_t t0 = q * chunk, t1 = t0 + chunk < n ? t0 + chunk : n;
        for (size_t c = 0; c < b; c++)
            for (size_t t = t0; t < t1; t++) Y[c * n + t] = 0;
        for (size_t r = 0; r < a; r++)
            for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) {
                const SCALAR v = CONJ(F->val[p]), *x = X + r * n;
                SCALAR *y = Y + F->col[p] * n;
                for (size_t t = t0; t < t1; t++) y[t] += v * x[t];
            }
    }
}

typedef struct {
    FN(palm_factor) *f;
    SCALAR *p0, *p1, *e; /* chain ping-pong buffers (maxd^2) and the residual (M x N) */
    SCALAR *u0, *u1;     /* vectors of maxd for the power iterations */
    SCALAR **vl, **vr;   /* per factor: the power iterations' vectors for L and R */
} FN(palm_work);

static void FN(palm_work_free)(FN(palm_work) *wk, size_t J)
{
    for (size_t j = 0; wk->f && j < J; j++) FN(factor_free)(&wk->f[j]);
    for (size_t j = 0; wk->vl && j < J; j++) free(wk->vl[j]);
    for (size_t j = 0; wk->vr && j < J; j++) free(wk->vr[j]);
    free(wk->f);
    free(wk->vl);
    free(wk->vr);
    free(wk->p0);
    free(wk->p1);
    free(wk->e);
    free(wk->u0);
    free(wk->u1);
}

static int FN(palm_work_alloc)(FN(palm_work) *wk, size_t J, const size_t *dims, SCALAR *const *S)
{
    const size_t M = dims[0], N = dims[J];
    size_t maxd = 0;
    for (size_t j = 0; j <= J; j++)
        if (dims[j] > maxd) maxd = dims[j];
    memset(wk, 0, sizeof *wk);
    wk->f = calloc(J, sizeof *wk->f);
    wk->vl = calloc(J, sizeof *wk->vl);
    wk->vr = calloc(J, sizeof *wk->vr);
    int ok = wk->f && wk->vl && wk->vr;
    for (size_t j = 0; ok && j < J; j++) {
        wk->f[j].rows = dims[j];
        wk->f[j].cols = dims[j + 1];
        wk->f[j].dense = S[j];
        wk->vl[j] = dmf_alloc(dims[j], sizeof(SCALAR));
        wk->vr[j] = dmf_alloc(dims[j + 1], sizeof(SCALAR));
        ok = wk->vl[j] && wk->vr[j];
    }
    wk->p0 = dmf_alloc(maxd * maxd, sizeof(SCALAR));
    wk->p1 = dmf_alloc(maxd * maxd, sizeof(SCALAR));
    wk->e = dmf_alloc(M * N, sizeof(SCALAR));
    wk->u0 = dmf_alloc(maxd, sizeof(SCALAR));
    wk->u1 = dmf_alloc(maxd, sizeof(SCALAR));
    int status = ok && wk->p0 && wk->p1 && wk->e && wk->u0 && wk->u1
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu factors, %zu x %zu)", J, M, N);
    for (size_t j = 0; status == DMF_OK && j < J; j++) status = FN(factor_sync)(&wk->f[j]);
    if (status != DMF_OK) FN(palm_work_free)(wk, J);
    return status;
}

/* The dense product S_0 ... S_{J-1} (M x N) in one of the ping-pong
 * buffers (or S_0 itself for one factor). */
static const SCALAR *FN(chain_product)(FN(palm_work) *wk, size_t J, size_t M)
{
    const SCALAR *cur = wk->f[0].dense;
    SCALAR *bufs[2] = {wk->p0, wk->p1};
    for (size_t k = 1; k < J; k++) {
        SCALAR *next = bufs[k % 2];
        FN(mul_right)(&wk->f[k], M, cur, next);
        cur = next;
    }
    return cur;
}

/* ||L||_2^2 for L = S_lo ... S_{hi-1} (lo < hi) by power iteration on
 * L^H L (v: the start, cols(S_{hi-1}) values, and the last iterate; a zero
 * v gets a fixed pseudo-random start).  The factors change little from one
 * sweep to the next, so the previous vector needs a few steps only. */
static double FN(chain_norm2_sq)(FN(palm_work) *wk, size_t lo, size_t hi, SCALAR *v, const dmf_palm_options *o)
{
    size_t n = wk->f[hi - 1].cols;
    double nv = sqrt(FN(sum_sq)(v, n)), est = 0;
    if (!(nv > 0)) {
        dmf_rng rng;
        dmf_rng_seed(&rng, 0x9a1b4);
        for (size_t t = 0; t < n; t++) v[t] = (REAL)dmf_rng_normal(&rng);
        nv = sqrt(FN(sum_sq)(v, n));
    }
    for (size_t it = 0; it < o->norm2_max_iter && nv > 0; it++) {
        for (size_t t = 0; t < n; t++) v[t] *= (REAL)(1 / nv);
        const SCALAR *cur = v;
        SCALAR *bufs[2] = {wk->u0, wk->u1};
        int b = 0;
        for (size_t k = hi; k-- > lo;) { /* L v */
            FN(mul_left)(&wk->f[k], 1, cur, bufs[b]);
            cur = bufs[b];
            b ^= 1;
        }
        for (size_t k = lo; k < hi; k++) { /* L^H (L v) */
            SCALAR *dst = k + 1 == hi ? v : bufs[b];
            FN(mul_left_h)(&wk->f[k], 1, cur, dst);
            cur = dst;
            b ^= 1;
        }
        nv = sqrt(FN(sum_sq)(v, n)); /* ||L^H L v|| for a unit v: at most sigma_1^2 */
        int settled = fabs(nv - est) <= o->norm2_threshold * nv;
        est = nv;
        if (settled) break;
    }
    if (!(nv > 0)) memset(v, 0, n * sizeof *v); /* L = 0: start afresh next time */
    return est;
}

/* ||R||_2^2 for R = S_lo ... S_{hi-1} by power iteration on R R^H (v:
 * rows(S_lo) values). */
static double FN(chain_norm2_sq_rows)(FN(palm_work) *wk, size_t lo, size_t hi, SCALAR *v, const dmf_palm_options *o)
{
    size_t n = wk->f[lo].rows;
    double nv = sqrt(FN(sum_sq)(v, n)), est = 0;
    if (!(nv > 0)) {
        dmf_rng rng;
        dmf_rng_seed(&rng, 0x51d3);
        for (size_t t = 0; t < n; t++) v[t] = (REAL)dmf_rng_normal(&rng);
        nv = sqrt(FN(sum_sq)(v, n));
    }
    for (size_t it = 0; it < o->norm2_max_iter && nv > 0; it++) {
        for (size_t t = 0; t < n; t++) v[t] *= (REAL)(1 / nv);
        const SCALAR *cur = v;
        SCALAR *bufs[2] = {wk->u0, wk->u1};
        int b = 0;
        for (size_t k = lo; k < hi; k++) { /* R^H v */
            FN(mul_left_h)(&wk->f[k], 1, cur, bufs[b]);
            cur = bufs[b];
            b ^= 1;
        }
        for (size_t k = hi; k-- > lo;) { /* R (R^H v) */
            SCALAR *dst = k == lo ? v : bufs[b];
            FN(mul_left)(&wk->f[k], 1, cur, dst);
            cur = dst;
            b ^= 1;
        }
        nv = sqrt(FN(sum_sq)(v, n));
        int settled = fabs(nv - est) <= o->norm2_threshold * nv;
        est = nv;
        if (settled) break;
    }
    if (!(nv > 0)) memset(v, 0, n * sizeof *v);
    return est;
}

/* One projected gradient step on S_j. */
static int FN(palm_step)(FN(palm_work) *wk, size_t J, size_t j, const SCALAR *A, size_t M, size_t N,
                         const dmf_constraint *c, double lambda, const dmf_palm_options *o, dmf_dtype dtype)
{
    if (c->kind == DMF_CONS_CONST) return DMF_OK;
    FN(palm_factor) *F = &wk->f[j];
    const size_t a = F->rows, b = F->cols;
    double lip;
    if (o->constant_step_size) {
        lip = 1 / o->step_size;
    } else {
        double nl = j > 0 ? FN(chain_norm2_sq)(wk, 0, j, wk->vl[j], o) : 1;
        double nr = j + 1 < J ? FN(chain_norm2_sq_rows)(wk, j + 1, J, wk->vr[j], o) : 1;
        lip = lambda * lambda * nl * nr * 1.001;
    }
    if (lip > 0 && isfinite(lip)) {
        /* E = lambda S_0...S_{J-1} - A */
        const SCALAR *X = FN(chain_product)(wk, J, M);
        for (size_t t = 0; t < M * N; t++) wk->e[t] = (REAL)lambda * X[t] - A[t];
        /* L^H E: S_{j-1}^H ... S_0^H E, d_j x N */
        const SCALAR *cur = wk->e;
        SCALAR *bufs[2] = {wk->p0, wk->p1};
        int buf = 0;
        for (size_t k = 0; k < j; k++) {
            FN(mul_left_h)(&wk->f[k], N, cur, bufs[buf]);
            cur = bufs[buf];
            buf ^= 1;
        }
        /* (L^H E) R^H: times S_{J-1}^H, ..., S_{j+1}^H; a x b */
        for (size_t k = J; k-- > j + 1;) {
            SCALAR *dst = bufs[buf];
            if (cur == dst) dst = bufs[buf ^= 1];
            FN(mul_right_h)(&wk->f[k], a, cur, dst);
            cur = dst;
            buf ^= 1;
        }
        REAL step = (REAL)(lambda / lip);
        for (size_t t = 0; t < a * b; t++) F->dense[t] -= step * cur[t];
    }
    DMF_TRY(dmf_palm_project(dtype, c, F->dense));
    return FN(factor_sync)(F);
}

static int FN(palm_core)(const SCALAR *A, size_t J, const size_t *dims, SCALAR *const *S,
                         const dmf_constraint *cons, const dmf_palm_options *o, double *lambda_io,
                         dmf_palm_report *rep, dmf_dtype dtype)
{
    const size_t M = dims[0], N = dims[J];
    const int r2l = o->update_right_to_left != 0;
    FN(palm_work) wk;
    DMF_TRY(FN(palm_work_alloc)(&wk, J, dims, S));
    double lambda = *lambda_io, norm_a = sqrt(FN(sum_sq)(A, M * N)), prev = 0;
    int tol_mode = o->stop.tol > 0, status = DMF_OK;
    size_t limit = tol_mode ? o->stop.maxiter : o->stop.num_its, it = 0;
    rep->stopped_by = tol_mode ? DMF_STOP_MAXITER : DMF_STOP_NUM_ITS;
    rep->rel_error = NAN;
    while (status == DMF_OK && it < limit) {
        for (size_t s = 0; status == DMF_OK && s < J; s++) {
            size_t j = r2l ? J - 1 - s : s;
            status = FN(palm_step)(&wk, J, j, A, M, N, &cons[j], lambda, o, dtype);
        }
        if (status != DMF_OK) break;
        /* lambda = Re<A, X> / ||X||^2, then the error with it. */
        const SCALAR *X = FN(chain_product)(&wk, J, M);
        double num = 0, den = 0, err = 0;
        for (size_t t = 0; t < M * N; t++) {
            num += RE(CONJ(X[t]) * A[t]);
            den += ABS2(X[t]);
        }
        if (den > 0) lambda = num / den;
        for (size_t t = 0; t < M * N; t++) {
            SCALAR d = A[t] - (REAL)lambda * X[t];
            err += ABS2(d);
        }
        it++;
        if (!isfinite(err) || !isfinite(lambda)) {
            status = dmf_fail(DMF_ERR_NUMERIC, "PALM diverged at iteration %zu (the error is not finite)", it);
            break;
        }
        err = sqrt(err);
        rep->rel_error = norm_a > 0 ? err / norm_a : err;
        double measured = o->stop.relerr ? rep->rel_error : err;
        if (tol_mode && measured <= o->stop.tol) {
            rep->stopped_by = DMF_STOP_TOL;
            break;
        }
        if (o->stop.erreps > 0 && it > 1 && fabs(prev - measured) <= o->stop.erreps) {
            rep->stopped_by = DMF_STOP_ERREPS;
            break;
        }
        prev = measured;
    }
    FN(palm_work_free)(&wk, J);
    rep->iterations = it;
    rep->lambda = lambda;
    *lambda_io = lambda;
    return status;
}

static int FN(palm_core_entry)(const void *a, size_t J, const size_t *dims, void *const *S,
                               const dmf_constraint *cons, const dmf_palm_options *o, double *lambda,
                               dmf_palm_report *rep, dmf_dtype dtype)
{
    return FN(palm_core)(a, J, dims, (SCALAR *const *)S, cons, o, lambda, rep, dtype);
}

#undef PALM_PAR
