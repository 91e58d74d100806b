/* PALM4MSA sweeps for one dtype (instantiated four times by palm4msa.c).
 *
 * One iteration updates every factor once, in the sweep's order, by a
 * projected gradient step on f = ||A - lambda L S_j R||_F^2 / 2 with L and
 * R the products of the factors left and right of S_j:
 *     grad = lambda L^H (lambda L S_j R - A) R^H,
 *     S_j <- P_j(S_j - grad / c),   c = lambda^2 ||L||_2^2 ||R||_2^2,
 * c the Lipschitz constant of that gradient (from power iterations, with a
 * margin of 1e-3 because they approach the norm from below), then sets
 * lambda to its least-squares value Re<A, S>/||S||^2 for S = S_0...S_{J-1}.
 * The products on the side already swept are carried along; those on the
 * other side are recomputed once per iteration. */

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

/* ||X||_2^2 of an m x n matrix by power iteration on X^H X.  v (n values)
 * holds the start and receives the last iterate: the sweeps change X
 * little from one iteration to the next, so the previous vector is a start
 * that needs a few steps only (a zero v is replaced by a fixed
 * pseudo-random one).  w: m values of scratch. */
static double FN(norm2_sq)(const SCALAR *X, size_t m, size_t n, const dmf_palm_options *o, SCALAR *v, SCALAR *w)
{
    double nv = sqrt(FN(sum_sq)(v, n)), est = 0;
    if (!(nv > 0)) {
        dmf_rng rng;
        dmf_rng_seed(&rng, 0x9a1b4);
        for (size_t t = 0; t < n; t++) v[t] = (REAL)dmf_rng_normal(&rng);
        nv = sqrt(FN(sum_sq)(v, n));
    }
    for (size_t it = 0; it < o->norm2_max_iter && nv > 0; it++) {
        for (size_t t = 0; t < n; t++) v[t] *= (REAL)(1 / nv);
        FN(gemm)(0, 0, m, 1, n, 1, X, v, 0, w);
        FN(gemm)(1, 0, n, 1, m, 1, X, w, 0, v);
        nv = sqrt(FN(sum_sq)(v, n)); /* ||X^H X v|| for a unit v: at most sigma_1^2 */
        int settled = fabs(nv - est) <= o->norm2_threshold * nv;
        est = nv;
        if (settled) break;
    }
    if (!(nv > 0)) memset(v, 0, n * sizeof *v); /* X = 0: start afresh next time */
    return est;
}

typedef struct {
    SCALAR **side;    /* per factor: the product on the side not yet swept (NULL: identity) */
    SCALAR *run, *run_next; /* the product of the factors swept so far */
    SCALAR *t1, *e, *t2, *g, *w;
    SCALAR **vl, **vr; /* per factor: the power iterations' vectors for L and R */
} FN(palm_work);

static void FN(palm_work_free)(FN(palm_work) *wk, size_t J)
{
    for (size_t j = 0; wk->side && j < J; j++) free(wk->side[j]);
    free(wk->side);
    free(wk->run);
    free(wk->run_next);
    free(wk->t1);
    free(wk->e);
    free(wk->t2);
    free(wk->g);
    free(wk->w);
    for (size_t j = 0; wk->vl && j < J; j++) free(wk->vl[j]);
    for (size_t j = 0; wk->vr && j < J; j++) free(wk->vr[j]);
    free(wk->vl);
    free(wk->vr);
}

static int FN(palm_work_alloc)(FN(palm_work) *wk, size_t J, const size_t *dims, int r2l)
{
    const size_t M = dims[0], N = dims[J];
    size_t maxd = 0;
    for (size_t j = 0; j <= J; j++)
        if (dims[j] > maxd) maxd = dims[j];
    size_t big = (M > N ? M : N) * maxd;
    memset(wk, 0, sizeof *wk);
    wk->side = calloc(J, sizeof *wk->side);
    int ok = wk->side != NULL;
    for (size_t j = 0; ok && j < J; j++) {
        if (r2l ? j == 0 : j == J - 1) continue;
        wk->side[j] = dmf_alloc(r2l ? M * dims[j] : dims[j + 1] * N, sizeof(SCALAR));
        ok = wk->side[j] != NULL;
    }
    wk->run = dmf_alloc(big, sizeof(SCALAR));
    wk->run_next = dmf_alloc(big, sizeof(SCALAR));
    wk->t1 = dmf_alloc(big, sizeof(SCALAR));
    wk->e = dmf_alloc(M * N, sizeof(SCALAR));
    wk->t2 = dmf_alloc(big, sizeof(SCALAR));
    wk->g = dmf_alloc(maxd * maxd, sizeof(SCALAR));
    wk->w = dmf_alloc(maxd > M ? maxd : M, sizeof(SCALAR));
    wk->vl = calloc(J, sizeof *wk->vl);
    wk->vr = calloc(J, sizeof *wk->vr);
    ok = ok && wk->vl && wk->vr;
    for (size_t j = 0; ok && j < J; j++) {
        wk->vl[j] = dmf_alloc(dims[j], sizeof(SCALAR));
        wk->vr[j] = dmf_alloc(N, sizeof(SCALAR));
        ok = wk->vl[j] && wk->vr[j];
    }
    if (ok && wk->run && wk->run_next && wk->t1 && wk->e && wk->t2 && wk->g && wk->w) return DMF_OK;
    FN(palm_work_free)(wk, J);
    return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu factors, %zu x %zu)", J, M, N);
}

/* The products on the side of the sweep not yet reached: for a left to
 * right sweep side[j] = S_{j+1} ... S_{J-1}, else side[j] = S_0 ... S_{j-1}. */
static void FN(palm_side_products)(FN(palm_work) *wk, size_t J, const size_t *dims, SCALAR *const *S, int r2l)
{
    const size_t M = dims[0], N = dims[J];
    if (!r2l) {
        for (size_t j = J - 1; j-- > 0;) {
            if (!wk->side[j + 1]) memcpy(wk->side[j], S[j + 1], dims[j + 1] * N * sizeof(SCALAR));
            else FN(gemm)(0, 0, dims[j + 1], N, dims[j + 2], 1, S[j + 1], wk->side[j + 1], 0, wk->side[j]);
        }
    } else {
        for (size_t j = 1; j < J; j++) {
            if (!wk->side[j - 1]) memcpy(wk->side[j], S[0], M * dims[1] * sizeof(SCALAR));
            else FN(gemm)(0, 0, M, dims[j], dims[j - 1], 1, wk->side[j - 1], S[j - 1], 0, wk->side[j]);
        }
    }
}

/* One projected gradient step on S_j (a x b) with L (M x a) and R (b x N),
 * either NULL for the identity. */
static int FN(palm_step)(FN(palm_work) *wk, size_t j, const SCALAR *A, size_t M, size_t N, size_t a, size_t b,
                         const SCALAR *L, const SCALAR *R, SCALAR *Sj, const dmf_constraint *c, double lambda,
                         const dmf_palm_options *o, dmf_dtype dtype)
{
    if (c->kind == DMF_CONS_CONST) return DMF_OK;
    double lip;
    if (o->constant_step_size) {
        lip = 1 / o->step_size;
    } else {
        double nl = L ? FN(norm2_sq)(L, M, a, o, wk->vl[j], wk->w) : 1;
        double nr = R ? FN(norm2_sq)(R, b, N, o, wk->vr[j], wk->w) : 1;
        lip = lambda * lambda * nl * nr * 1.001;
    }
    if (lip > 0 && isfinite(lip)) {
        const SCALAR *t1 = Sj;
        if (L) {
            FN(gemm)(0, 0, M, b, a, 1, L, Sj, 0, wk->t1);
            t1 = wk->t1;
        }
        memcpy(wk->e, A, M * N * sizeof(SCALAR));
        if (R) {
            FN(gemm)(0, 0, M, N, b, (REAL)lambda, t1, R, -1, wk->e);
        } else {
            for (size_t t = 0; t < M * N; t++) wk->e[t] = (REAL)lambda * t1[t] - wk->e[t];
        }
        const SCALAR *t2 = wk->e;
        if (L) {
            FN(gemm)(1, 0, a, N, M, 1, L, wk->e, 0, wk->t2);
            t2 = wk->t2;
        }
        const SCALAR *g = t2;
        if (R) {
            FN(gemm)(0, 1, a, b, N, 1, t2, R, 0, wk->g);
            g = wk->g;
        }
        REAL step = (REAL)(lambda / lip);
        for (size_t t = 0; t < a * b; t++) Sj[t] -= step * g[t];
    }
    return dmf_palm_project(dtype, c, Sj);
}

static int FN(palm_core)(const SCALAR *A, size_t J, const size_t *dims, SCALAR *const *S,
                         const dmf_constraint *cons, const dmf_palm_options *o, double *lambda_io,
                         dmf_palm_report *rep, dmf_dtype dtype)
{
    const size_t M = dims[0], N = dims[J];
    const int r2l = o->update_right_to_left != 0;
    FN(palm_work) wk;
    DMF_TRY(FN(palm_work_alloc)(&wk, J, dims, r2l));
    double lambda = *lambda_io, norm_a = sqrt(FN(sum_sq)(A, M * N)), prev = 0;
    int tol_mode = o->stop.tol > 0, status = DMF_OK;
    size_t limit = tol_mode ? o->stop.maxiter : o->stop.num_its, it = 0;
    rep->stopped_by = tol_mode ? DMF_STOP_MAXITER : DMF_STOP_NUM_ITS;
    rep->rel_error = NAN;
    while (status == DMF_OK && it < limit) {
        FN(palm_side_products)(&wk, J, dims, S, r2l);
        int have_run = 0; /* run holds the product of the swept factors */
        for (size_t s = 0; status == DMF_OK && s < J; s++) {
            size_t j = r2l ? J - 1 - s : s, a = dims[j], b = dims[j + 1];
            const SCALAR *L = r2l ? wk.side[j] : (have_run ? wk.run : NULL);
            const SCALAR *R = r2l ? (have_run ? wk.run : NULL) : wk.side[j];
            status = FN(palm_step)(&wk, j, A, M, N, a, b, L, R, S[j], &cons[j], lambda, o, dtype);
            if (status != DMF_OK) break;
            /* Extend the swept product by the new S_j. */
            if (!have_run) {
                memcpy(wk.run, S[j], a * b * sizeof(SCALAR));
            } else if (!r2l) {
                FN(gemm)(0, 0, M, b, a, 1, wk.run, S[j], 0, wk.run_next);
            } else {
                FN(gemm)(0, 0, a, N, b, 1, S[j], wk.run, 0, wk.run_next);
            }
            if (have_run) {
                SCALAR *swap = wk.run;
                wk.run = wk.run_next;
                wk.run_next = swap;
            }
            have_run = 1;
        }
        if (status != DMF_OK) break;
        /* lambda = Re<A, X> / ||X||^2, then the error with it. */
        const SCALAR *X = wk.run;
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
