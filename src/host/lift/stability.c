/* The stability bounds of Malgouyres & Landsberg evaluated for a network,
 * a truth h (the h-bar of the papers), an estimate h* and the errors
 * delta = ||X - M(h-bar)||, eta = ||X - M(h*)||.
 *
 * Thm 4.3 (the inverse of the Segre embedding P(h) = h_1 x ... x h_K is
 * locally Lipschitz on classes): if ||P(h*) - P(h-bar)||_inf <=
 * max(||P(h-bar)||_inf, ||P(h*)||_inf) / 2 then for all p, q
 *     d_p(<h*>, <h-bar>) <= 7 (K S)^(1/p)
 *         min(||P(h-bar)||_inf^(1/K-1), ||P(h*)||_inf^(1/K-1)) ||P(h-bar) - P(h*)||_q;
 * dmf takes q = inf, the smallest right-hand side.  It bounds the distance
 * between classes by the distance between their tensors, whatever the
 * data: the first half of every recovery guarantee.
 *
 * Thm 8.4 (convolutional, sufficiently scattered): with
 * eps = min_e ||h-bar_e||_inf over the edge kernels and S' the largest
 * kernel support, delta + eta <= sqrt(N) eps^K / 2 implies
 *     delta_p({h*}, {h-bar}) <= 7 (K S')^(1/p) eps^(1-K) (delta + eta) / sqrt(N).
 *
 * Thm 7.2 (any network; SPARS 2017 Thm 1), with the deep-NSP constant
 * gamma of Ker A (deep_nsp.c): 1 when Ker A = {0} (T' = 0 is the only
 * kernel element); otherwise dmf_deep_nsp's estimate, a lower bound on the
 * smallest valid gamma, flagged in gamma_estimated (the bound then rests on
 * an estimate, not a proof); none when the property fails (gamma = inf) or
 * is not computable.  The model being R^{S_1} x ... x R^{S_K}, the set of
 * differences of rank-one tensors is a cone and the constant does not
 * depend on rho (deep_nsp.c), so the condition delta + eta <= rho is void.
 * Then, if gamma (delta + eta) / sigma_min <= max(||P(h-bar)||_inf,
 * ||P(h*)||_inf) / 2,
 *     d_p(<h*>, <h-bar>) <= 7 (K S)^(1/p) gamma / sigma_min
 *         min(||P(h-bar)||_inf^(1/K-1), ||P(h*)||_inf^(1/K-1)) (delta + eta),
 * with ||P(h)||_inf = prod_k ||h_k||_inf. */
#include <string.h>

#include "network.h"

static double root(double x, double p) { return isinf(p) ? 1.0 : pow(x, 1.0 / p); }

static void blank(dmf_stability_bound *out, const char *theorem)
{
    memset(out, 0, sizeof *out);
    out->theorem = theorem;
    out->bound = NAN;
    out->gamma = NAN;
    out->sigma_min = NAN;
    out->epsilon = NAN;
    out->error_limit = NAN;
    out->tensor_distance = NAN;
}

static double sup_product(const dmf_network *net, const double *h);

int dmf_stability_thm_4_3(const dmf_network *net, const double *truth, const double *estimate, double p,
                          size_t max_entries, dmf_stability_bound *out)
{
    blank(out, "Thm 4.3");
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    const size_t K = net->num_layers, S = net->num_params;
    size_t entries = 1;
    for (size_t k = 0; k < K; k++)
        if (!dmf_mul_size(entries, net->layers[k].params, &entries) || entries > max_entries) {
            out->why_not = "P(h) has more entries than the limit (the product of the layers' parameter counts)";
            return DMF_OK;
        }
    /* ||P(h-bar) - P(h*)||_inf over every tuple (i_1, ..., i_K). */
    size_t idx[DMF_MAX_LAYERS] = {0};
    double diff = 0;
    for (size_t e = 0; e < entries; e++) {
        double a = 1, b = 1;
        for (size_t k = 0; k < K; k++) {
            a *= truth[k * S + idx[k]];
            b *= estimate[k * S + idx[k]];
        }
        diff = fmax(diff, fabs(a - b));
        for (size_t j = K; j-- > 0;) {
            if (++idx[j] < net->layers[j].params) break;
            idx[j] = 0;
        }
    }
    double pt = sup_product(net, truth), pe = sup_product(net, estimate);
    out->tensor_distance = diff;
    out->error_limit = fmax(pt, pe) / 2; /* on ||P(h-bar) - P(h*)||_inf */
    if (!(pt > 0) || !(pe > 0)) {
        out->why_not = "a layer of the truth or the estimate is zero";
        return DMF_OK;
    }
    if (!(diff <= out->error_limit)) {
        out->why_not = "||P(h-bar) - P(h*)||_inf > max(||P(h-bar)||_inf, ||P(h*)||_inf) / 2";
        return DMF_OK;
    }
    double expo = 1.0 / (double)K - 1;
    out->bound = 7 * root((double)K * (double)S, p) * fmin(pow(pt, expo), pow(pe, expo)) * diff;
    out->holds = 1;
    return DMF_OK;
}

int dmf_stability_thm_8_4(const dmf_network *net, const double *truth, double delta, double eta, double p,
                          dmf_stability_bound *out)
{
    blank(out, "Thm 8.4");
    if (!net->conv) {
        out->why_not = "not a convolutional network";
        return DMF_OK;
    }
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    dmf_scatter_report sc;
    DMF_TRY(dmf_scatter(net, &sc));
    dmf_conv_edges g;
    DMF_TRY(dmf_conv_edges_get(net, &g));
    const size_t K = net->num_layers, S = net->num_params;
    double eps = INFINITY;
    size_t widest = 0;
    for (size_t e = 0; e < g.num_edges; e++) {
        const dmf_conv_edge *edge = &g.edges[e];
        double top = 0;
        for (size_t j = 0; j < edge->count; j++) top = fmax(top, fabs(truth[edge->layer * S + edge->first + j]));
        eps = fmin(eps, top);
        if (edge->count > widest) widest = edge->count;
    }
    dmf_conv_edges_free(&g);
    const double sqrt_n = sqrt((double)net->signal_length);
    out->epsilon = eps;
    out->error_limit = sqrt_n * pow(eps, (double)K) / 2;
    out->bound = 7 * root((double)K * (double)widest, p) * pow(eps, 1.0 - (double)K) * (delta + eta) / sqrt_n;
    if (!sc.scattered) out->why_not = "the topology is not sufficiently scattered (not identifiable)";
    else if (!(eps > 0)) out->why_not = "an edge kernel of the truth is zero (eps = 0)";
    else if (!(delta + eta <= out->error_limit)) out->why_not = "delta + eta > sqrt(N) eps^K / 2";
    out->holds = out->why_not == NULL;
    if (!out->holds) out->bound = NAN;
    return DMF_OK;
}

static double sup_product(const dmf_network *net, const double *h)
{
    double prod = 1;
    for (size_t k = 0; k < net->num_layers; k++) {
        double top = 0;
        for (size_t j = 0; j < net->layers[k].params; j++) top = fmax(top, fabs(h[k * net->num_params + j]));
        prod *= top;
    }
    return prod;
}

/* The bound of Thm 7.2 once sigma_min and gamma are known. */
static void thm_7_2_finish(const dmf_network *net, const double *truth, const double *estimate, double delta,
                           double eta, double p, double sigma_min, double gamma, dmf_stability_bound *out)
{
    out->gamma = gamma;
    const size_t K = net->num_layers, S = net->num_params;
    double pt = sup_product(net, truth), pe = sup_product(net, estimate);
    double tensor = gamma * (delta + eta) / sigma_min;
    out->error_limit = fmax(pt, pe) / 2 * sigma_min / gamma; /* on delta + eta */
    if (!(pt > 0) || !(pe > 0)) {
        out->why_not = "a layer of the truth or the estimate is zero";
        return;
    }
    if (!(tensor <= fmax(pt, pe) / 2)) {
        out->why_not = "gamma (delta + eta) / sigma_min > max(||P(h)||_inf, ||P(h*)||_inf) / 2";
        return;
    }
    double expo = 1.0 / (double)K - 1;
    out->bound = 7 * root((double)K * (double)S, p) * gamma / sigma_min * fmin(pow(pt, expo), pow(pe, expo)) *
                 (delta + eta);
    out->holds = 1;
}

static void thm_7_2_blank(dmf_stability_bound *out) { blank(out, "Thm 7.2"); }

int dmf_stability_thm_7_2_nsp(const dmf_network *net, const double *truth, const double *estimate, double delta,
                              double eta, double p, size_t max_entries, const dmf_deep_nsp_report *nsp,
                              dmf_stability_bound *out)
{
    thm_7_2_blank(out);
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    if (!nsp) return dmf_fail(DMF_ERR_ARG, "no deep-NSP report");
    size_t rank = 0;
    double sigma_min = nsp->sigma_min; /* from its SVD of A, where that ran */
    if (!isfinite(sigma_min) && dmf_lift_sigma_min(net, max_entries, &sigma_min, &rank) != DMF_OK) {
        out->why_not = "sigma_min not computed: the explicit lifted operator is too large";
        return DMF_OK;
    }
    out->sigma_min = sigma_min;
    if (!nsp->computed) {
        out->why_not = "Ker A is not {0} and the deep-NSP constant gamma is not computable here (the lifted "
                       "operator or its kernel is beyond the limits of the search)";
        return DMF_OK;
    }
    if (!nsp->holds) {
        out->gamma = INFINITY;
        out->why_not = "Ker A meets the differences of rank-one tensors: the deep-NSP fails (gamma = inf)";
        return DMF_OK;
    }
    out->gamma_estimated = nsp->estimated;
    thm_7_2_finish(net, truth, estimate, delta, eta, p, sigma_min, nsp->gamma, out);
    return DMF_OK;
}

int dmf_stability_thm_7_2(const dmf_network *net, const double *truth, const double *estimate, double delta,
                          double eta, double p, size_t max_entries, dmf_stability_bound *out)
{
    thm_7_2_blank(out);
    if (!(p >= 1)) return dmf_fail(DMF_ERR_ARG, "p must be in [1, inf], not %g", p);
    dmf_deep_nsp_options o = {.max_entries = max_entries};
    dmf_deep_nsp_report nsp;
    DMF_TRY(dmf_deep_nsp(net, &o, &nsp));
    return dmf_stability_thm_7_2_nsp(net, truth, estimate, delta, eta, p, max_entries, &nsp, out);
}
