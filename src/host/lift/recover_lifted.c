/* The lifting's start for recovery (docs/liftrank.md, "Recovery"): X is
 * linear in the tensor T = h_1 (x) ... (x) h_K, X = A T, so
 *
 *   1. T_0 = the least-squares solution of A t = sample(X) of least norm;
 *   2. T_0 is projected on the rank-one tensors (Segre variety): the
 *      leading singular vector of every unfolding (HOSVD), then the
 *      higher-order power method;
 *   3. where A has a kernel, projected gradient steps on the variety
 *      (t <- P_1(t + A^T (y - A t) / sigma_max^2)) while the residual falls;
 *
 * and h is read off the rank-one tensor.  When A is injective (rank A =
 * S_1...S_K) and X noiseless, T_0 is the truth's tensor and h its class:
 * no random start is needed.  A is formed explicitly (D x S_1...S_K). */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "params.h"
#include "recover_lifted.h"

typedef struct {
    size_t K, dims[DMF_MAX_LAYERS], size; /* T is dims[0] x ... x dims[K-1], last index fastest */
} tensor_shape;

/* out[i_k] = sum over the other indices of t[...] prod_{j != k} h_j[i_j]. */
static void contract_all_but(const tensor_shape *sh, const double *t, double *const *h, size_t k, double *out)
{
    memset(out, 0, sh->dims[k] * sizeof *out);
    size_t idx[DMF_MAX_LAYERS] = {0};
    for (size_t c = 0; c < sh->size; c++) {
        double w = t[c];
        for (size_t j = 0; j < sh->K && w != 0; j++)
            if (j != k) w *= h[j][idx[j]];
        out[idx[k]] += w;
        for (size_t j = sh->K; j-- > 0;) {
            if (++idx[j] < sh->dims[j]) break;
            idx[j] = 0;
        }
    }
}

static double norm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

/* The leading left singular vector of the mode-k unfolding of t into v. */
static int leading_mode_vector(const tensor_shape *sh, const double *t, size_t k, double *v)
{
    size_t n = sh->dims[k], pre = 1, post = 1;
    for (size_t j = 0; j < k; j++) pre *= sh->dims[j];
    for (size_t j = k + 1; j < sh->K; j++) post *= sh->dims[j];
    double *g = calloc(n * n, sizeof *g), *w = malloc(n * sizeof *w);
    if (!g || !w) {
        free(g), free(w);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu Gram matrix", n, n);
    }
    for (size_t p = 0; p < pre; p++)
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b <= a; b++) {
                const double *ta = t + (p * n + a) * post, *tb = t + (p * n + b) * post;
                double s = 0;
                for (size_t q = 0; q < post; q++) s += ta[q] * tb[q];
                g[a * n + b] += s;
            }
    int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'L', (lapack_int)n, g, (lapack_int)n, w);
    if (info == 0)
        for (size_t a = 0; a < n; a++) v[a] = g[a * n + n - 1]; /* eigenvalues ascending */
    free(g), free(w);
    return info == 0 ? DMF_OK : dmf_fail(DMF_ERR_NUMERIC, "the eigensolver failed on mode %zu (info %d)", k + 1, info);
}

/* The best rank-one tensor lambda h_1 (x) ... (x) h_K near t (unit h_k):
 * HOSVD start, then the higher-order power method. */
static int rank_one(const tensor_shape *sh, const double *t, double *const *h, double *lambda)
{
    for (size_t k = 0; k < sh->K; k++) DMF_TRY(leading_mode_vector(sh, t, k, h[k]));
    double prev = 0;
    for (int it = 0; it < 200; it++) {
        for (size_t k = 0; k < sh->K; k++) {
            contract_all_but(sh, t, h, k, h[k]);
            double n = norm2(h[k], sh->dims[k]);
            if (!(n > 0)) {
                *lambda = 0;
                return DMF_OK;
            }
            for (size_t i = 0; i < sh->dims[k]; i++) h[k][i] /= n;
            *lambda = n;
        }
        if (fabs(*lambda - prev) <= 1e-15 * *lambda) break;
        prev = *lambda;
    }
    return DMF_OK;
}

static void outer(const tensor_shape *sh, double *const *h, double lambda, double *t)
{
    size_t idx[DMF_MAX_LAYERS] = {0};
    for (size_t c = 0; c < sh->size; c++) {
        double w = lambda;
        for (size_t j = 0; j < sh->K; j++) w *= h[j][idx[j]];
        t[c] = w;
        for (size_t j = sh->K; j-- > 0;) {
            if (++idx[j] < sh->dims[j]) break;
            idx[j] = 0;
        }
    }
}

/* r = y - A t (A column-major D x C); returns ||r||. */
static double residual(const double *a, size_t D, size_t C, const double *t, const double *y, double *r)
{
    memcpy(r, y, D * sizeof *r);
    for (size_t c = 0; c < C; c++)
        if (t[c] != 0)
            for (size_t d = 0; d < D; d++) r[d] -= a[c * D + d] * t[c];
    return norm2(r, D);
}

int dmf_recover_lifted_start(const dmf_backend *be, const dmf_network *net, const double *y, size_t max_entries,
                             double *h, dmf_lifting_report *rep)
{
    memset(rep, 0, sizeof *rep);
    double start = dmf_now_seconds();
    const size_t K = net->num_layers, S = net->num_params, P = net->num_probes, D = dmf_network_rows(net) * P;
    tensor_shape sh = {.K = K, .size = 1};
    for (size_t k = 0; k < K; k++) {
        sh.dims[k] = net->layers[k].params;
        if (!dmf_mul_size(sh.size, sh.dims[k], &sh.size)) sh.size = SIZE_MAX;
    }
    const size_t C = sh.size;
    size_t entries;
    if (C == SIZE_MAX || !dmf_mul_size(C, D, &entries) || entries > max_entries)
        return dmf_fail(DMF_ERR_SHAPE, "the lifting needs the explicit %zu x %zu operator (limit %zu entries): use "
                                       "alternating least squares", D, C, max_entries);
    DMF_TRY(dmf_memory_check(8.0 * (3.0 * (double)entries + 6.0 * (double)(C + D)), "the lifted operator (%zu x %zu)",
                             D, C));
    rep->columns = C;
    rep->sample_length = D;
    double *a = malloc(entries * sizeof *a), *work = malloc(entries * sizeof *work);
    double *t = calloc(C + D, sizeof *t), *step = malloc((C + D) * sizeof *step), *r = malloc(D * sizeof *r);
    double *sv = malloc((C < D ? C : D) * sizeof *sv + 8);
    double *hv[DMF_MAX_LAYERS], *tv[DMF_MAX_LAYERS], *hbuf = calloc(2 * K * S + 1, sizeof *hbuf);
    int status = a && work && t && step && r && sv && hbuf
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the lifted operator (%zu x %zu)", D, C);
    for (size_t k = 0; k < K && hbuf; k++) hv[k] = hbuf + k * S, tv[k] = hbuf + (K + k) * S;
    /* Column c of A: the sample of h = (e_{i_1}, ..., e_{i_K}), c's digits,
     * all columns at once on the backend; scaled back where the layers'
     * coefficients needed a power of two to stay in range. */
    int log2_scale = 0;
    if (status == DMF_OK) status = dmf_lift_operator(be, net, C, a, &log2_scale);
    for (size_t e = 0; status == DMF_OK && log2_scale && e < entries; e++) {
        a[e] = ldexp(a[e], log2_scale);
        if (!isfinite(a[e]))
            status = dmf_fail(DMF_ERR_NUMERIC, "the lifted operator has entries beyond the range of double");
    }
    /* 1. The least-squares tensor of least norm (dgelsd: column-major,
     * the right-hand side padded to max(D, C)). */
    if (status == DMF_OK) {
        memcpy(work, a, entries * sizeof *work);
        memcpy(t, y, D * sizeof *t);
        lapack_int rank = 0;
        lapack_int ld = (lapack_int)(D > C ? D : C);
        int info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)D, (lapack_int)C, 1, work, (lapack_int)D, t, ld, sv,
                                  (double)(D > C ? D : C) * DBL_EPSILON, &rank);
        if (info != 0) status = dmf_fail(DMF_ERR_NUMERIC, "the least-squares solve of the lifting failed (info %d)", info);
        rep->rank = (size_t)rank;
        rep->sigma_max = sv[0];
    }
    double norm_y = norm2(y, D), lambda = 0;
    if (status == DMF_OK) rep->ls_rel_residual = norm_y > 0 ? residual(a, D, C, t, y, r) / norm_y : 0;
    /* 2. Its rank-one projection. */
    if (status == DMF_OK) status = rank_one(&sh, t, hv, &lambda);
    if (status == DMF_OK) outer(&sh, hv, lambda, step);
    double best = status == DMF_OK ? residual(a, D, C, step, y, r) : INFINITY;
    /* 3. Projected gradient on the variety, where A has a kernel. */
    const double mu = rep->sigma_max > 0 ? 1 / (rep->sigma_max * rep->sigma_max) : 0;
    for (size_t it = 0; status == DMF_OK && rep->rank < C && it < 500 && best > 1e-14 * norm_y; it++) {
        memcpy(t, step, C * sizeof *t);
        for (size_t c = 0; c < C; c++) {
            double g = 0;
            for (size_t d = 0; d < D; d++) g += a[c * D + d] * r[d];
            t[c] += mu * g;
        }
        double trial_lambda;
        status = rank_one(&sh, t, tv, &trial_lambda);
        if (status != DMF_OK) break;
        outer(&sh, tv, trial_lambda, t);
        double res = residual(a, D, C, t, y, r);
        rep->iterations = it + 1;
        if (!(res < best * (1 - 1e-12))) break;
        best = res;
        lambda = trial_lambda;
        memcpy(hbuf, tv[0], K * S * sizeof *hbuf);
        memcpy(step, t, C * sizeof *t);
    }
    /* h from the rank-one tensor: |lambda|^(1/K) on every layer, its sign
     * on the first. */
    if (status == DMF_OK) {
        double each = pow(fabs(lambda), 1.0 / (double)K);
        memset(h, 0, K * S * sizeof *h);
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < sh.dims[k]; i++)
                h[k * S + i] = hv[k][i] * each * (k == 0 && lambda < 0 ? -1 : 1);
        rep->rel_residual = norm_y > 0 ? best / norm_y : 0;
    }
    free(a), free(work), free(t), free(step), free(r), free(sv), free(hbuf);
    rep->time_s = dmf_now_seconds() - start;
    return status;
}
