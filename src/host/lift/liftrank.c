/* Monte Carlo rank of the lifted operator (Malgouyres & Landsberg,
 * Prop. 5.3): for Gaussian h^r the samples vec(A P(h^r)) span a space of
 * dimension min(R, rk A) with probability one, so R grows until the rank
 * stops below it.  Everything is float64 and the rank comes from the
 * singular values of the tall D x R sample matrix itself: its Gram matrix
 * would square the condition number and lose the small singular values
 * that deep products produce. */
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "network.h"
#include "scale.h"

/* Views of the layers for the backend kernels. */
static void layer_views(const dmf_network *net, dmf_sparse_layer *views)
{
    for (size_t k = 0; k < net->num_layers; k++)
        views[k] = (dmf_sparse_layer){net->layers[k].rows, net->layers[k].cols, net->layers[k].count,
                                      net->layers[k].entries};
}

size_t dmf_lift_sample_length(const dmf_network *net)
{
    return dmf_network_rows(net) * net->num_probes;
}

/* Binary exponents of the largest and the smallest nonzero |coef| of each
 * parameter of a layer: top[p] and bottom[p] (INT_MIN and INT_MAX for a
 * parameter whose coefficients are all 0). */
static void param_exponents(const dmf_layer *layer, int *top, int *bottom)
{
    for (size_t p = 0; p < layer->params; p++) top[p] = INT_MIN, bottom[p] = INT_MAX;
    for (size_t t = 0; t < layer->count; t++) {
        double c = fabs(layer->entries[t].coef);
        size_t p = layer->entries[t].param;
        int x;
        if (c == 0 || !isfinite(c)) continue;
        frexp(c, &x);
        top[p] = x > top[p] ? x : top[p];
        bottom[p] = x < bottom[p] ? x : bottom[p];
    }
}

/* The largest spread, in binary orders, of the exponents e[0..count) that
 * are not INT_MIN. */
static int exponent_spread(const int *e, size_t count)
{
    int lo = INT_MAX, hi = INT_MIN;
    for (size_t p = 0; p < count; p++)
        if (e[p] != INT_MIN) lo = e[p] < lo ? e[p] : lo, hi = e[p] > hi ? e[p] : hi;
    return hi >= lo ? hi - lo : 0;
}

/* Parameters whose coefficients differ by more than this many binary
 * orders inside one layer are drawn at scales that even them out: beyond
 * it the machine-precision rank rule (and the others with it) no longer
 * sees the small ones' directions next to the large ones'. */
enum { PARAM_SPREAD_LIMIT = 26 };

/* Layer views whose coefficients are rescaled by powers of two (exact),
 * which leaves every rank unchanged:
 *  - per parameter, when the coefficients of one layer spread beyond
 *    PARAM_SPREAD_LIMIT: coef * 2^-e(param), i.e. h[param] drawn with
 *    standard deviation 2^-e(param); the samples then span the image of
 *    A D for a nonsingular diagonal D, of the same dimension as A's, and
 *    the spectrum is that of the rescaled samples;
 *  - per layer, when the layers' largest coefficients multiply beyond
 *    what double holds comfortably (their exponents add up to more than
 *    400 in absolute value): the lifted operator is multilinear, so this
 *    scales it by 2^-*log2_scale and the singular values are scaled back.
 * Ordinary coefficients are used as they are.  *copy (free() it) holds the
 * scaled triplets; *residual_spread: the largest spread (binary orders) of
 * the coefficients of one parameter of one layer, which no such scaling
 * evens out.  The explicit operator (params_rescaled NULL) keeps A itself:
 * per layer only. */
static int scaled_layer_views(const dmf_network *net, dmf_sparse_layer *views, dmf_triplet **copy,
                              int *log2_scale, int *params_rescaled, int *residual_spread)
{
    int ignored_flag, ignored_spread;
    const int may_rescale = params_rescaled != NULL;
    if (!params_rescaled) params_rescaled = &ignored_flag, residual_spread = &ignored_spread;
    int e[DMF_MAX_LAYERS];
    long spread = 0, total = 0, entries = 0;
    *copy = NULL;
    *log2_scale = 0;
    *params_rescaled = 0;
    *residual_spread = 0;
    layer_views(net, views);
    size_t most_params = 1;
    for (size_t k = 0; k < net->num_layers; k++)
        most_params = net->layers[k].params > most_params ? net->layers[k].params : most_params;
    int *pe = malloc(2 * most_params * sizeof *pe), *bottom = pe + most_params;
    if (!pe) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the parameters' exponents");
    int rescale = 0;
    for (size_t k = 0; k < net->num_layers && may_rescale; k++) {
        param_exponents(&net->layers[k], pe, bottom);
        rescale = rescale || exponent_spread(pe, net->layers[k].params) > PARAM_SPREAD_LIMIT;
        for (size_t p = 0; p < net->layers[k].params; p++)
            if (pe[p] != INT_MIN && pe[p] - bottom[p] > *residual_spread) *residual_spread = pe[p] - bottom[p];
    }
    if (rescale) {
        for (size_t k = 0; k < net->num_layers; k++) entries += (long)net->layers[k].count;
        *copy = malloc(((size_t)entries + 1) * sizeof **copy);
        if (!*copy) {
            free(pe);
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the scaled coefficients");
        }
        dmf_triplet *next = *copy;
        for (size_t k = 0; k < net->num_layers; k++) {
            const dmf_layer *layer = &net->layers[k];
            param_exponents(layer, pe, bottom);
            for (size_t t = 0; t < layer->count; t++) {
                next[t] = layer->entries[t];
                int top = pe[next[t].param];
                if (top != INT_MIN) next[t].coef = ldexp(next[t].coef, -top);
            }
            views[k].entries = next;
            next += layer->count;
        }
        *params_rescaled = 1;
        free(pe);
        return DMF_OK;
    }
    free(pe);
    for (size_t k = 0; k < net->num_layers; k++) {
        double top = 0;
        for (size_t t = 0; t < net->layers[k].count; t++)
            top = fmax(top, fabs(net->layers[k].entries[t].coef));
        e[k] = 0;
        if (top > 0 && isfinite(top)) frexp(top, &e[k]);
        spread += e[k] < 0 ? -e[k] : e[k];
        total += e[k];
        entries += (long)net->layers[k].count;
    }
    if (spread <= 400) return DMF_OK;
    *copy = malloc(((size_t)entries + 1) * sizeof **copy);
    if (!*copy) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the scaled coefficients");
    dmf_triplet *next = *copy;
    for (size_t k = 0; k < net->num_layers; k++) {
        for (size_t t = 0; t < net->layers[k].count; t++) {
            next[t] = net->layers[k].entries[t];
            next[t].coef = ldexp(next[t].coef, -e[k]);
        }
        views[k].entries = next;
        next += net->layers[k].count;
    }
    *log2_scale = (int)total;
    return DMF_OK;
}

/* Singular values of the scaled operator back to the true scale:
 * DMF_ERR_NUMERIC when they leave double's range, with the rank, which
 * does not depend on the scale. */
static int unscale_spectrum(double *sv, size_t count, int log2_scale, size_t rank)
{
    for (size_t i = 0; log2_scale && i < count; i++) sv[i] = ldexp(sv[i], log2_scale);
    if (count && (isinf(sv[0]) || (rank > 0 && sv[0] < DBL_MIN)))
        return dmf_fail(DMF_ERR_NUMERIC, "the rank is %zu, but the singular values of the lifted "
                                         "operator (about 2^%d) are beyond the range of double; "
                                         "scale the coefficients towards 1", rank, log2_scale);
    return DMF_OK;
}

/* Number of index tuples i in [S_1] x ... x [S_K] (the monomials of P(h)
 * that can reach X), an upper bound of rk A; saturates at SIZE_MAX. */
static size_t monomial_bound(const dmf_network *net)
{
    size_t bound = 1;
    for (size_t k = 0; k < net->num_layers; k++)
        if (!dmf_mul_size(bound, net->layers[k].params, &bound)) return SIZE_MAX;
    return bound;
}

/* Singular values of the column-major D x R matrix (destroyed), descending.
 * LAPACK runs on a padded buffer of our own (see core/svd.c). */
int dmf_singular_values(double *a, size_t rows, size_t cols, double *sv)
{
    size_t k = rows < cols ? rows : cols;
    /* LAPACK would print its own complaint and answer nonsense. */
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(a[i]))
            return dmf_fail(DMF_ERR_NUMERIC, "entry (%zu, %zu) of the sample matrix is not finite: "
                                             "the products of the coefficients overflow",
                            i % rows, i / rows);
    double query = 0;
    lapack_int *iwork = calloc(8 * k + 64, sizeof *iwork);
    if (!iwork) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate SVD workspace");
    LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', (lapack_int)rows, (lapack_int)cols, a, (lapack_int)rows,
                        sv, NULL, 1, NULL, 1, &query, -1, iwork);
    lapack_int lwork = (lapack_int)query;
    double *work = calloc((size_t)lwork + 64, sizeof *work);
    lapack_int info = work ? LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', (lapack_int)rows, (lapack_int)cols,
                                                 a, (lapack_int)rows, sv, NULL, 1, NULL, 1, work, lwork, iwork)
                           : -1000;
    free(work);
    free(iwork);
    if (info == -1000) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate SVD workspace");
    if (info != 0) return dmf_fail(DMF_ERR_NUMERIC, "LAPACK's SVD did not converge (info %d)", (int)info);
    return DMF_OK;
}

/* The three rank rules of the report on a descending spectrum. */
static void rank_rules(const double *sv, size_t count, size_t rows, size_t cols, dmf_liftrank_report *rep)
{
    double top = count ? sv[0] : 0, big = (double)(rows > cols ? rows : cols);
    rep->rank_eps = rep->rank_sqrt_eps = 0;
    for (size_t i = 0; i < count; i++) {
        if (sv[i] > big * DBL_EPSILON * top) rep->rank_eps = i + 1;
        if (sv[i] > sqrt(DBL_EPSILON) * top) rep->rank_sqrt_eps = i + 1;
    }
    /* Largest relative drop whose upper side is above rounding level (below
     * it the ratios of noise are meaningless); no drop of 10x: full rank. */
    double best = 10;
    rep->rank_gap = top > 0 ? count : 0;
    for (size_t i = 0; i + 1 < count && top > 0 && sv[i] > DBL_EPSILON * top; i++) {
        double ratio = sv[i + 1] > 0 ? sv[i] / sv[i + 1] : INFINITY;
        if (ratio > best) best = ratio, rep->rank_gap = i + 1;
        if (sv[i + 1] == 0) break;
    }
    rep->rank = rep->rank_eps;
    rep->rules_agree = rep->rank_eps == rep->rank_gap && rep->rank_eps == rep->rank_sqrt_eps;
    size_t r = rep->rank;
    rep->gap = r >= 1 && r < count ? (sv[r] > 0 ? sv[r - 1] / sv[r] : INFINITY) : INFINITY;
}

int dmf_liftrank(dmf_context *ctx, const dmf_network *net, uint64_t seed, size_t initial_samples,
                 dmf_liftrank_report *rep)
{
    memset(rep, 0, sizeof *rep);
    double start = dmf_now_seconds();
    const dmf_backend *backend = dmf_context_backend(ctx);
    const size_t K = net->num_layers, S = net->num_params, D = dmf_lift_sample_length(net);
    /* The tuples off every valid path are in the kernel of A: counting
     * only the others caps R far lower on branching networks. */
    size_t bound;
    const char *rule;
    DMF_TRY(dmf_network_valid_monomials(net, &bound, &rule));
    rep->upper_bound = bound < D ? bound : D;
    rep->sample_length = D;
    dmf_sparse_layer views[DMF_MAX_LAYERS];
    dmf_triplet *scaled = NULL;
    int log2_scale;
    DMF_TRY(scaled_layer_views(net, views, &scaled, &log2_scale, &rep->params_rescaled, &rep->residual_spread_log2));

    size_t R = initial_samples ? initial_samples : 16;
    if (R > rep->upper_bound + 1) R = rep->upper_bound + 1;
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    double *samples = NULL, *h = NULL, *copy = NULL, *sv = NULL;
    size_t have = 0;
    int status = DMF_OK;
    for (;;) {
        size_t bytes;
        if (!dmf_mul_size(D, R, &bytes) || !dmf_mul_size(bytes, sizeof(double), &bytes)) {
            status = dmf_fail(DMF_ERR_NOMEM, "a %zu x %zu sample matrix is too large", D, R);
            break;
        }
        /* The samples, their copy for the SVD, the parameters and dgesdd's
         * workspace: refused with the figure before they grow. */
        double mn = (double)(D < R ? D : R), mx = (double)(D < R ? R : D);
        status = dmf_memory_check(8.0 * (2.0 * (double)bytes / 8 + (double)R * (double)K * (double)S + 4 * mn + mx +
                                         7 * mn + 64),
                                  "liftrank with %zu samples of length %zu", R, D);
        if (status != DMF_OK) break;
        double *grown = realloc(samples, bytes);
        double *grown_h = realloc(h, R * K * S * sizeof *h);
        double *grown_copy = realloc(copy, bytes), *grown_sv = realloc(sv, (R + 1) * sizeof *sv);
        /* Keep every old pointer on failure so the cleanup below frees it. */
        if (grown) samples = grown;
        if (grown_h) h = grown_h;
        if (grown_copy) copy = grown_copy;
        if (grown_sv) sv = grown_sv;
        if (!grown || !grown_h || !grown_copy || !grown_sv) {
            status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu samples of length %zu", R, D);
            break;
        }
        /* New samples continue the same random stream, so a larger R
         * extends the sample set of a smaller one. */
        for (size_t e = have * K * S; e < R * K * S; e++) h[e] = dmf_rng_normal(&rng);
        status = backend->lift_samples(K, views, S, net->probes, net->num_probes, R - have,
                                       h + have * K * S, samples + have * D);
        if (status != DMF_OK) break;
        have = R;
        memcpy(copy, samples, bytes);
        status = dmf_singular_values(copy, D, R, sv);
        if (status != DMF_OK) break;
        size_t count = D < R ? D : R;
        rank_rules(sv, count, D, R, rep);
        rep->samples = R;
        if (rep->rank < R || R > rep->upper_bound) break;
        /* Doubling that would reach the bound goes straight past it: the
         * rank can be no larger, and one SVD of that size is saved. */
        R = 2 * R >= rep->upper_bound ? rep->upper_bound + 1 : 2 * R;
    }
    if (status == DMF_OK)
        status = unscale_spectrum(sv, D < rep->samples ? D : rep->samples, log2_scale, rep->rank);
    if (status == DMF_OK) {
        rep->reached_bound = rep->rank == rep->upper_bound;
        rep->spectrum_length = D < rep->samples ? D : rep->samples;
        rep->spectrum = sv;
        sv = NULL;
    }
    free(samples);
    free(h);
    free(copy);
    free(sv);
    free(scaled);
    rep->time_s = dmf_now_seconds() - start;
    return status;
}

void dmf_liftrank_report_free(dmf_liftrank_report *rep)
{
    free(rep->spectrum);
    rep->spectrum = NULL;
}

int dmf_lift_sigma_min(const dmf_network *net, size_t max_entries, double *sigma_min, size_t *rank)
{
    const size_t K = net->num_layers, S = net->num_params, D = dmf_lift_sample_length(net);
    size_t columns = monomial_bound(net), entries;
    if (columns == SIZE_MAX || !dmf_mul_size(columns, D, &entries) || entries > max_entries)
        return dmf_fail(DMF_ERR_SHAPE,
                        "the explicit lifted operator would have %zu x %zu entries (limit %zu)", D,
                        columns, max_entries);
    DMF_TRY(dmf_memory_check(8.0 * ((double)columns * (double)K * (double)S + 2.0 * (double)entries),
                             "the explicit lifted operator (%zu x %zu)", D, columns));
    double *a = malloc((entries + 1) * sizeof *a);
    double *sv = malloc(((D < columns ? D : columns) + 1) * sizeof *sv);
    int status = a && sv ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the lifted operator");
    int log2_scale = 0;
    if (status == DMF_OK) status = dmf_lift_operator(dmf_backend_cpu(), net, columns, a, &log2_scale);
    if (status == DMF_OK) status = dmf_singular_values(a, D, columns, sv);
    if (status == DMF_OK) {
        size_t count = D < columns ? D : columns;
        double big = (double)(D > columns ? D : columns), tol = big * DBL_EPSILON * sv[0];
        size_t r = 0;
        while (r < count && sv[r] > tol) r++;
        /* Every entry of a convolutional X repeats its kernel entry N times. */
        double scale = net->conv ? sqrt((double)net->signal_length) : 1.0;
        *sigma_min = r ? ldexp(sv[r - 1], log2_scale) * scale : 0;
        *rank = r;
        if (r && (isinf(*sigma_min) || *sigma_min < DBL_MIN))
            status = dmf_fail(DMF_ERR_NUMERIC, "sigma_min of the lifted operator (about 2^%d, rank %zu) "
                                               "is beyond the range of double", log2_scale, r);
    }
    free(a);
    free(sv);
    return status;
}

int dmf_lift_operator(const dmf_backend *be, const dmf_network *net, size_t columns, double *a, int *log2_scale)
{
    const size_t K = net->num_layers, S = net->num_params;
    size_t values;
    if (!dmf_mul_size(columns, K * S, &values)) return dmf_fail(DMF_ERR_SHAPE, "%zu operator columns are too many", columns);
    double *h = calloc(values + 1, sizeof *h);
    if (!h) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the basis of %zu operator columns", columns);
    for (size_t c = 0; c < columns; c++) {
        size_t rest = c;
        for (size_t k = K; k-- > 0;) {
            size_t p = net->layers[k].params;
            h[(c * K + k) * S + rest % p] = 1;
            rest /= p;
        }
    }
    dmf_sparse_layer views[DMF_MAX_LAYERS];
    dmf_triplet *scaled = NULL;
    int status = scaled_layer_views(net, views, &scaled, log2_scale, NULL, NULL);
    if (status == DMF_OK)
        status = be->lift_samples(K, views, S, net->probes, net->num_probes, columns, h, a);
    free(scaled);
    free(h);
    return status;
}
