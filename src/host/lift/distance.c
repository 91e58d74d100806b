/* Distances between parameter classes (Malgouyres & Landsberg, paper 001).
 *
 * d_p (Definition 4.1) between <h> and <g>, the classes up to per-layer
 * scaling with product 1: both are brought into R_diag (every layer with
 * the same sup norm, the geometric mean of the layers' sup norms), where a
 * class has only the 2^(K-1) representatives that differ by signs of
 * product +1.  The best signs are the best per layer, and when their
 * product is -1, those with one layer flipped: any other sign pattern of
 * product +1 flips more layers than one of these, and every extra flip
 * costs at least as much in each layer's term, for sums and for maxima.
 *
 * delta_p (Section 8) between path classes of a convolutional network:
 * (sum over leaf-root paths of d_p(<h^p>, <g^p>)^p)^(1/p), h^p the kernels
 * of the path's edges. */
#include <stdlib.h>
#include <string.h>

#include "distance.h"

static double lp_term(double v, double p) { return isinf(p) ? fabs(v) : pow(fabs(v), p); }
static double combine(double a, double b, double p) { return isinf(p) ? fmax(a, b) : a + b; }
static double finish(double sum, double p) { return isinf(p) ? sum : pow(sum, 1.0 / p); }

/* Sup norms per layer: 0 when a layer is zero (outside R_*). */
static int diag_scales(size_t K, const double *const *h, const size_t *len, double *scale)
{
    double log_mean = 0;
    for (size_t k = 0; k < K; k++) {
        double top = 0;
        for (size_t j = 0; j < len[k]; j++) top = fmax(top, fabs(h[k][j]));
        if (!(top > 0) || !isfinite(top))
            return dmf_fail(DMF_ERR_ARG, "layer %zu of a parameter vector is %s: the distance between classes "
                                         "needs every layer nonzero and finite", k + 1, top > 0 ? "not finite" : "zero");
        scale[k] = top;
        log_mean += log(top);
    }
    log_mean /= (double)K;
    for (size_t k = 0; k < K; k++) scale[k] = exp(log_mean - log(scale[k]));
    return DMF_OK;
}

int dmf_class_distance(size_t K, const double *const *h, const double *const *g, const size_t *len, double p,
                       double *out)
{
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    double sh[DMF_MAX_LAYERS], sg[DMF_MAX_LAYERS], plus[DMF_MAX_LAYERS], minus[DMF_MAX_LAYERS];
    DMF_TRY(diag_scales(K, h, len, sh));
    DMF_TRY(diag_scales(K, g, len, sg));
    size_t flips = 0;
    double best = 0;
    for (size_t k = 0; k < K; k++) {
        plus[k] = minus[k] = 0;
        for (size_t j = 0; j < len[k]; j++) {
            double a = sh[k] * h[k][j], b = sg[k] * g[k][j];
            plus[k] = combine(plus[k], lp_term(a - b, p), p);
            minus[k] = combine(minus[k], lp_term(a + b, p), p);
        }
        if (minus[k] < plus[k]) flips++;
        best = combine(best, fmin(plus[k], minus[k]), p);
    }
    if (flips % 2) {
        /* Flip back the layer where it costs least. */
        double least = INFINITY;
        for (size_t f = 0; f < K; f++) {
            double total = 0;
            for (size_t k = 0; k < K; k++) {
                int minus_best = minus[k] < plus[k];
                int use_minus = k == f ? !minus_best : minus_best;
                total = combine(total, use_minus ? minus[k] : plus[k], p);
            }
            least = fmin(least, total);
        }
        best = least;
    }
    *out = finish(best, p);
    return DMF_OK;
}

int dmf_param_distance_layers(const dmf_network *net, const double *h, const double *g, double p, double *d)
{
    const size_t K = net->num_layers, S = net->num_params;
    const double *hk[DMF_MAX_LAYERS], *gk[DMF_MAX_LAYERS];
    size_t len[DMF_MAX_LAYERS];
    for (size_t k = 0; k < K; k++) {
        hk[k] = h + k * S;
        gk[k] = g + k * S;
        len[k] = net->layers[k].params;
    }
    return dmf_class_distance(K, hk, gk, len, p, d);
}

typedef struct {
    const dmf_conv_edges *edges;
    const double *h, *g;
    size_t K, S;
    double p, sum;
} path_sum;

static int add_path(const size_t *path, void *data)
{
    path_sum *ps = data;
    const double *hk[DMF_MAX_LAYERS], *gk[DMF_MAX_LAYERS];
    size_t len[DMF_MAX_LAYERS];
    for (size_t k = 0; k < ps->K; k++) {
        const dmf_conv_edge *e = &ps->edges->edges[path[k]];
        hk[k] = ps->h + k * ps->S + e->first;
        gk[k] = ps->g + k * ps->S + e->first;
        len[k] = e->count;
    }
    double d;
    DMF_TRY(dmf_class_distance(ps->K, hk, gk, len, ps->p, &d));
    ps->sum = combine(ps->sum, lp_term(d, ps->p), ps->p);
    return DMF_OK;
}

int dmf_param_distance_paths(const dmf_network *net, const double *h, const double *g, double p, double *delta)
{
    if (!net->conv) return dmf_fail(DMF_ERR_ARG, "path classes are defined for convolutional networks");
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    dmf_conv_edges edges;
    DMF_TRY(dmf_conv_edges_get(net, &edges));
    path_sum ps = {&edges, h, g, net->num_layers, net->num_params, p, 0};
    int status = dmf_conv_paths_each(net, &edges, add_path, &ps);
    dmf_conv_edges_free(&edges);
    if (status == DMF_OK) *delta = finish(ps.sum, p);
    return status;
}

int dmf_param_distance(const dmf_network *net, const double *h, const double *g, double p, double *d_p,
                       double *delta_p)
{
    DMF_TRY(dmf_param_distance_layers(net, h, g, p, d_p));
    *delta_p = NAN;
    if (net->conv) DMF_TRY(dmf_param_distance_paths(net, h, g, p, delta_p));
    return DMF_OK;
}
