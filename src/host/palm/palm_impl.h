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
 * product above is a chain of factor products (palm_chain_impl.h), each
 * factor applied as CSR when it is sparse enough and by BLAS otherwise
 * (palm_factor_impl.h).  The densest factor (a hierarchical step's
 * residual) is kept away from dense products by starting the full product
 * from it and by the sweep's caches below; an update then costs
 * O(d_j^2 J + d sum_k nnz(S_k)) instead of dense products of M x N
 * matrices with d x d ones. */

#include "palm_factor_impl.h"
#include "palm_chain_impl.h"

/* The sweep's caches.  In a right-to-left sweep the factors right of S_j
 * are final for this sweep when S_j is updated, so
 *     W^H = R A^H (cols(S_j) x M),  Q = R R^H (cols(S_j) square)
 * follow the sweep (W^H <- S_j W^H, Q <- S_j (S_j Q)^H once S_j is set),
 * and
 *     grad / lambda = L^H (lambda L S_j Q - W)
 * touches only the factors left of S_j.  W is kept transposed so that
 * every update is a product from the left (a right product by a CSR
 * factor goes through two transposes).  Left to right, symmetrically,
 * V = L^H A and P = L^H L give grad / lambda = (lambda P S_j R - V) R^H.
 * This is the same gradient as L^H (lambda X - A) R^H, but the densest
 * factor (the residual of a hierarchical step, at the end the sweep starts
 * from) is applied to a dense matrix twice per sweep, for the caches,
 * instead of once per update. */
#ifndef DMF_PALM_CACHE_KINDS /* dtype-free, declared once */
#define DMF_PALM_CACHE_KINDS
enum { CACHE_NONE, CACHE_RIGHT, CACHE_LEFT };
#endif

/* Y = F X^H (F rows x cols, X m x cols): a GEMM, or a transpose and a
 * CSR product. */
static void FN(mul_left_of_h)(FN(palm_work) *wk, const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y)
{
    if (!F->sparse) {
        FN(gemm)(0, 1, F->rows, m, F->cols, 1, F->dense, X, 0, Y);
        return;
    }
    FN(transpose_h)(m, F->cols, X, wk->s[0]);
    FN(mul_left)(F, m, wk->s[0], Y);
}

/* The caches once S_j is final (kind: CACHE_RIGHT or CACHE_LEFT). */
static int FN(cache_update)(FN(palm_work) *wk, int kind, size_t J, size_t j, const SCALAR *A, size_t M, size_t N)
{
    const FN(palm_factor) *F = &wk->f[j];
    const size_t a = F->rows, b = F->cols;
    SCALAR *swap;
    if (kind == CACHE_RIGHT && j + 1 == J) {
        if (F->sparse && !wk->ah) {
            wk->ah = malloc(M * N * sizeof(SCALAR));
            if (!wk->ah) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu x %zu)", N, M);
            FN(transpose_h)(M, N, A, wk->ah);
        }
        if (F->sparse) FN(mul_left)(F, M, wk->ah, wk->w); /* S A^H */
        else FN(gemm)(0, 1, a, M, b, 1, F->dense, A, 0, wk->w);
        if (FN(gram_pays)(F, 0)) FN(gram)(F, 0, wk->q); /* S S^H */
        else FN(mul_left_of_h)(wk, F, a, F->dense, wk->q);
    } else if (kind == CACHE_RIGHT) {
        FN(mul_left)(F, M, wk->w, wk->t);
        swap = wk->w, wk->w = wk->t, wk->t = swap;
        FN(mul_left)(F, b, wk->q, wk->t);
        FN(mul_left_of_h)(wk, F, a, wk->t, wk->q); /* S (S Q)^H = S Q S^H, Q Hermitian */
    } else if (j == 0) {
        FN(mul_left_h)(F, N, A, wk->w);         /* S^H A */
        if (FN(gram_pays)(F, 1)) FN(gram)(F, 1, wk->q); /* S^H S */
        else FN(mul_left_h)(F, b, F->dense, wk->q);
    } else {
        FN(mul_left_h)(F, N, wk->w, wk->t);
        swap = wk->w, wk->w = wk->t, wk->t = swap;
        FN(mul_left_h)(F, a, wk->q, wk->t);
        FN(mul_right)(F, b, wk->t, wk->q, wk->s);
    }
    return DMF_OK;
}

/* grad / lambda for S_j (rows x cols of S_j), in a pool buffer or wk->e;
 * `cached` says which caches hold for this j. */
static const SCALAR *FN(gradient)(FN(palm_work) *wk, size_t J, size_t j, const SCALAR *A, size_t M, size_t N,
                                  double lambda, int cached)
{
    const FN(palm_factor) *F = &wk->f[j];
    const size_t a = F->rows, b = F->cols;
    const REAL lam = (REAL)lambda;
    if (cached == CACHE_RIGHT && FN(all_sparse)(wk, 0, j + 1)) {
        FN(gradient_right_blocked)(wk, j, lam, wk->pool[0]);
        return wk->pool[0];
    }
    if (cached == CACHE_RIGHT) {
        const SCALAR *ly = FN(chain_left)(wk, 0, j + 1, wk->q, b); /* L S_j Q, M x b */
        enum { T = 16 }; /* lambda L S_j Q - W by tiles, W^H read by rows */
        for (size_t i0 = 0; i0 < M; i0 += T)
            for (size_t t = 0; t < b; t++) {
                const SCALAR *wh = wk->w + t * M;
                for (size_t i = i0; i < i0 + T && i < M; i++) wk->e[i * b + t] = lam * ly[i * b + t] - CONJ(wh[i]);
            }
        return FN(chain_left_h)(wk, 0, j, wk->e, b);
    }
    if (cached == CACHE_LEFT) {
        /* In the adjoint, G^H = R (lambda R^H S_j^H P - V^H) (P Hermitian):
         * products from the left and one transpose at the end, where
         * (lambda P S_j R - V) R^H has three right products. */
        FN(mul_left_h)(F, a, wk->q, wk->t);                              /* S_j^H P, b x a */
        const SCALAR *yh = FN(chain_left_h)(wk, j + 1, J, wk->t, a);     /* R^H S_j^H P, N x a */
        enum { T = 16 }; /* lambda (...) - V^H by tiles, V read by rows */
        for (size_t t0 = 0; t0 < N; t0 += T)
            for (size_t i = 0; i < a; i++) {
                const SCALAR *v = wk->w + i * N;
                for (size_t t = t0; t < t0 + T && t < N; t++) wk->e[t * a + i] = lam * yh[t * a + i] - CONJ(v[t]);
            }
        const SCALAR *gh = FN(chain_left)(wk, j + 1, J, wk->e, a);     /* b x a */
        SCALAR *g = gh == wk->pool[0] ? wk->pool[1] : wk->pool[0];
        FN(transpose_h)(b, a, gh, g);
        return g;
    }
    /* the product from the last lambda, if no factor changed since */
    const SCALAR *X = wk->x ? wk->x : FN(chain_product)(wk, J, N);
    for (size_t t = 0; t < M * N; t++) wk->e[t] = lam * X[t] - A[t];
    /* L^H E R^H in the cheaper order */
    size_t cost_l = 0, cost_r = 0;
    for (size_t k = 0; k < J; k++)
        if (k < j) cost_l += FN(factor_cost)(&wk->f[k]);
        else if (k > j) cost_r += FN(factor_cost)(&wk->f[k]);
    if (cost_l * N + a * cost_r <= M * cost_r + cost_l * b)
        return FN(chain_right_h)(wk, j + 1, J, FN(chain_left_h)(wk, 0, j, wk->e, N), a);
    return FN(chain_left_h)(wk, 0, j, FN(chain_right_h)(wk, j + 1, J, wk->e, M), b);
}

/* One projected gradient step on S_j. */
static int FN(palm_step)(FN(palm_work) *wk, size_t J, size_t j, const SCALAR *A, size_t M, size_t N,
                         const dmf_constraint *c, double lambda, const dmf_palm_options *o, dmf_dtype dtype,
                         int cached)
{
    if (c->kind == DMF_CONS_CONST) return DMF_OK;
    FN(palm_factor) *F = &wk->f[j];
    const size_t n = F->rows * F->cols;
    double lip;
    if (o->constant_step_size) {
        lip = 1 / o->step_size;
    } else {
        double nl = j > 0 ? FN(chain_norm2_sq)(wk, 0, j, 0, wk->vl[j], o) : 1;
        double nr = j + 1 < J ? FN(chain_norm2_sq)(wk, j + 1, J, 1, wk->vr[j], o) : 1;
        lip = lambda * lambda * nl * nr * 1.001;
    }
    const SCALAR *g = NULL;
    REAL step = 0;
    if (lip > 0 && isfinite(lip)) {
        g = FN(gradient)(wk, J, j, A, M, N, lambda, cached);
        step = (REAL)(lambda / lip);
    }
    if (c->kind != DMF_CONS_SP && c->kind != DMF_CONS_SPLIN && c->kind != DMF_CONS_SPCOL &&
        c->kind != DMF_CONS_SPLINCOL) {
        for (size_t t = 0; g && t < n; t++) F->dense[t] -= step * g[t];
        DMF_TRY(dmf_palm_project_ws(dtype, c, F->dense, &wk->proj));
        return FN(factor_sync)(F);
    }
    /* The sparsity projections: the step and the magnitudes in one pass,
     * the support, then the mask, the CSR copy and the norm in another. */
    DMF_TRY(dmf_palm_support_begin(c, &wk->proj));
    double *mag = wk->proj.mag;
    SCALAR *x = F->dense;
    if (g) {
#pragma omp parallel for schedule(static) if (n >= ((size_t)1 << 22))
        for (size_t t = 0; t < n; t++) {
            x[t] -= step * g[t];
            mag[t] = ABS2(x[t]);
        }
    } else {
        for (size_t t = 0; t < n; t++) mag[t] = ABS2(x[t]);
    }
    dmf_palm_support_end(c, dtype, &wk->proj);
    return FN(factor_mask_sync)(F, wk->proj.keep, c->normalized);
}

/* How a sweep caches, with three factors or more (with two the direct
 * gradient costs no more):
 * - the densest factor is where the sweep starts: the caches follow the
 *   sweep (cache_update after each step);
 * - it is where the sweep ends (a right-to-left sweep with the residual
 *   on the left, as pyfaust's 'rectmat' parameters peel factors; or left
 *   to right with it on the right): the factors on the far side of S_j
 *   are those of the previous sweep until S_j is updated, so the caches
 *   of the other kind for every j are made at the start of the sweep, in
 *   one pass from the densest end (*stacked), and each update reads its
 *   own; the densest factor then meets a dense matrix twice per sweep
 *   instead of once per update.  At most STACK_MAX of them (each holds two
 *   arrays of the largest size), within the memory limit.
 * Otherwise the direct gradient. */
#ifndef DMF_PALM_STACK_MAX
#define DMF_PALM_STACK_MAX
enum { STACK_MAX = 8 };
#endif
static int FN(sweep_cache)(const FN(palm_work) *wk, size_t J, int r2l, int *stacked)
{
    *stacked = 0;
    if (J < 3) return CACHE_NONE;
    size_t most = 0;
    for (size_t k = 0; k < J; k++)
        if (FN(factor_cost)(&wk->f[k]) > most) most = FN(factor_cost)(&wk->f[k]);
    if (FN(factor_cost)(&wk->f[r2l ? J - 1 : 0]) == most) return r2l ? CACHE_RIGHT : CACHE_LEFT;
    /* the stack, two largest-size arrays per factor, beside about ten of
     * the work space: within the memory limit, or the direct gradient */
    const size_t big = wk->maxd * wk->maxd * sizeof(SCALAR);
    if (FN(factor_cost)(&wk->f[r2l ? 0 : J - 1]) == most && J - 1 <= STACK_MAX &&
        (wk->stack_w || !dmf_memory_over_limit((2 * (J - 1) + 10) * big))) {
        *stacked = 1;
        return r2l ? CACHE_LEFT : CACHE_RIGHT;
    }
    return CACHE_NONE;
}

/* The caches of every j for a sweep that ends at the densest factor:
 * kind CACHE_LEFT (a right-to-left sweep), V_j = L_j^H A and P_j = L_j^H L_j
 * for j = 1 ... J-1; CACHE_RIGHT (left to right), W_j^H and Q_j for
 * j = 0 ... J-2.  Made by the steps of cache_update from the densest end,
 * each copied into its slot. */
static int FN(stack_build)(FN(palm_work) *wk, int kind, size_t J, const SCALAR *A, size_t M, size_t N)
{
    const size_t big = wk->maxd * wk->maxd;
    if (!wk->stack_w) {
        wk->stack_w = calloc(J, sizeof *wk->stack_w);
        wk->stack_q = calloc(J, sizeof *wk->stack_q);
        int ok = wk->stack_w && wk->stack_q;
        for (size_t j = 0; ok && j < J; j++) {
            wk->stack_w[j] = malloc(big * sizeof(SCALAR));
            wk->stack_q[j] = malloc(big * sizeof(SCALAR));
            ok = wk->stack_w[j] && wk->stack_q[j];
        }
        if (!ok) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM caches (%zu factors, %zu x %zu)", J, M, N);
    }
    for (size_t s = 0; s + 1 < J; s++) {
        size_t j = kind == CACHE_LEFT ? s : J - 1 - s, slot = kind == CACHE_LEFT ? j + 1 : j - 1;
        size_t d = kind == CACHE_LEFT ? wk->f[j].cols : wk->f[j].rows;
        DMF_TRY(FN(cache_update)(wk, kind, J, j, A, M, N));
        memcpy(wk->stack_w[slot], wk->w, d * (kind == CACHE_LEFT ? N : M) * sizeof(SCALAR));
        memcpy(wk->stack_q[slot], wk->q, d * d * sizeof(SCALAR));
    }
    return DMF_OK;
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
        int stacked, cache = FN(sweep_cache)(&wk, J, r2l, &stacked);
        if (stacked) status = FN(stack_build)(&wk, cache, J, A, M, N);
        for (size_t s = 0; status == DMF_OK && s < J; s++) {
            size_t j = r2l ? J - 1 - s : s;
            if (stacked) { /* S_j's own caches; none for the densest factor, at the end */
                SCALAR *w = wk.w, *q = wk.q;
                int has = s + 1 < J;
                if (has) wk.w = wk.stack_w[j], wk.q = wk.stack_q[j];
                status = FN(palm_step)(&wk, J, j, A, M, N, &cons[j], lambda, o, dtype, has ? cache : CACHE_NONE);
                wk.w = w, wk.q = q;
            } else {
                status = FN(palm_step)(&wk, J, j, A, M, N, &cons[j], lambda, o, dtype, s > 0 ? cache : CACHE_NONE);
            }
            wk.x = NULL; /* S_j changed */
            if (status == DMF_OK && !stacked && cache != CACHE_NONE && s + 1 < J)
                status = FN(cache_update)(&wk, cache, J, j, A, M, N);
        }
        if (status != DMF_OK) break;
        /* lambda = Re<A, X> / ||X||^2, then the error with it. */
        const SCALAR *X = FN(chain_product)(&wk, J, N);
        wk.x = X; /* also the next sweep's first gradient's */
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

