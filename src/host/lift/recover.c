/* Recovery of the parameters h from X ~ M_1(h_1) ... M_K(h_K) by
 * alternating least squares: with the other layers fixed, the product is
 * linear in h_k,
 *
 *     M(h)[i, j] = sum_t coef_t h_k[param_t] L[i, row_t] R[col_t, j],
 *
 * L = M_1 ... M_{k-1} and R = M_{k+1} ... M_K (at the probe columns), so
 * h_k is the least-squares solution of a D x S_k system.  Layers are
 * updated in turn (a sweep); every sweep lowers ||X - M(h)|| or leaves it.
 * After a sweep the layers are rescaled within the class of h (same
 * product) to equal Euclidean norms, which keeps the systems balanced.
 * Random starts are independent; the best residual wins.
 *
 * X is first reduced to its sample (params.h): for a convolutional network
 * the least-squares fit of a block-circulant M(h) to X is the fit of the
 * leaves' kernels to the circulant averages of X.
 *
 * The design matrix is built one of two ways, whichever costs fewer
 * operations for the network: with L as a dense rows x m_{k-1} matrix
 * (each triplet of layer k adds an outer product; good when layers have
 * many parameters, e.g. dense masks), or column by column, applying the
 * sparse layers M_{k-1} ... M_1 to M_k(e_p) R for every parameter p (good
 * when layers have few parameters and many rows, e.g. convolutions: a
 * Haar path on R^4096 never forms a 4096 x 4096 L). */
#include <float.h>
#include <lapacke.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "distance.h"
#include "memory.h"
#include "params.h"
#include "recover_edges.h"
#include "recover_lifted.h"

typedef struct {
    const dmf_network *net;
    size_t K, S, rows, P, D, W;
    const double *y;   /* the sample of X, rows x P */
    double weight, outside, norm_x;
    double *right;     /* R_k for every k: layer k's block of cols_k x P, row-major */
    size_t right_at[DMF_MAX_LAYERS];
    double *left, *left_next; /* rows x W column-major (dense design only) */
    double *design, *rhs, *sv, *fit;
    int by_column;     /* design column by column through the sparse layers */
    double *col_a, *col_b;     /* W x P each (by_column only) */
    size_t *by_param[DMF_MAX_LAYERS], *param_start[DMF_MAX_LAYERS]; /* triplets of each parameter (CSR) */
} als;

static void als_free(als *a)
{
    free(a->right);
    free(a->left);
    free(a->left_next);
    free(a->design);
    free(a->rhs);
    free(a->sv);
    free(a->fit);
    free(a->col_a);
    free(a->col_b);
    for (size_t k = 0; k < DMF_MAX_LAYERS; k++) free(a->by_param[k]), free(a->param_start[k]);
}

/* Operations per sweep of the two ways to build the designs.  The dense
 * design skips the zeros of L, whose columns have at most the product of
 * the largest column counts of M_1 ... M_{k-1} nonzeros. */
static int design_costs(const dmf_network *net, size_t rows, size_t P, double *dense, double *by_column)
{
    size_t *count = calloc(dmf_network_widest(net) + 1, sizeof *count);
    if (!count) return dmf_fail(DMF_ERR_NOMEM, "cannot count the columns of the layers");
    double before = 0, reach = 1; /* nonzeros of the layers left of k; of a column of L */
    *dense = *by_column = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        double nnz = (double)layer->count;
        *dense += (double)rows * (double)layer->rows + nnz * fmin(reach, (double)rows) * (double)P + nnz * (double)rows;
        *by_column += (double)layer->params * ((before + nnz) * (double)P + (double)layer->rows * (double)P);
        before += nnz;
        size_t top = 0;
        memset(count, 0, layer->cols * sizeof *count);
        for (size_t t = 0; t < layer->count; t++)
            if (++count[layer->entries[t].col] > top) top = count[layer->entries[t].col];
        reach *= (double)top;
    }
    free(count);
    return DMF_OK;
}

/* The triplets of each parameter of every layer, grouped (counting sort). */
static int index_params(als *a)
{
    for (size_t k = 0; k < a->K; k++) {
        const dmf_layer *layer = &a->net->layers[k];
        a->param_start[k] = calloc(layer->params + 2, sizeof *a->param_start[k]);
        a->by_param[k] = malloc((layer->count + 1) * sizeof *a->by_param[k]);
        if (!a->param_start[k] || !a->by_param[k]) return dmf_fail(DMF_ERR_NOMEM, "cannot index layer %zu", k + 1);
        size_t *start = a->param_start[k];
        for (size_t t = 0; t < layer->count; t++) start[layer->entries[t].param + 2]++;
        for (size_t j = 0; j < layer->params; j++) start[j + 2] += start[j + 1];
        for (size_t t = 0; t < layer->count; t++) a->by_param[k][start[layer->entries[t].param + 1]++] = t;
    }
    return DMF_OK;
}

static int als_init(als *a, const dmf_network *net, const double *y, double weight, double outside, double norm_x)
{
    memset(a, 0, sizeof *a);
    a->net = net;
    a->K = net->num_layers;
    a->S = net->num_params;
    a->rows = dmf_network_rows(net);
    a->P = net->num_probes;
    a->D = a->rows * a->P;
    a->W = dmf_network_widest(net);
    a->y = y;
    a->weight = weight;
    a->outside = outside;
    a->norm_x = norm_x;
    size_t right = 0, widest_s = 1;
    for (size_t k = 0; k < a->K; k++) {
        a->right_at[k] = right;
        right += net->layers[k].cols * a->P;
        if (net->layers[k].params > widest_s) widest_s = net->layers[k].params;
    }
    double dense = 0, by_column = 0;
    DMF_TRY(design_costs(net, a->rows, a->P, &dense, &by_column));
    a->by_column = by_column < dense;
    double work = a->by_column ? 2.0 * (double)a->W * (double)a->P : 2.0 * (double)a->rows * (double)a->W;
    double bytes = 8.0 * ((double)right + work + (double)a->D * (double)(2 * widest_s + 2) + (double)widest_s);
    DMF_TRY(dmf_memory_check(bytes, "alternating least squares on %zu x %zu systems", a->D, widest_s));
    a->right = malloc((right + 1) * sizeof *a->right);
    if (a->by_column) {
        a->col_a = malloc((a->W * a->P + 1) * sizeof *a->col_a);
        a->col_b = malloc((a->W * a->P + 1) * sizeof *a->col_b);
        a->left = malloc(sizeof *a->left);
        a->left_next = malloc(sizeof *a->left_next);
        if (!a->col_a || !a->col_b || index_params(a) != DMF_OK) {
            als_free(a);
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the column-by-column design");
        }
    } else {
        a->left = malloc((a->rows * a->W + 1) * sizeof *a->left);
        a->left_next = malloc((a->rows * a->W + 1) * sizeof *a->left_next);
    }
    /* LAPACK reads and writes whole padded buffers of our own. */
    a->design = malloc((a->D * widest_s + 64) * sizeof *a->design);
    a->rhs = malloc((a->D + widest_s + 64) * sizeof *a->rhs);
    a->sv = malloc((widest_s + 64) * sizeof *a->sv);
    a->fit = malloc((a->D + 1) * sizeof *a->fit);
    if (!a->right || !a->left || !a->left_next || !a->design || !a->rhs || !a->sv || !a->fit) {
        als_free(a);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate alternating least squares on %zu x %zu systems", a->D,
                        widest_s);
    }
    return DMF_OK;
}

/* R_k = M_{k+1} ... M_K at the probe columns, for every k. */
static void als_right(als *a, const double *h)
{
    const size_t K = a->K, P = a->P;
    double *last = a->right + a->right_at[K - 1];
    memset(last, 0, a->net->layers[K - 1].cols * P * sizeof *last);
    for (size_t j = 0; j < P; j++) last[a->net->probes[j] * P + j] = 1;
    for (size_t k = K - 1; k-- > 0;)
        dmf_layer_apply_left(&a->net->layers[k + 1], h + (k + 1) * a->S, a->right + a->right_at[k + 1], P,
                             a->right + a->right_at[k]);
}

/* Solves for layer k given L (rows x rows(M_k), column-major) and R_k. */
static int als_layer(als *a, size_t k, double *h)
{
    const dmf_layer *layer = &a->net->layers[k];
    const size_t D = a->D, P = a->P, n = layer->params, rows = a->rows;
    const double *R = a->right + a->right_at[k];
    memset(a->design, 0, D * n * sizeof *a->design);
    for (size_t p = 0; a->by_column && p < n; p++) {
        /* column p: M_1 ... M_{k-1} M_k(e_p) R, right to left */
        double *cur = a->col_a, *next = a->col_b;
        memset(cur, 0, layer->rows * P * sizeof *cur);
        for (size_t i = a->param_start[k][p]; i < a->param_start[k][p + 1]; i++) {
            const dmf_triplet *e = &layer->entries[a->by_param[k][i]];
            const double *r = R + e->col * P;
            double *c = cur + e->row * P;
            for (size_t j = 0; j < P; j++) c[j] += e->coef * r[j];
        }
        for (size_t j = k; j-- > 0;) {
            dmf_layer_apply_left(&a->net->layers[j], h + j * a->S, cur, P, next);
            double *swap = cur;
            cur = next;
            next = swap;
        }
        memcpy(a->design + p * D, cur, D * sizeof *cur);
    }
    for (size_t t = 0; !a->by_column && t < layer->count; t++) {
        const dmf_triplet *e = &layer->entries[t];
        if (e->coef == 0) continue;
        const double *l = a->left + e->row * rows, *r = R + e->col * P;
        double *g = a->design + e->param * D;
        for (size_t i = 0; i < rows; i++) {
            double li = e->coef * l[i];
            if (li == 0) continue;
            for (size_t j = 0; j < P; j++) g[i * P + j] += li * r[j];
        }
    }
    /* The minimum-norm solution (SVD-based, dgelsd) also when another
     * layer's zeros leave the system rank deficient. */
    memcpy(a->rhs, a->y, D * sizeof *a->rhs);
    lapack_int rank = 0;
    lapack_int info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)D, (lapack_int)n, 1, a->design, (lapack_int)D,
                                     a->rhs, (lapack_int)(D > n ? D : n), a->sv, -1.0, &rank);
    if (info != 0) return dmf_fail(DMF_ERR_NUMERIC, "layer %zu: LAPACK's least squares failed (info %d)", k + 1, (int)info);
    for (size_t j = 0; j < n; j++) h[k * a->S + j] = a->rhs[j];
    return DMF_OK;
}

/* ||X - M(h)||_F from the sample. */
static double als_residual(als *a, const double *h)
{
    /* M(h) at the probes: R_1 = M_2 ... M_K there, applied by M_1. */
    double *fit = a->fit;
    dmf_layer_apply_left(&a->net->layers[0], h, a->right + a->right_at[0], a->P, fit);
    double sq = 0;
    for (size_t i = 0; i < a->D; i++) sq += (a->y[i] - fit[i]) * (a->y[i] - fit[i]);
    return sqrt(a->weight * sq + a->outside);
}

/* Every layer to the same Euclidean norm, the product of norms kept. */
static void rebalance(const dmf_network *net, double *h)
{
    const size_t K = net->num_layers, S = net->num_params;
    double norms[DMF_MAX_LAYERS], log_mean = 0;
    for (size_t k = 0; k < K; k++) {
        double sq = 0;
        for (size_t j = 0; j < net->layers[k].params; j++) sq += h[k * S + j] * h[k * S + j];
        norms[k] = sqrt(sq);
        if (!(norms[k] > 0) || !isfinite(norms[k])) return;
        log_mean += log(norms[k]);
    }
    log_mean /= (double)K;
    for (size_t k = 0; k < K; k++) {
        double s = exp(log_mean - log(norms[k]));
        for (size_t j = 0; j < net->layers[k].params; j++) h[k * S + j] *= s;
    }
}

/* One start from h (overwritten by the estimate). */
static int als_run(als *a, double *h, const dmf_recover_options *opt, double *residual, size_t *iterations)
{
    const size_t K = a->K, rows = a->rows;
    double prev = INFINITY;
    *iterations = 0;
    for (size_t it = 0; it < opt->max_iterations; it++) {
        als_right(a, h);
        if (!a->by_column) {
            memset(a->left, 0, rows * rows * sizeof *a->left);
            for (size_t i = 0; i < rows; i++) a->left[i * rows + i] = 1;
        }
        for (size_t k = 0; k < K; k++) {
            DMF_TRY(als_layer(a, k, h));
            if (k + 1 < K && !a->by_column) {
                dmf_layer_apply_right(&a->net->layers[k], h + k * a->S, a->left, rows, a->left_next);
                double *swap = a->left;
                a->left = a->left_next;
                a->left_next = swap;
            }
        }
        rebalance(a->net, h);
        als_right(a, h);
        double r = als_residual(a, h);
        *iterations = it + 1;
        *residual = r;
        if (!isfinite(r)) return dmf_fail(DMF_ERR_NUMERIC, "the residual is not finite after sweep %zu", it + 1);
        if (r <= 1e-15 * a->norm_x || prev - r <= opt->tol * a->norm_x) break;
        prev = r;
    }
    return DMF_OK;
}

void dmf_recover_report_free(dmf_recover_report *rep)
{
    free(rep->h);
    free(rep->start_h);
    free(rep->start_residual);
    free(rep->start_iterations);
    memset(rep, 0, sizeof *rep);
}

/* One start of the per-edge solver from h (overwritten by the estimate):
 * the sweeps, rescaling and stopping rule of als_run; the residual that
 * stops it comes from the Fourier domain, the one reported from the
 * kernels of h.  Thread-safe (no error messages: a status only). */
static int edges_run(const edges_problem *p, edges_work *w, const dmf_network *net, double *h,
                     const dmf_recover_options *opt, double norm_x, double *residual, size_t *iterations)
{
    double prev = INFINITY;
    *iterations = 0;
    for (size_t it = 0; it < opt->max_iterations; it++) {
        double r = dmf_edges_sweep(p, w, h);
        rebalance(net, h);
        *iterations = it + 1;
        *residual = r;
        if (!isfinite(r)) return DMF_ERR_NUMERIC;
        if (r <= 1e-15 * norm_x || prev - r <= opt->tol * norm_x) break;
        prev = r;
    }
    *residual = dmf_edges_residual(p, w, h);
    return isfinite(*residual) ? DMF_OK : DMF_ERR_NUMERIC;
}

/* The starts of the per-edge solver, on up to two threads where a start
 * is worth it: starts are independent and their initial h drawn before,
 * so the estimates do not depend on the threads. */
static int edges_starts(const dmf_network *net, const double *kernels, double weight, double outside, double norm_x,
                        const dmf_recover_options *opt, dmf_recover_report *rep)
{
    const size_t K = net->num_layers, S = net->num_params, P = net->num_probes, N = net->signal_length;
    double per_sweep = (double)N * (double)net->num_params * (double)K;
    size_t threads = (size_t)omp_get_max_threads();
    if (threads > opt->restarts) threads = opt->restarts;
    if (per_sweep < 1e6 || threads < 1) threads = 1;
    DMF_TRY(dmf_memory_check(dmf_edges_bytes(net, threads), "the per-edge solver on %zu thread(s) (%zu kernels of "
                             "length %zu)", threads, P, N));
    edges_problem *prob = NULL;
    edges_work *work[64] = {0};
    if (threads > 64) threads = 64;
    int status = dmf_edges_problem_new(net, kernels, weight, outside, &prob);
    for (size_t t = 0; status == DMF_OK && t < threads; t++) status = dmf_edges_work_new(prob, &work[t]);
    int *failed = status == DMF_OK ? calloc(opt->restarts + 1, sizeof *failed) : NULL;
    if (status == DMF_OK && !failed) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu starts", opt->restarts);
    if (status == DMF_OK) {
        const long starts = (long)opt->restarts;
#pragma omp parallel for num_threads((int)threads) schedule(dynamic, 1)
        for (long s = 0; s < starts; s++)
            failed[s] = edges_run(prob, work[omp_get_thread_num()], net, rep->start_h + (size_t)s * K * S, opt, norm_x,
                                  &rep->start_residual[s], &rep->start_iterations[s]);
        for (size_t s = 0; s < opt->restarts && status == DMF_OK; s++)
            if (failed[s])
                status = dmf_fail(DMF_ERR_NUMERIC, "start %zu: the residual is not finite after sweep %zu", s,
                                  rep->start_iterations[s]);
    }
    free(failed);
    for (size_t t = 0; t < threads; t++) dmf_edges_work_free(work[t]);
    dmf_edges_problem_free(prob);
    return status;
}

/* The sample y (rows x P) and, for a convolutional network, the kernels
 * (P x N) are the same numbers in two layouts: one from the other. */
static int transposed(const double *a, size_t rows, size_t cols, double **out)
{
    DMF_TRY(dmf_memory_check(8.0 * (double)rows * (double)cols, "a copy of the %zu x %zu sample", rows, cols));
    double *t = *out = malloc((rows * cols + 1) * sizeof *t);
    if (!t) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a copy of the %zu x %zu sample", rows, cols);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
    return DMF_OK;
}

/* Recovery from the sample y of X (rows x num_probes, row-major) or, for a
 * convolutional network, from the kernels (num_probes x N), whichever is
 * not NULL, with ||X - M(h)||_F^2 = weight ||y - sample(h)||^2 + outside
 * and ||X||_F = norm_x. */
static int recover_sample(const dmf_network *net, const double *y, const double *kernels, double weight,
                          double outside, double norm_x, dmf_recover_options opt, dmf_recover_report *rep)
{
    const size_t K = net->num_layers, S = net->num_params, P = net->num_probes, rows = dmf_network_rows(net);
    char why[512] = "";
    int tree = net->conv && opt.solver != DMF_RECOVER_SOLVER_LAYERS && dmf_recover_edges_applies(net, why, sizeof why);
    if (opt.solver == DMF_RECOVER_SOLVER_EDGES && !tree) return dmf_fail(DMF_ERR_ARG, "%s", why);
    rep->solver = tree ? DMF_RECOVER_SOLVER_EDGES : DMF_RECOVER_SOLVER_LAYERS;
    double *own = NULL; /* the layout the caller did not give, where needed */
    if (!y && (!tree || opt.method == DMF_RECOVER_LIFTING)) {
        DMF_TRY(transposed(kernels, P, rows, &own));
        y = own;
    } else if (!kernels && tree) {
        DMF_TRY(transposed(y, rows, P, &own));
        kernels = own;
    }
    double *lifted = opt.method == DMF_RECOVER_LIFTING ? calloc(K * S + 1, sizeof *lifted) : NULL;
    int status = lifted || opt.method != DMF_RECOVER_LIFTING ? DMF_OK
                                                             : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the lifting's start");
    /* The lifting's start first: where the lifted operator is injective it
     * is the answer to rounding and one start suffices; elsewhere random
     * starts join it. */
    if (status == DMF_OK && lifted) {
        const dmf_backend *be = opt.ctx ? dmf_context_backend(opt.ctx) : dmf_backend_cpu();
        status = dmf_recover_lifted_start(be, net, y, opt.max_lifting_entries, lifted, &rep->lifting);
        rep->lifting.used = status == DMF_OK;
    }
    int injective = rep->lifting.used && rep->lifting.rank == rep->lifting.columns;
    if (!opt.restarts) opt.restarts = injective ? 1 : 10;
    if (status == DMF_OK)
        status = dmf_memory_check(8.0 * (double)opt.restarts * (double)(K * S + 2), "%zu starts", opt.restarts);
    if (status == DMF_OK) {
        rep->h = calloc(K * S + 1, sizeof *rep->h);
        rep->start_h = calloc(opt.restarts * K * S + 1, sizeof *rep->start_h);
        rep->start_residual = calloc(opt.restarts + 1, sizeof *rep->start_residual);
        rep->start_iterations = calloc(opt.restarts + 1, sizeof *rep->start_iterations);
        if (!rep->h || !rep->start_h || !rep->start_residual || !rep->start_iterations)
            status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu starts", opt.restarts);
    }
    /* Every start's h, drawn in order before any runs. */
    dmf_rng rng;
    dmf_rng_seed(&rng, opt.seed);
    for (size_t s = 0; status == DMF_OK && s < opt.restarts; s++) {
        double *h = rep->start_h + s * K * S;
        if (s == 0 && lifted) {
            memcpy(h, lifted, K * S * sizeof *h);
            /* Off the exact zeros a rank-one projection can leave: ALS keeps
             * a parameter at zero where its design column vanishes. */
            if (!injective)
                for (size_t k = 0; k < K; k++) {
                    double sq = 0;
                    for (size_t j = 0; j < net->layers[k].params; j++) sq += h[k * S + j] * h[k * S + j];
                    double size = 1e-3 * sqrt(sq / (double)(net->layers[k].params ? net->layers[k].params : 1));
                    for (size_t j = 0; j < net->layers[k].params; j++) h[k * S + j] += size * dmf_rng_normal(&rng);
                }
        } else {
            for (size_t k = 0; k < K; k++)
                for (size_t j = 0; j < net->layers[k].params; j++) h[k * S + j] = dmf_rng_normal(&rng);
        }
    }
    if (status == DMF_OK && tree) {
        status = edges_starts(net, kernels, weight, outside, norm_x, &opt, rep);
    } else if (status == DMF_OK) {
        als a;
        status = als_init(&a, net, y, weight, outside, norm_x); /* frees what it allocated when it fails */
        if (status == DMF_OK) {
            for (size_t s = 0; status == DMF_OK && s < opt.restarts; s++)
                status = als_run(&a, rep->start_h + s * K * S, &opt, &rep->start_residual[s], &rep->start_iterations[s]);
            als_free(&a);
        }
    }
    rep->residual = INFINITY;
    for (size_t s = 0; status == DMF_OK && s < opt.restarts; s++) {
        rep->total_iterations += rep->start_iterations[s];
        if (rep->start_residual[s] < rep->residual) {
            rep->residual = rep->start_residual[s];
            rep->best = s;
        }
    }
    if (status == DMF_OK) {
        memcpy(rep->h, rep->start_h + rep->best * K * S, K * S * sizeof *rep->h);
        rep->iterations = rep->start_iterations[rep->best];
        rep->restarts = opt.restarts;
        rep->rel_residual = norm_x > 0 ? rep->residual / norm_x : rep->residual;
    }
    free(lifted);
    free(own);
    return status;
}

static int check_options(const dmf_recover_options *options, dmf_recover_options *opt)
{
    *opt = options ? *options : (dmf_recover_options){0};
    if (!opt->max_lifting_entries) opt->max_lifting_entries = 20000000;
    if (opt->method != DMF_RECOVER_ALS && opt->method != DMF_RECOVER_LIFTING)
        return dmf_fail(DMF_ERR_ARG, "unknown recovery method %d", opt->method);
    if (opt->solver != DMF_RECOVER_SOLVER_AUTO && opt->solver != DMF_RECOVER_SOLVER_LAYERS &&
        opt->solver != DMF_RECOVER_SOLVER_EDGES)
        return dmf_fail(DMF_ERR_ARG, "unknown solver %d", opt->solver);
    if (!opt->max_iterations) opt->max_iterations = 500;
    if (!(opt->tol > 0)) opt->tol = 1e-15;
    return DMF_OK;
}

int dmf_recover(const dmf_network *net, const dmf_matrix *x, const dmf_recover_options *options,
                dmf_recover_report *rep)
{
    memset(rep, 0, sizeof *rep);
    double start = dmf_now_seconds();
    dmf_recover_options opt;
    DMF_TRY(check_options(options, &opt));
    const size_t P = net->num_probes, rows = dmf_network_rows(net);
    DMF_TRY(dmf_memory_check(8.0 * (double)rows * (double)P, "the sample of X (%zu x %zu)", rows, P));
    double *y = malloc((rows * P + 1) * sizeof *y), weight, outside;
    int status = y ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the sample of X (%zu x %zu)", rows, P);
    if (status == DMF_OK) status = dmf_network_reduce(net, x, y, &weight, &outside);
    if (status == DMF_OK) status = recover_sample(net, y, NULL, weight, outside, dmf_matrix_norm_fro(x), opt, rep);
    free(y);
    if (status != DMF_OK) dmf_recover_report_free(rep);
    rep->time_s = dmf_now_seconds() - start;
    return status;
}

int dmf_network_check_kernels(const dmf_network *net, const dmf_matrix *y)
{
    if (!net->conv)
        return dmf_fail(DMF_ERR_ARG, "leaf kernels describe the X of a convolutional network; this network is '%s': "
                                     "give X itself", net->kind);
    const size_t P = net->num_probes, N = net->signal_length;
    if (dmf_matrix_dtype(y) != DMF_F64 || dmf_matrix_rows(y) != P || dmf_matrix_cols(y) != N)
        return dmf_fail(DMF_ERR_SHAPE, "the kernels are a %zu x %zu %s array; this network's are leaves x N = %zu x %zu "
                                       "float64 (one row per leaf)", dmf_matrix_rows(y), dmf_matrix_cols(y),
                        dmf_dtype_name(dmf_matrix_dtype(y)), P, N);
    const double *data = dmf_matrix_const_data(y);
    for (size_t i = 0; i < P * N; i++)
        if (!isfinite(data[i]))
            return dmf_fail(DMF_ERR_NUMERIC, "the kernel of leaf '%s' (row %zu) is not finite at shift %zu",
                            dmf_network_leaf_name(net, i / N), i / N, i % N);
    return DMF_OK;
}

int dmf_recover_kernels(const dmf_network *net, const dmf_matrix *kernels, const dmf_recover_options *options,
                        dmf_recover_report *rep)
{
    memset(rep, 0, sizeof *rep);
    double start = dmf_now_seconds();
    dmf_recover_options opt;
    DMF_TRY(check_options(options, &opt));
    DMF_TRY(dmf_network_check_kernels(net, kernels));
    const size_t N = net->signal_length;
    /* X = [circ(y_1) | ... ]: its sample is the kernels, transposed, with
     * ||X - M(h)||_F^2 = N ||y - sample(h)||^2 exactly. */
    double norm_x = sqrt((double)N) * dmf_matrix_norm_fro(kernels);
    int status = recover_sample(net, NULL, dmf_matrix_const_data(kernels), (double)N, 0, norm_x, opt, rep);
    if (status != DMF_OK) dmf_recover_report_free(rep);
    rep->time_s = dmf_now_seconds() - start;
    return status;
}
