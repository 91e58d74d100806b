/* Parameters h = (h_1 ... h_K) of a network: X = M_1(h_1) ... M_K(h_K)
 * for given h, random networks X = M(h) + e, and the reduction of a given
 * X to the sample that determines M(h) (all columns for a general network,
 * one column per leaf for a convolutional one).  h is K x S row-major, row
 * k holding h_{k+1} in its first S_{k+1} entries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "params.h"

/* out (rows(M_k) x P, row-major) = M_k(h) in (cols(M_k) x P). */
void dmf_layer_apply_left(const dmf_layer *layer, const double *h, const double *in, size_t P, double *out)
{
    memset(out, 0, layer->rows * P * sizeof *out);
    for (size_t t = 0; t < layer->count; t++) {
        const dmf_triplet *e = &layer->entries[t];
        double a = e->coef * h[e->param];
        if (a == 0) continue;
        const double *src = in + e->col * P;
        double *dst = out + e->row * P;
        for (size_t j = 0; j < P; j++) dst[j] += a * src[j];
    }
}

/* out (n x cols(M_k), column-major) = in (n x rows(M_k), column-major) M_k(h). */
void dmf_layer_apply_right(const dmf_layer *layer, const double *h, const double *in, size_t n, double *out)
{
    memset(out, 0, layer->cols * n * sizeof *out);
    for (size_t t = 0; t < layer->count; t++) {
        const dmf_triplet *e = &layer->entries[t];
        double a = e->coef * h[e->param];
        if (a == 0) continue;
        const double *src = in + e->row * n;
        double *dst = out + e->col * n;
        for (size_t i = 0; i < n; i++) dst[i] += a * src[i];
    }
}

const char *dmf_network_type(const dmf_network *net) { return net->kind; }

size_t dmf_network_widest(const dmf_network *net)
{
    size_t widest = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        if (net->layers[k].rows > widest) widest = net->layers[k].rows;
        if (net->layers[k].cols > widest) widest = net->layers[k].cols;
    }
    return widest;
}

int dmf_network_sample(const dmf_network *net, const double *h, double *y)
{
    const size_t K = net->num_layers, S = net->num_params, P = net->num_probes, W = dmf_network_widest(net);
    DMF_TRY(dmf_memory_check(16.0 * (double)W * (double)P, "two %zu x %zu products", W, P));
    double *a = calloc(W * P + 1, sizeof *a), *b = calloc(W * P + 1, sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate two %zu x %zu products", W, P);
    }
    for (size_t j = 0; j < P; j++) a[net->probes[j] * P + j] = 1;
    for (size_t k = K; k-- > 0;) {
        dmf_layer_apply_left(&net->layers[k], h + k * S, a, P, b);
        double *swap = a;
        a = b;
        b = swap;
    }
    memcpy(y, a, dmf_network_rows(net) * P * sizeof *y);
    free(a);
    free(b);
    return DMF_OK;
}

/* Column idx(f) N + t of a convolutional X is the shift by t of column
 * idx(f) N (docs/liftrank.md). */
static void expand(const dmf_network *net, const double *y, double *x)
{
    const size_t rows = dmf_network_rows(net), cols = dmf_network_cols(net), P = net->num_probes;
    if (!net->conv) {
        memcpy(x, y, rows * cols * sizeof *x);
        return;
    }
    const size_t N = net->signal_length;
    for (size_t f = 0; f < P; f++)
        for (size_t t = 0; t < N; t++)
            for (size_t s = 0; s < rows; s++) x[((s + t) % N) * cols + f * N + t] = y[s * P + f];
}

int dmf_network_apply_params(const dmf_network *net, const double *h, dmf_matrix **x)
{
    *x = NULL;
    const size_t rows = dmf_network_rows(net), cols = dmf_network_cols(net), P = net->num_probes;
    DMF_TRY(dmf_memory_check(8.0 * ((double)rows * (double)cols + (double)rows * (double)P), "X (%zu x %zu)", rows,
                             cols));
    double *y = malloc((rows * P + 1) * sizeof *y);
    if (!y) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the sample of X");
    int status = dmf_network_sample(net, h, y);
    if (status == DMF_OK) status = dmf_matrix_create(x, DMF_F64, rows, cols);
    if (status == DMF_OK) expand(net, y, dmf_matrix_data(*x));
    free(y);
    return status;
}

int dmf_network_residual(const dmf_network *net, const dmf_matrix *x, const double *h, double *residual)
{
    *residual = NAN;
    if (dmf_matrix_dtype(x) != DMF_F64 || dmf_matrix_rows(x) != dmf_network_rows(net) ||
        dmf_matrix_cols(x) != dmf_network_cols(net))
        return dmf_fail(DMF_ERR_SHAPE, "X is a %zu x %zu %s matrix; the network's is %zu x %zu float64",
                        dmf_matrix_rows(x), dmf_matrix_cols(x), dmf_dtype_name(dmf_matrix_dtype(x)),
                        dmf_network_rows(net), dmf_network_cols(net));
    dmf_matrix *mh;
    DMF_TRY(dmf_network_apply_params(net, h, &mh));
    const double *a = dmf_matrix_const_data(x), *b = dmf_matrix_const_data(mh);
    double sq = 0;
    for (size_t i = 0; i < dmf_matrix_rows(x) * dmf_matrix_cols(x); i++) sq += (a[i] - b[i]) * (a[i] - b[i]);
    *residual = sqrt(sq);
    dmf_matrix_free(mh);
    return DMF_OK;
}

/* h of i.i.d. N(0, 1) entries, S_k per layer and zeros beyond (the same h
 * for the same seed whichever form X is drawn in). */
static void draw_params(const dmf_network *net, dmf_rng *rng, double *h)
{
    const size_t K = net->num_layers, S = net->num_params;
    memset(h, 0, K * S * sizeof *h);
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < net->layers[k].params; j++) h[k * S + j] = dmf_rng_normal(rng);
}

/* Adds Gaussian e, drawn after h, rescaled to ||e|| = noise ||data||
 * exactly; returns ||e||, or -1 (out of memory). */
static double add_noise(dmf_rng *rng, double *data, size_t n, double noise)
{
    double *e = malloc((n + 1) * sizeof *e);
    if (!e) return -1;
    double signal = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        e[i] = dmf_rng_normal(rng);
        norm += e[i] * e[i];
        signal += data[i] * data[i];
    }
    double scale = norm > 0 ? noise * sqrt(signal / norm) : 0;
    for (size_t i = 0; i < n; i++) data[i] += scale * e[i];
    free(e);
    return scale * sqrt(norm);
}

/* Draws h, forms the matrix `form` makes of it (X or the kernels) and adds
 * the noise; *noise_norm is ||e|| times `noise_weight`. */
static int synth(const dmf_network *net, uint64_t seed, double noise, double *h, dmf_matrix **out,
                 double *noise_norm, int (*form)(const dmf_network *, const double *, dmf_matrix **),
                 double noise_weight)
{
    *out = NULL;
    *noise_norm = 0;
    if (!(noise >= 0) || !isfinite(noise))
        return dmf_fail(DMF_ERR_ARG, "the noise level must be finite and >= 0, not %g", noise);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    draw_params(net, &rng, h);
    DMF_TRY(form(net, h, out));
    if (noise == 0) return DMF_OK;
    double e = add_noise(&rng, dmf_matrix_data(*out), dmf_matrix_rows(*out) * dmf_matrix_cols(*out), noise);
    if (e < 0) {
        dmf_matrix_free(*out);
        *out = NULL;
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the noise");
    }
    *noise_norm = noise_weight * e;
    return DMF_OK;
}

int dmf_network_synth(const dmf_network *net, uint64_t seed, double noise, double *h, dmf_matrix **x,
                      double *noise_norm)
{
    return synth(net, seed, noise, h, x, noise_norm, dmf_network_apply_params, 1.0);
}

int dmf_network_reduce(const dmf_network *net, const dmf_matrix *x, double *y, double *weight, double *outside)
{
    const size_t rows = dmf_network_rows(net), cols = dmf_network_cols(net), P = net->num_probes;
    if (dmf_matrix_rows(x) != rows || dmf_matrix_cols(x) != cols)
        return dmf_fail(DMF_ERR_SHAPE, "X is %zu x %zu; the network's product is %zu x %zu", dmf_matrix_rows(x),
                        dmf_matrix_cols(x), rows, cols);
    if (dmf_matrix_dtype(x) != DMF_F64) return dmf_fail(DMF_ERR_ARG, "X must be float64");
    const double *data = dmf_matrix_const_data(x);
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(data[i])) return dmf_fail(DMF_ERR_NUMERIC, "X(%zu, %zu) is not finite", i / cols, i % cols);
    if (!net->conv) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < P; j++) y[i * P + j] = data[i * cols + net->probes[j]];
        *weight = 1;
        *outside = 0;
        return DMF_OK;
    }
    /* The nearest block-circulant matrix averages each circulant diagonal:
     * ||X - M(h)||^2 = N ||y - sample(h)||^2 + ||X||^2 - N ||y||^2. */
    const size_t N = net->signal_length;
    double off = 0;
    for (size_t f = 0; f < P; f++)
        for (size_t s = 0; s < rows; s++) {
            double sum = 0;
            for (size_t t = 0; t < N; t++) sum += data[((s + t) % N) * cols + f * N + t];
            y[s * P + f] = sum / (double)N;
            /* ||X||^2 - N ||y||^2 would cancel to rounding noise of ||X||^2 */
            for (size_t t = 0; t < N; t++) {
                double d = data[((s + t) % N) * cols + f * N + t] - y[s * P + f];
                off += d * d;
            }
        }
    *weight = (double)N;
    *outside = off;
    return DMF_OK;
}

/* ---- a convolutional X as its leaves' kernels ------------------------- */

static int kernels_of(const dmf_network *net, const double *h, dmf_matrix **y)
{
    *y = NULL;
    if (!net->conv)
        return dmf_fail(DMF_ERR_ARG, "leaf kernels describe the X of a convolutional network; this network is '%s'",
                        net->kind);
    const size_t P = net->num_probes, N = net->signal_length;
    dmf_conv_edges g;
    DMF_TRY(dmf_conv_edges_get(net, &g));
    int status = dmf_matrix_create(y, DMF_F64, P, N);
    if (status == DMF_OK) status = dmf_conv_kernels(net, &g, h, dmf_matrix_data(*y));
    dmf_conv_edges_free(&g);
    if (status != DMF_OK) {
        dmf_matrix_free(*y);
        *y = NULL;
    }
    return status;
}

int dmf_network_kernels(const dmf_network *net, const double *h, dmf_matrix **y) { return kernels_of(net, h, y); }

int dmf_network_residual_kernels(const dmf_network *net, const dmf_matrix *y, const double *h, double *residual)
{
    *residual = NAN;
    DMF_TRY(dmf_network_check_kernels(net, y));
    dmf_matrix *model;
    DMF_TRY(kernels_of(net, h, &model));
    const double *a = dmf_matrix_const_data(y), *b = dmf_matrix_const_data(model);
    double sq = 0;
    for (size_t i = 0; i < dmf_matrix_rows(y) * dmf_matrix_cols(y); i++) sq += (a[i] - b[i]) * (a[i] - b[i]);
    *residual = sqrt((double)net->signal_length * sq); /* each kernel entry stands for N entries of X */
    dmf_matrix_free(model);
    return DMF_OK;
}

int dmf_network_synth_kernels(const dmf_network *net, uint64_t seed, double noise, double *h, dmf_matrix **y,
                              double *noise_norm)
{
    /* Gaussian E on the kernels: ||circ(E)||_F = sqrt(N) ||E||_F =
     * noise ||circ(Y)||_F exactly. */
    return synth(net, seed, noise, h, y, noise_norm, kernels_of, sqrt((double)net->signal_length));
}
