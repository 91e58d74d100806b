/* PALM4MSA sweeps (included by palm4msa.c), on the backend's PALM kernels.
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
 * factor applied as CSR when it is sparse enough and by a dense product
 * otherwise (the backend's kernels, palm_kernels.h; the CPU's in
 * src/host/backend/cpu_palm*).  The densest factor (a hierarchical step's
 * residual) is kept away from dense products by starting the full product
 * from it and by the sweep's caches below; an update then costs
 * O(d_j^2 J + d sum_k nnz(S_k)) instead of dense products of M x N
 * matrices with d x d ones. */

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
enum { CACHE_NONE, CACHE_RIGHT, CACHE_LEFT };

/* Y = F X^H (F rows x cols, X m x cols): a GEMM, or a transpose and a
 * CSR product. */
static void mul_left_of_h(palm_work *wk, const dmf_palm_factor *F, size_t m, const void *X, void *Y)
{
    if (!F->sparse) {
        K(wk, gemm, 0, 1, F->rows, m, F->cols, F->dense, X, Y);
        return;
    }
    K(wk, transpose_h, m, F->cols, X, wk->s[0]);
    mul_left(wk, F, m, wk->s[0], Y);
}

/* The caches once S_j is final (kind: CACHE_RIGHT or CACHE_LEFT). */
static int cache_update(palm_work *wk, int kind, size_t J, size_t j, const void *A, size_t M, size_t N)
{
    const dmf_palm_factor *F = &wk->f[j];
    const size_t a = F->rows, b = F->cols;
    void *swap;
    if (kind == CACHE_RIGHT && j + 1 == J) {
        if (F->sparse && !wk->ah) {
            wk->ah = palm_buffer(wk, M * N, dmf_dtype_size(wk->dtype));
            K(wk, transpose_h, M, N, A, wk->ah);
        }
        if (F->sparse) mul_left(wk, F, M, wk->ah, wk->w); /* S A^H */
        else K(wk, gemm, 0, 1, a, M, b, F->dense, A, wk->w);
        if (gram_pays(F, 0)) K(wk, gram, F, 0, wk->q); /* S S^H */
        else mul_left_of_h(wk, F, a, F->dense, wk->q);
    } else if (kind == CACHE_RIGHT) {
        mul_left(wk, F, M, wk->w, wk->t);
        swap = wk->w, wk->w = wk->t, wk->t = swap;
        mul_left(wk, F, b, wk->q, wk->t);
        mul_left_of_h(wk, F, a, wk->t, wk->q); /* S (S Q)^H = S Q S^H, Q Hermitian */
    } else if (j == 0) {
        mul_left_h(wk, F, N, A, wk->w);        /* S^H A */
        if (gram_pays(F, 1)) K(wk, gram, F, 1, wk->q); /* S^H S */
        else mul_left_h(wk, F, b, F->dense, wk->q);
    } else {
        mul_left_h(wk, F, N, wk->w, wk->t);
        swap = wk->w, wk->w = wk->t, wk->t = swap;
        mul_left_h(wk, F, a, wk->q, wk->t);
        mul_right(wk, F, b, wk->t, wk->q, wk->s);
    }
    return wk->status;
}

/* grad / lambda for S_j (rows x cols of S_j), in a pool buffer or wk->e;
 * `cached` says which caches hold for this j. */
static const void *gradient(palm_work *wk, size_t J, size_t j, const void *A, size_t M, size_t N, double lambda,
                            int cached)
{
    const dmf_palm_factor *F = &wk->f[j];
    const size_t a = F->rows, b = F->cols;
    if (cached == CACHE_RIGHT && all_sparse(wk, 0, j + 1)) {
        for (size_t k = 0; k <= j; k++) wk->chain[k] = &wk->f[k];
        K(wk, gradient_right, wk->chain, j, lambda, wk->q, wk->w, wk->pool[0]);
        return wk->pool[0];
    }
    if (cached == CACHE_RIGHT) {
        const void *ly = chain_left(wk, 0, j + 1, wk->q, b); /* L S_j Q, M x b */
        K(wk, sub_adjoint, M, b, lambda, ly, wk->w, wk->e);  /* lambda L S_j Q - W */
        return chain_left_h(wk, 0, j, wk->e, b);
    }
    if (cached == CACHE_LEFT) {
        /* In the adjoint, G^H = R (lambda R^H S_j^H P - V^H) (P Hermitian):
         * products from the left and one transpose at the end, where
         * (lambda P S_j R - V) R^H has three right products. */
        mul_left_h(wk, F, a, wk->q, wk->t);                          /* S_j^H P, b x a */
        const void *yh = chain_left_h(wk, j + 1, J, wk->t, a);       /* R^H S_j^H P, N x a */
        K(wk, sub_adjoint, N, a, lambda, yh, wk->w, wk->e);          /* lambda (...) - V^H */
        const void *gh = chain_left(wk, j + 1, J, wk->e, a);         /* b x a */
        void *g = gh == wk->pool[0] ? wk->pool[1] : wk->pool[0];
        K(wk, transpose_h, b, a, gh, g);
        return g;
    }
    /* the product from the last lambda, if no factor changed since */
    const void *X = wk->x ? wk->x : chain_product(wk, J, N);
    K(wk, sub, M * N, lambda, X, A, wk->e);
    /* L^H E R^H in the cheaper order */
    size_t cost_l = 0, cost_r = 0;
    for (size_t k = 0; k < J; k++)
        if (k < j) cost_l += factor_cost(&wk->f[k]);
        else if (k > j) cost_r += factor_cost(&wk->f[k]);
    if (cost_l * N + a * cost_r <= M * cost_r + cost_l * b)
        return chain_right_h(wk, j + 1, J, chain_left_h(wk, 0, j, wk->e, N), a);
    return chain_left_h(wk, 0, j, chain_right_h(wk, j + 1, J, wk->e, M), b);
}

static int is_sparsity(dmf_constraint_kind kind)
{
    return kind == DMF_CONS_SP || kind == DMF_CONS_SPLIN || kind == DMF_CONS_SPCOL || kind == DMF_CONS_SPLINCOL;
}

/* One projected gradient step on S_j. */
static int palm_step(palm_work *wk, size_t J, size_t j, const void *A, size_t M, size_t N, const dmf_constraint *c,
                     double lambda, const dmf_palm_options *o, int cached)
{
    if (c->kind == DMF_CONS_CONST) return DMF_OK;
    dmf_palm_factor *F = &wk->f[j];
    double lip;
    if (o->constant_step_size) {
        lip = 1 / o->step_size;
    } else {
        double nl = j > 0 ? chain_norm2_sq(wk, wk->dtype, 0, j, 0, wk->vl[j], o) : 1;
        double nr = j + 1 < J ? chain_norm2_sq(wk, wk->dtype, j + 1, J, 1, wk->vr[j], o) : 1;
        lip = lambda * lambda * nl * nr * 1.001;
    }
    const void *g = NULL;
    double step = 0;
    if (lip > 0 && isfinite(lip)) {
        g = gradient(wk, J, j, A, M, N, lambda, cached);
        step = lambda / lip;
    }
    if (is_sparsity(c->kind)) K(wk, step_project_sparse, c, F, step, g);
    else K(wk, step_project, c, F, step, g);
    return wk->status;
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
enum { STACK_MAX = 8 };
static int sweep_cache(const palm_work *wk, size_t J, int r2l, int *stacked)
{
    *stacked = 0;
    if (J < 3) return CACHE_NONE;
    size_t most = 0;
    for (size_t k = 0; k < J; k++)
        if (factor_cost(&wk->f[k]) > most) most = factor_cost(&wk->f[k]);
    if (factor_cost(&wk->f[r2l ? J - 1 : 0]) == most) return r2l ? CACHE_RIGHT : CACHE_LEFT;
    /* the stack, two largest-size arrays per factor, beside about ten of
     * the work space: within the memory limit, or the direct gradient */
    const size_t big = wk->maxd * wk->maxd * dmf_dtype_size(wk->dtype);
    if (factor_cost(&wk->f[r2l ? 0 : J - 1]) == most && J - 1 <= STACK_MAX &&
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
static int stack_build(palm_work *wk, int kind, size_t J, const void *A, size_t M, size_t N)
{
    const size_t big = wk->maxd * wk->maxd, elem = dmf_dtype_size(wk->dtype);
    if (!wk->stack_w) {
        wk->stack_w = calloc(J, sizeof *wk->stack_w);
        wk->stack_q = calloc(J, sizeof *wk->stack_q);
        if (!wk->stack_w || !wk->stack_q)
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM caches (%zu factors, %zu x %zu)", J, M, N);
        for (size_t j = 0; j < J; j++) {
            wk->stack_w[j] = palm_buffer(wk, big, elem);
            wk->stack_q[j] = palm_buffer(wk, big, elem);
        }
        if (wk->status != DMF_OK)
            return dmf_fail_context(wk->status, "the PALM caches (%zu factors, %zu x %zu)", J, M, N);
    }
    for (size_t s = 0; s + 1 < J; s++) {
        size_t j = kind == CACHE_LEFT ? s : J - 1 - s, slot = kind == CACHE_LEFT ? j + 1 : j - 1;
        size_t d = kind == CACHE_LEFT ? wk->f[j].cols : wk->f[j].rows;
        DMF_TRY(cache_update(wk, kind, J, j, A, M, N));
        K(wk, copy, wk->stack_w[slot], wk->w, d * (kind == CACHE_LEFT ? N : M));
        K(wk, copy, wk->stack_q[slot], wk->q, d * d);
    }
    return wk->status;
}

/* PALM on the backend's memory: A (M x N) and the factors S[j]. */
static int palm_run(const dmf_backend *be, dmf_dtype dtype, const void *A, size_t J, const size_t *dims,
                    void *const *S, const dmf_constraint *cons, const dmf_palm_options *o, double *lambda_io,
                    dmf_palm_report *rep)
{
    const size_t M = dims[0], N = dims[J];
    const int r2l = o->update_right_to_left != 0;
    palm_work wk;
    DMF_TRY(palm_work_alloc(&wk, be, dtype, J, dims, S));
    double lambda = *lambda_io, norm_a = sqrt(sum_sq(&wk, A, M * N)), prev = 0;
    int tol_mode = o->stop.tol > 0, status = wk.status;
    size_t limit = tol_mode ? o->stop.maxiter : o->stop.num_its, it = 0;
    rep->stopped_by = tol_mode ? DMF_STOP_MAXITER : DMF_STOP_NUM_ITS;
    rep->rel_error = NAN;
    while (status == DMF_OK && it < limit) {
        int stacked, cache = sweep_cache(&wk, J, r2l, &stacked);
        if (stacked) status = stack_build(&wk, cache, J, A, M, N);
        for (size_t s = 0; status == DMF_OK && s < J; s++) {
            size_t j = r2l ? J - 1 - s : s;
            if (stacked) { /* S_j's own caches; none for the densest factor, at the end */
                void *w = wk.w, *q = wk.q;
                int has = s + 1 < J;
                if (has) wk.w = wk.stack_w[j], wk.q = wk.stack_q[j];
                status = palm_step(&wk, J, j, A, M, N, &cons[j], lambda, o, has ? cache : CACHE_NONE);
                wk.w = w, wk.q = q;
            } else {
                status = palm_step(&wk, J, j, A, M, N, &cons[j], lambda, o, s > 0 ? cache : CACHE_NONE);
            }
            wk.x = NULL; /* S_j changed */
            if (status == DMF_OK && !stacked && cache != CACHE_NONE && s + 1 < J)
                status = cache_update(&wk, cache, J, j, A, M, N);
        }
        if (status != DMF_OK) break;
        /* lambda = Re<A, X> / ||X||^2, then the error with it. */
        const void *X = chain_product(&wk, J, N);
        wk.x = X; /* also the next sweep's first gradient's */
        double err = 0;
        K(&wk, fit, M * N, X, A, lambda, &lambda, &err);
        if ((status = wk.status) != DMF_OK) break;
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
    palm_work_free(&wk, J);
    rep->iterations = it;
    rep->lambda = lambda;
    *lambda_io = lambda;
    return status;
}
