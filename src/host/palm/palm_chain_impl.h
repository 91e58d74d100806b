/* The work space of one PALM run, the chains of factor products and the
 * spectral norms of L and R (for one dtype; included by palm_impl.h). */

typedef struct {
    FN(palm_factor) *f;
    SCALAR *pool[2];     /* chain ping-pong buffers (maxd^2, maxd the largest of M, N and the inner sizes) */
    SCALAR *e;           /* lambda X - A, or its cached counterpart (maxd^2) */
    SCALAR *w, *q, *t;   /* the sweep's caches (palm_impl.h) and a buffer to update them; J >= 3 only */
    SCALAR *ah;          /* A^H (N x M) for the right caches, made on first use */
    SCALAR **stack_w, **stack_q; /* per factor, the caches of a sweep that ends at the densest factor */
    const SCALAR *x;     /* S_0 ... S_{J-1} while it is current (palm_impl.h), or NULL */
    SCALAR *s[2];        /* the transposes of right products (maxd^2) */
    SCALAR *blk;         /* per thread, two maxd x block buffers of the blocked chains */
    size_t maxd, block;
    SCALAR *u0, *u1;     /* vectors of maxd for the power iterations */
    SCALAR **vl, **vr;   /* per factor: the power iterations' vectors for L and R */
    dmf_palm_proj_ws proj;
} FN(palm_work);

static void FN(palm_work_free)(FN(palm_work) *wk, size_t J)
{
    for (size_t j = 0; wk->f && j < J; j++) FN(factor_free)(&wk->f[j]);
    for (size_t j = 0; wk->vl && j < J; j++) free(wk->vl[j]);
    for (size_t j = 0; wk->vr && j < J; j++) free(wk->vr[j]);
    free(wk->f);
    free(wk->vl);
    free(wk->vr);
    free(wk->pool[0]);
    free(wk->pool[1]);
    free(wk->e);
    free(wk->w);
    free(wk->q);
    free(wk->t);
    free(wk->ah);
    for (size_t j = 0; wk->stack_w && j < J; j++) free(wk->stack_w[j]);
    for (size_t j = 0; wk->stack_q && j < J; j++) free(wk->stack_q[j]);
    free(wk->stack_w);
    free(wk->stack_q);
    free(wk->s[0]);
    free(wk->s[1]);
    free(wk->blk);
    free(wk->u0);
    free(wk->u1);
    dmf_palm_proj_ws_free(&wk->proj);
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
    const size_t big = maxd * maxd;
    wk->pool[0] = malloc(big * sizeof(SCALAR));
    wk->pool[1] = malloc(big * sizeof(SCALAR));
    wk->e = malloc(big * sizeof(SCALAR));
    wk->s[0] = malloc(big * sizeof(SCALAR));
    wk->s[1] = malloc(big * sizeof(SCALAR));
    /* two maxd x block buffers in about 1 MiB (L2), blocks of 8 to 64 columns */
    wk->maxd = maxd;
    wk->block = ((size_t)1 << 19) / (maxd * sizeof(SCALAR)) / 8 * 8;
    if (wk->block < 8) wk->block = 8;
    if (wk->block > 64) wk->block = 64;
    wk->blk = malloc((size_t)omp_get_max_threads() * 2 * maxd * wk->block * sizeof(SCALAR));
    ok = ok && wk->s[0] && wk->s[1] && wk->blk;
    if (J >= 3) {
        wk->w = malloc(big * sizeof(SCALAR));
        wk->q = malloc(big * sizeof(SCALAR));
        wk->t = malloc(big * sizeof(SCALAR));
        ok = ok && wk->w && wk->q && wk->t;
    }
    wk->u0 = dmf_alloc(maxd, sizeof(SCALAR));
    wk->u1 = dmf_alloc(maxd, sizeof(SCALAR));
    int status = ok && wk->pool[0] && wk->pool[1] && wk->e && wk->u0 && wk->u1
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu factors, %zu x %zu)", J, M, N);
    for (size_t j = 0; status == DMF_OK && j < J; j++) status = FN(factor_sync)(&wk->f[j]);
    if (status != DMF_OK) FN(palm_work_free)(wk, J);
    return status;
}

/* The pool buffer that is not `cur`: a chain writes each product there. */
static SCALAR *FN(other)(FN(palm_work) *wk, const SCALAR *cur)
{
    return wk->pool[0] == cur ? wk->pool[1] : wk->pool[0];
}

static int FN(all_sparse)(const FN(palm_work) *wk, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++)
        if (!wk->f[k].sparse) return 0;
    return 1;
}

/* Y = S_lo ... S_{hi-1} X (herm: (S_lo ... S_{hi-1})^H X), X and Y with n
 * columns, all factors CSR.  Each block of columns goes through the whole
 * chain while it stays in cache, instead of every factor streaming the
 * whole array through memory. */
static void FN(chain_left_blocked)(FN(palm_work) *wk, size_t lo, size_t hi, int herm, const SCALAR *X, SCALAR *Y,
                                   size_t n)
{
    const size_t B = wk->block, blocks = (n + B - 1) / B, steps = hi - lo;
#pragma omp parallel for schedule(dynamic) if (blocks > 1 && n * steps * wk->maxd >= ((size_t)1 << 22))
    for (size_t q = 0; q < blocks; q++) {
        SCALAR *buf[2];
        buf[0] = wk->blk + (size_t)omp_get_thread_num() * 2 * wk->maxd * B;
        buf[1] = buf[0] + wk->maxd * B;
        const size_t t0 = q * B, w = n - t0 < B ? n - t0 : B;
        const SCALAR *cur = X + t0;
        size_t ld = n;
        for (size_t s = 0; s < steps; s++) {
            const FN(palm_factor) *F = &wk->f[herm ? lo + s : hi - 1 - s];
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
 * Q and W (palm_impl.h), S_0 ... S_j all CSR: each block of columns of Q
 * goes through S_j, ..., S_0, the difference with W and S_0^H, ...,
 * S_{j-1}^H while it stays in cache. */
static void FN(gradient_right_blocked)(FN(palm_work) *wk, size_t j, REAL lambda, SCALAR *G)
{
    const size_t B = wk->block, n = wk->f[j].cols, M = wk->f[0].rows, blocks = (n + B - 1) / B;
#pragma omp parallel for schedule(dynamic) if (blocks > 1 && n * (j + 1) * wk->maxd >= ((size_t)1 << 22))
    for (size_t q = 0; q < blocks; q++) {
        SCALAR *buf[2];
        buf[0] = wk->blk + (size_t)omp_get_thread_num() * 2 * wk->maxd * B;
        buf[1] = buf[0] + wk->maxd * B;
        const size_t t0 = q * B, w = n - t0 < B ? n - t0 : B;
        const SCALAR *cur = wk->q + t0;
        size_t ld = n, at = 0;
        for (size_t k = j + 1; k-- > 0;) { /* L S_j Q */
            FN(csr_left)(&wk->f[k], cur, ld, buf[at], B, 0, w);
            cur = buf[at];
            ld = B;
            at ^= 1;
        }
        SCALAR *z = buf[at ^ 1]; /* lambda L S_j Q - W, in place; W's columns are rows of W^H */
        for (size_t t = 0; t < w; t++) {
            const SCALAR *wh = wk->w + (t0 + t) * M;
            for (size_t i = 0; i < M; i++) z[i * B + t] = lambda * z[i * B + t] - CONJ(wh[i]);
        }
        if (j == 0) {
            for (size_t i = 0; i < M; i++) memcpy(G + i * n + t0, z + i * B, w * sizeof *z);
            continue;
        }
        for (size_t k = 0; k < j; k++) { /* L^H (...) */
            int last = k + 1 == j;
            SCALAR *dst = last ? G + t0 : buf[at];
            FN(csr_left_h)(&wk->f[k], cur, B, dst, last ? n : B, 0, w);
            cur = dst;
            at ^= 1;
        }
    }
}

/* S_lo ... S_{hi-1} X, X cols(S_{hi-1}) x n (X itself when lo == hi). */
static const SCALAR *FN(chain_left)(FN(palm_work) *wk, size_t lo, size_t hi, const SCALAR *X, size_t n)
{
    if (hi > lo + 1 && FN(all_sparse)(wk, lo, hi)) {
        SCALAR *dst = FN(other)(wk, X);
        FN(chain_left_blocked)(wk, lo, hi, 0, X, dst, n);
        return dst;
    }
    for (size_t k = hi; k-- > lo;) {
        SCALAR *dst = FN(other)(wk, X);
        FN(mul_left)(&wk->f[k], n, X, dst);
        X = dst;
    }
    return X;
}

/* (S_lo ... S_{hi-1})^H X, X rows(S_lo) x n. */
static const SCALAR *FN(chain_left_h)(FN(palm_work) *wk, size_t lo, size_t hi, const SCALAR *X, size_t n)
{
    if (hi > lo + 1 && FN(all_sparse)(wk, lo, hi)) {
        SCALAR *dst = FN(other)(wk, X);
        FN(chain_left_blocked)(wk, lo, hi, 1, X, dst, n);
        return dst;
    }
    for (size_t k = lo; k < hi; k++) {
        SCALAR *dst = FN(other)(wk, X);
        FN(mul_left_h)(&wk->f[k], n, X, dst);
        X = dst;
    }
    return X;
}

/* Right chains of CSR factors as left chains of the transposes:
 * X S_lo ... S_{hi-1} = ((S_lo ... S_{hi-1})^H X^H)^H, and
 * X (S_lo ... S_{hi-1})^H = (S_lo ... S_{hi-1} X^H)^H, when there are
 * several factors or one with enough nonzeros per row. */
static int FN(right_by_left)(const FN(palm_work) *wk, size_t lo, size_t hi)
{
    return hi > lo && FN(all_sparse)(wk, lo, hi) && (hi > lo + 1 || FN(right_via_transpose)(&wk->f[lo], wk->s));
}

/* X S_lo ... S_{hi-1}, X m x rows(S_lo). */
static const SCALAR *FN(chain_right)(FN(palm_work) *wk, size_t lo, size_t hi, const SCALAR *X, size_t m)
{
    if (FN(right_by_left)(wk, lo, hi)) {
        SCALAR *dst = FN(other)(wk, X);
        FN(transpose_h)(m, wk->f[lo].rows, X, wk->s[0]);
        FN(chain_left_blocked)(wk, lo, hi, 1, wk->s[0], wk->s[1], m);
        FN(transpose_h)(wk->f[hi - 1].cols, m, wk->s[1], dst);
        return dst;
    }
    for (size_t k = lo; k < hi; k++) {
        SCALAR *dst = FN(other)(wk, X);
        FN(mul_right)(&wk->f[k], m, X, dst, wk->s);
        X = dst;
    }
    return X;
}

/* X (S_lo ... S_{hi-1})^H, X m x cols(S_{hi-1}). */
static const SCALAR *FN(chain_right_h)(FN(palm_work) *wk, size_t lo, size_t hi, const SCALAR *X, size_t m)
{
    if (FN(right_by_left)(wk, lo, hi)) {
        SCALAR *dst = FN(other)(wk, X);
        FN(transpose_h)(m, wk->f[hi - 1].cols, X, wk->s[0]);
        FN(chain_left_blocked)(wk, lo, hi, 0, wk->s[0], wk->s[1], m);
        FN(transpose_h)(wk->f[lo].rows, m, wk->s[1], dst);
        return dst;
    }
    for (size_t k = hi; k-- > lo;) {
        SCALAR *dst = FN(other)(wk, X);
        FN(mul_right_h)(&wk->f[k], m, X, dst, wk->s);
        X = dst;
    }
    return X;
}

/* What applying S_k to one dense vector costs, in multiply-adds. */
static size_t FN(factor_cost)(const FN(palm_factor) *f)
{
    return f->sparse ? f->nnz : f->rows * f->cols;
}

static size_t FN(densest)(const FN(palm_work) *wk, size_t J)
{
    size_t m = 0;
    for (size_t k = 1; k < J; k++)
        if (FN(factor_cost)(&wk->f[k]) > FN(factor_cost)(&wk->f[m])) m = k;
    return m;
}

/* The dense product S_0 ... S_{J-1} (M x N), in a pool buffer or S_0
 * itself for one factor.  It starts from the densest factor's own array
 * and multiplies the others onto it, so that factor (the residual of a
 * hierarchical step, up to half dense) is never applied to a dense matrix. */
static const SCALAR *FN(chain_product)(FN(palm_work) *wk, size_t J, size_t N)
{
    size_t m = FN(densest)(wk, J);
    const SCALAR *cur = FN(chain_right)(wk, m + 1, J, wk->f[m].dense, wk->f[m].rows);
    return FN(chain_left)(wk, 0, m, cur, N);
}

/* cur through C = S_lo ... S_{hi-1} (adjoint: through C^H), alternating
 * between wk->u0 and wk->u1 from *b; the last product goes to `out` when it
 * is not NULL.  Returns where the result is. */
static const SCALAR *FN(chain_pass)(FN(palm_work) *wk, size_t lo, size_t hi, int adjoint, const SCALAR *cur, int *b,
                                    SCALAR *out)
{
    SCALAR *bufs[2] = {wk->u0, wk->u1};
    for (size_t t = 0; t < hi - lo; t++) {
        size_t k = adjoint ? lo + t : hi - 1 - t;
        SCALAR *dst = out && t + 1 == hi - lo ? out : bufs[*b];
        FN(mul_vec)(&wk->f[k], adjoint, cur, dst);
        cur = dst;
        *b ^= 1;
    }
    return cur;
}

/* ||C||_2^2 for C = S_lo ... S_{hi-1} (lo < hi) by power iteration on
 * C^H C (v: cols(S_{hi-1}) values), or on C C^H when by_rows (v:
 * rows(S_lo) values); v is the start and the last iterate, a zero v gets a
 * fixed pseudo-random start.  The factors change little from one sweep to
 * the next, so the previous vector needs a few steps only. */
static double FN(chain_norm2_sq)(FN(palm_work) *wk, size_t lo, size_t hi, int by_rows, SCALAR *v,
                                 const dmf_palm_options *o)
{
    size_t n = by_rows ? wk->f[lo].rows : wk->f[hi - 1].cols;
    double nv = sqrt(FN(sum_sq)(v, n)), est = 0;
    if (!(nv > 0)) {
        dmf_rng rng;
        dmf_rng_seed(&rng, by_rows ? 0x51d3 : 0x9a1b4);
        for (size_t t = 0; t < n; t++) v[t] = (REAL)dmf_rng_normal(&rng);
        nv = sqrt(FN(sum_sq)(v, n));
    }
    /* One factor: C^H C v (C C^H v) in one pass over it, through a
     * transposed copy for C C^H of a dense C. */
    const FN(palm_factor) *F = &wk->f[lo];
    const int one = hi == lo + 1, dense_t = one && !F->sparse && by_rows;
    if (dense_t) FN(transpose_h)(F->rows, F->cols, F->dense, wk->s[0]);
    for (size_t it = 0; it < o->norm2_max_iter && nv > 0; it++) {
        for (size_t t = 0; t < n; t++) v[t] *= (REAL)(1 / nv);
        if (one) {
            if (F->sparse) FN(gram_vec_sparse)(F, by_rows, v, wk->u0);
            else if (dense_t) FN(gram_vec_dense)(wk->s[0], F->cols, F->rows, v, wk->u0);
            else FN(gram_vec_dense)(F->dense, F->rows, F->cols, v, wk->u0);
            memcpy(v, wk->u0, n * sizeof *v);
        } else {
            int b = 0;
            const SCALAR *half = FN(chain_pass)(wk, lo, hi, by_rows, v, &b, NULL); /* C v, or C^H v */
            FN(chain_pass)(wk, lo, hi, !by_rows, half, &b, v);                      /* then the other */
        }
        nv = sqrt(FN(sum_sq)(v, n)); /* ||C^H C v|| for a unit v: at most sigma_1^2 */
        int settled = fabs(nv - est) <= o->norm2_threshold * nv;
        est = nv;
        if (settled) break;
    }
    if (!(nv > 0)) memset(v, 0, n * sizeof *v); /* C = 0: start afresh next time */
    return est;
}
