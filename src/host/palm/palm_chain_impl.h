/* The work space of one PALM run, the chains of factor products and the
 * spectral norms of L and R (included by palm_impl.h).  The arrays are the
 * backend's memory; every product and every pass over them is an entry of
 * the backend's PALM kernels (palm_kernels.h), called through K(). */

typedef struct {
    const dmf_backend *be;
    const dmf_palm_kernels *k;
    void *ws;            /* the kernels' work space for the run */
    dmf_dtype dtype;
    int status;          /* the first failure of an entry; the entries after it are skipped */
    dmf_palm_factor *f;
    void *pool[2];       /* chain ping-pong buffers (maxd^2, maxd the largest of M, N and the inner sizes) */
    void *e;             /* lambda X - A, or its cached counterpart (maxd^2) */
    void *w, *q, *t;     /* the sweep's caches (palm_impl.h) and a buffer to update them; J >= 3 only */
    void *ah;            /* A^H (N x M) for the right caches, made on first use */
    void **stack_w, **stack_q; /* per factor, the caches of a sweep that ends at the densest factor */
    const void *x;       /* S_0 ... S_{J-1} while it is current (palm_impl.h), or NULL */
    void *s[2];          /* the transposes of right products (maxd^2) */
    size_t maxd;
    void *u0, *u1;       /* vectors of maxd for the power iterations */
    void **vl, **vr;     /* per factor: the power iterations' vectors for L and R */
    const dmf_palm_factor **chain; /* a chain's factors in the order they are applied */
} palm_work;

/* Runs a kernel of the table unless one failed before. */
#define K(wk, entry, ...) \
    ((wk)->status == DMF_OK ? (void)((wk)->status = (wk)->k->entry((wk)->ws, __VA_ARGS__)) : (void)0)

static void *palm_buffer(palm_work *wk, size_t values, size_t elem)
{
    void *p = NULL;
    if (wk->status == DMF_OK) wk->status = wk->be->mem_alloc(&p, (values ? values : 1) * elem);
    return p;
}

static void palm_work_free(palm_work *wk, size_t J)
{
    void (*mfree)(void *) = wk->be->mem_free;
    for (size_t j = 0; wk->f && j < J; j++)
        if (wk->ws) wk->k->factor_free(wk->ws, &wk->f[j]);
    for (size_t j = 0; wk->vl && j < J; j++) mfree(wk->vl[j]);
    for (size_t j = 0; wk->vr && j < J; j++) mfree(wk->vr[j]);
    free(wk->f);
    free(wk->vl);
    free(wk->vr);
    free(wk->chain);
    void *bufs[] = {wk->pool[0], wk->pool[1], wk->e, wk->w, wk->q, wk->t, wk->ah, wk->s[0], wk->s[1], wk->u0, wk->u1};
    for (size_t b = 0; b < sizeof bufs / sizeof bufs[0]; b++) mfree(bufs[b]);
    for (size_t j = 0; wk->stack_w && j < J; j++) mfree(wk->stack_w[j]);
    for (size_t j = 0; wk->stack_q && j < J; j++) mfree(wk->stack_q[j]);
    free(wk->stack_w);
    free(wk->stack_q);
    wk->k->end(wk->ws);
}

/* The factors' dense arrays S[j] are the backend's memory. */
static int palm_work_alloc(palm_work *wk, const dmf_backend *be, dmf_dtype dtype, size_t J, const size_t *dims,
                           void *const *S)
{
    const size_t M = dims[0], N = dims[J], elem = dmf_dtype_size(dtype);
    size_t maxd = 0;
    for (size_t j = 0; j <= J; j++)
        if (dims[j] > maxd) maxd = dims[j];
    memset(wk, 0, sizeof *wk);
    wk->be = be;
    wk->k = be->palm;
    wk->dtype = dtype;
    wk->maxd = maxd;
    wk->f = calloc(J, sizeof *wk->f);
    wk->vl = calloc(J, sizeof *wk->vl);
    wk->vr = calloc(J, sizeof *wk->vr);
    wk->chain = calloc(J, sizeof *wk->chain);
    if (!wk->f || !wk->vl || !wk->vr || !wk->chain)
        wk->status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu factors)", J);
    if (wk->status == DMF_OK) wk->status = wk->k->begin(dtype, maxd, &wk->ws);
    for (size_t j = 0; wk->status == DMF_OK && j < J; j++) {
        wk->f[j].rows = dims[j];
        wk->f[j].cols = dims[j + 1];
        wk->f[j].dense = S[j];
        wk->vl[j] = palm_buffer(wk, dims[j], elem);
        wk->vr[j] = palm_buffer(wk, dims[j + 1], elem);
        K(wk, zero, wk->vl[j], dims[j]); /* a zero vector: a fixed start, chain_norm2_sq */
        K(wk, zero, wk->vr[j], dims[j + 1]);
    }
    const size_t big = maxd * maxd;
    wk->pool[0] = palm_buffer(wk, big, elem);
    wk->pool[1] = palm_buffer(wk, big, elem);
    wk->e = palm_buffer(wk, big, elem);
    wk->s[0] = palm_buffer(wk, big, elem);
    wk->s[1] = palm_buffer(wk, big, elem);
    if (J >= 3) {
        wk->w = palm_buffer(wk, big, elem);
        wk->q = palm_buffer(wk, big, elem);
        wk->t = palm_buffer(wk, big, elem);
    }
    wk->u0 = palm_buffer(wk, maxd, elem);
    wk->u1 = palm_buffer(wk, maxd, elem);
    for (size_t j = 0; j < J; j++) K(wk, factor_sync, &wk->f[j]);
    int status = wk->status;
    if (status != DMF_OK) {
        if (status == DMF_ERR_NOMEM)
            dmf_fail_context(status, "the PALM work space (%zu factors, %zu x %zu)", J, M, N);
        palm_work_free(wk, J);
    }
    return status;
}

/* The pool buffer that is not `cur`: a chain writes each product there. */
static void *palm_other(palm_work *wk, const void *cur)
{
    return wk->pool[0] == cur ? wk->pool[1] : wk->pool[0];
}

static int all_sparse(const palm_work *wk, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++)
        if (!wk->f[k].sparse) return 0;
    return 1;
}

/* Y (rows x n) = F X, X (cols x n): BLAS for a dense F, CSR otherwise. */
static void mul_left(palm_work *wk, const dmf_palm_factor *F, size_t n, const void *X, void *Y)
{
    if (!F->sparse) K(wk, gemm, 0, 0, F->rows, n, F->cols, F->dense, X, Y);
    else K(wk, csr_mul, F, 0, n, X, Y);
}

/* Y (cols x n) = F^H X, X (rows x n). */
static void mul_left_h(palm_work *wk, const dmf_palm_factor *F, size_t n, const void *X, void *Y)
{
    if (!F->sparse) K(wk, gemm, 1, 0, F->cols, n, F->rows, F->dense, X, Y);
    else K(wk, csr_mul, F, 1, n, X, Y);
}

/* Whether a product by F on the right goes through transposes (tmp, two
 * arrays of max(rows, cols) x m): from about four nonzeros per row the
 * vectorized left kernels beat the gather or scatter per entry that a
 * right product needs, and the two transposes cost O(m (rows + cols)). */
static int right_via_transpose(const dmf_palm_factor *F, void *const *tmp)
{
    return tmp && F->nnz >= 4 * (F->rows > F->cols ? F->rows : F->cols);
}

/* Y (m x cols) = X (m x rows) F */
static void mul_right(palm_work *wk, const dmf_palm_factor *F, size_t m, const void *X, void *Y, void *const *tmp)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        K(wk, gemm, 0, 0, m, b, a, X, F->dense, Y);
    } else if (right_via_transpose(F, tmp)) { /* Y^H = F^H X^H */
        K(wk, transpose_h, m, a, X, tmp[0]);
        K(wk, csr_mul, F, 1, m, tmp[0], tmp[1]);
        K(wk, transpose_h, b, m, tmp[1], Y);
    } else {
        K(wk, csr_mul_right, F, 0, m, X, Y);
    }
}

/* Y (m x rows) = X (m x cols) F^H */
static void mul_right_h(palm_work *wk, const dmf_palm_factor *F, size_t m, const void *X, void *Y, void *const *tmp)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        K(wk, gemm, 0, 1, m, a, b, X, F->dense, Y);
    } else if (right_via_transpose(F, tmp)) { /* Y^H = F X^H */
        K(wk, transpose_h, m, b, X, tmp[0]);
        K(wk, csr_mul, F, 0, m, tmp[0], tmp[1]);
        K(wk, transpose_h, a, m, tmp[1], Y);
    } else {
        K(wk, csr_mul_right, F, 1, m, X, Y);
    }
}

/* Whether gram() beats the product with a dense copy (scattered
 * multiply-adds cost about four vectorized ones). */
static int gram_pays(const dmf_palm_factor *F, int adjoint)
{
    if (!F->sparse) return 0;
    return 4 * (adjoint ? F->row_sq : F->col_sq) < F->nnz * (adjoint ? F->cols : F->rows);
}

/* Y = S_lo ... S_{hi-1} X (herm: (S_lo ... S_{hi-1})^H X), all factors
 * CSR, by the backend's blocked chain. */
static void chain_csr(palm_work *wk, size_t lo, size_t hi, int herm, const void *X, void *Y, size_t n)
{
    for (size_t s = 0; s < hi - lo; s++) wk->chain[s] = &wk->f[herm ? lo + s : hi - 1 - s];
    K(wk, csr_chain, wk->chain, hi - lo, herm, X, Y, n);
}

/* S_lo ... S_{hi-1} X, X cols(S_{hi-1}) x n (X itself when lo == hi). */
static const void *chain_left(palm_work *wk, size_t lo, size_t hi, const void *X, size_t n)
{
    if (hi > lo + 1 && all_sparse(wk, lo, hi)) {
        void *dst = palm_other(wk, X);
        chain_csr(wk, lo, hi, 0, X, dst, n);
        return dst;
    }
    for (size_t k = hi; k-- > lo;) {
        void *dst = palm_other(wk, X);
        mul_left(wk, &wk->f[k], n, X, dst);
        X = dst;
    }
    return X;
}

/* (S_lo ... S_{hi-1})^H X, X rows(S_lo) x n. */
static const void *chain_left_h(palm_work *wk, size_t lo, size_t hi, const void *X, size_t n)
{
    if (hi > lo + 1 && all_sparse(wk, lo, hi)) {
        void *dst = palm_other(wk, X);
        chain_csr(wk, lo, hi, 1, X, dst, n);
        return dst;
    }
    for (size_t k = lo; k < hi; k++) {
        void *dst = palm_other(wk, X);
        mul_left_h(wk, &wk->f[k], n, X, dst);
        X = dst;
    }
    return X;
}

/* Right chains of CSR factors as left chains of the transposes:
 * X S_lo ... S_{hi-1} = ((S_lo ... S_{hi-1})^H X^H)^H, and
 * X (S_lo ... S_{hi-1})^H = (S_lo ... S_{hi-1} X^H)^H, when there are
 * several factors or one with enough nonzeros per row. */
static int right_by_left(const palm_work *wk, size_t lo, size_t hi)
{
    return hi > lo && all_sparse(wk, lo, hi) && (hi > lo + 1 || right_via_transpose(&wk->f[lo], wk->s));
}

/* X S_lo ... S_{hi-1}, X m x rows(S_lo). */
static const void *chain_right(palm_work *wk, size_t lo, size_t hi, const void *X, size_t m)
{
    if (right_by_left(wk, lo, hi)) {
        void *dst = palm_other(wk, X);
        K(wk, transpose_h, m, wk->f[lo].rows, X, wk->s[0]);
        chain_csr(wk, lo, hi, 1, wk->s[0], wk->s[1], m);
        K(wk, transpose_h, wk->f[hi - 1].cols, m, wk->s[1], dst);
        return dst;
    }
    for (size_t k = lo; k < hi; k++) {
        void *dst = palm_other(wk, X);
        mul_right(wk, &wk->f[k], m, X, dst, wk->s);
        X = dst;
    }
    return X;
}

/* X (S_lo ... S_{hi-1})^H, X m x cols(S_{hi-1}). */
static const void *chain_right_h(palm_work *wk, size_t lo, size_t hi, const void *X, size_t m)
{
    if (right_by_left(wk, lo, hi)) {
        void *dst = palm_other(wk, X);
        K(wk, transpose_h, m, wk->f[hi - 1].cols, X, wk->s[0]);
        chain_csr(wk, lo, hi, 0, wk->s[0], wk->s[1], m);
        K(wk, transpose_h, wk->f[lo].rows, m, wk->s[1], dst);
        return dst;
    }
    for (size_t k = hi; k-- > lo;) {
        void *dst = palm_other(wk, X);
        mul_right_h(wk, &wk->f[k], m, X, dst, wk->s);
        X = dst;
    }
    return X;
}

/* What applying S_k to one dense vector costs, in multiply-adds. */
static size_t factor_cost(const dmf_palm_factor *f)
{
    return f->sparse ? f->nnz : f->rows * f->cols;
}

static size_t densest(const palm_work *wk, size_t J)
{
    size_t m = 0;
    for (size_t k = 1; k < J; k++)
        if (factor_cost(&wk->f[k]) > factor_cost(&wk->f[m])) m = k;
    return m;
}

/* The dense product S_0 ... S_{J-1} (M x N), in a pool buffer or S_0
 * itself for one factor.  It starts from the densest factor's own array
 * and multiplies the others onto it, so that factor (the residual of a
 * hierarchical step, up to half dense) is never applied to a dense matrix. */
static const void *chain_product(palm_work *wk, size_t J, size_t N)
{
    size_t m = densest(wk, J);
    const void *cur = chain_right(wk, m + 1, J, wk->f[m].dense, wk->f[m].rows);
    return chain_left(wk, 0, m, cur, N);
}

/* cur through C = S_lo ... S_{hi-1} (adjoint: through C^H), alternating
 * between wk->u0 and wk->u1 from *b; the last product goes to `out` when it
 * is not NULL.  Returns where the result is. */
static const void *chain_pass(palm_work *wk, size_t lo, size_t hi, int adjoint, const void *cur, int *b, void *out)
{
    void *bufs[2] = {wk->u0, wk->u1};
    for (size_t t = 0; t < hi - lo; t++) {
        size_t k = adjoint ? lo + t : hi - 1 - t;
        void *dst = out && t + 1 == hi - lo ? out : bufs[*b];
        K(wk, mul_vec, &wk->f[k], adjoint, cur, dst);
        cur = dst;
        *b ^= 1;
    }
    return cur;
}

static double sum_sq(palm_work *wk, const void *x, size_t n)
{
    double s = 0;
    K(wk, sum_sq, x, n, &s);
    return s;
}

/* v = the fixed pseudo-random start of the power iterations (seed). */
static void random_start(palm_work *wk, dmf_dtype dtype, uint64_t seed, void *v, size_t n)
{
    const size_t elem = dmf_dtype_size(dtype);
    void *host = malloc(n * elem);
    if (!host) {
        if (wk->status == DMF_OK) wk->status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu values", n);
        return;
    }
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    for (size_t t = 0; t < n; t++) dmf_set(dtype, host, t, dmf_rng_normal(&rng));
    if (wk->status == DMF_OK) wk->status = wk->be->mem_upload(v, host, n * elem);
    free(host);
}

/* ||C||_2^2 for C = S_lo ... S_{hi-1} (lo < hi) by power iteration on
 * C^H C (v: cols(S_{hi-1}) values), or on C C^H when by_rows (v:
 * rows(S_lo) values); v is the start and the last iterate, a zero v gets a
 * fixed pseudo-random start.  The factors change little from one sweep to
 * the next, so the previous vector needs a few steps only. */
static double chain_norm2_sq(palm_work *wk, dmf_dtype dtype, size_t lo, size_t hi, int by_rows, void *v,
                             const dmf_palm_options *o)
{
    size_t n = by_rows ? wk->f[lo].rows : wk->f[hi - 1].cols;
    double nv = sqrt(sum_sq(wk, v, n)), est = 0;
    if (!(nv > 0)) {
        random_start(wk, dtype, by_rows ? 0x51d3 : 0x9a1b4, v, n);
        nv = sqrt(sum_sq(wk, v, n));
    }
    /* One factor: C^H C v (C C^H v) in one pass over it, through a
     * transposed copy for C C^H of a dense C. */
    const dmf_palm_factor *F = &wk->f[lo];
    const int one = hi == lo + 1, dense_t = one && !F->sparse && by_rows;
    if (dense_t) K(wk, transpose_h, F->rows, F->cols, F->dense, wk->s[0]);
    for (size_t it = 0; it < o->norm2_max_iter && nv > 0 && wk->status == DMF_OK; it++) {
        K(wk, scale, v, n, 1 / nv);
        if (one) {
            K(wk, gram_vec, F, by_rows, wk->s[0], v, wk->u0);
            K(wk, copy, v, wk->u0, n);
        } else {
            int b = 0;
            const void *half = chain_pass(wk, lo, hi, by_rows, v, &b, NULL); /* C v, or C^H v */
            chain_pass(wk, lo, hi, !by_rows, half, &b, v);                    /* then the other */
        }
        nv = sqrt(sum_sq(wk, v, n)); /* ||C^H C v|| for a unit v: at most sigma_1^2 */
        int settled = fabs(nv - est) <= o->norm2_threshold * nv;
        est = nv;
        if (settled) break;
    }
    if (!(nv > 0)) K(wk, zero, v, n); /* C = 0: start afresh next time */
    return est;
}
