/* Paths of a network: the edges of a convolutional network read back
 * from its triplets, its leaf-root paths, and the number of index tuples
 * i in [S_1] x ... x [S_K] whose monomial h_{1,i_1} ... h_{K,i_K} can reach
 * X (the paper's set I of valid paths), which bounds rk A far below
 * S_1 ... S_K when the network has many branches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "network.h"

static size_t add_sat(size_t a, size_t b) { return b > SIZE_MAX - a ? SIZE_MAX : a + b; }
static size_t mul_sat(size_t a, size_t b)
{
    size_t out;
    return dmf_mul_size(a, b, &out) ? out : SIZE_MAX;
}

void dmf_conv_edges_free(dmf_conv_edges *g)
{
    free(g->edges);
    free(g->shift);
    free(g->coef);
    memset(g, 0, sizeof *g);
}

/* The builder numbers the parameters of a layer edge after edge, and an
 * edge (c -> p) writes only into block (p, c) of N x N: so a run of
 * parameters landing in one block is one edge.  Two parallel edges written
 * one after the other come back as one edge with both supports, which
 * counts the same paths and monomials. */
/* A copy of the edges dmf_network_finish read back (a few per edge and
 * parameter, not per triplet). */
static int copy_edges(const dmf_conv_edges *from, dmf_conv_edges *g)
{
    *g = *from;
    size_t params = 0; /* param_at[K], the entries past K being 0 */
    for (size_t k = 0; k <= DMF_MAX_LAYERS; k++)
        if (from->param_at[k] > params) params = from->param_at[k];
    g->edges = malloc((from->num_edges + 1) * sizeof *g->edges);
    g->shift = malloc((params + 1) * sizeof *g->shift);
    g->coef = malloc((params + 1) * sizeof *g->coef);
    if (!g->edges || !g->shift || !g->coef) {
        dmf_conv_edges_free(g);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu edges", from->num_edges);
    }
    memcpy(g->edges, from->edges, from->num_edges * sizeof *g->edges);
    memcpy(g->shift, from->shift, params * sizeof *g->shift);
    memcpy(g->coef, from->coef, params * sizeof *g->coef);
    return DMF_OK;
}

int dmf_conv_edges_get(const dmf_network *net, dmf_conv_edges *g)
{
    memset(g, 0, sizeof *g);
    if (!net->conv) return dmf_fail(DMF_ERR_ARG, "the network is not convolutional");
    if (net->edges) return copy_edges(net->edges, g);
    const size_t N = net->signal_length, K = net->num_layers;
    size_t total = 0;
    for (size_t k = 0; k < K; k++) total += net->layers[k].params;
    size_t *parent = malloc((total + 1) * sizeof *parent), *child = malloc((total + 1) * sizeof *child);
    g->edges = malloc((total + 1) * sizeof *g->edges);
    g->shift = calloc(total + 1, sizeof *g->shift);
    g->coef = calloc(total + 1, sizeof *g->coef);
    int status = parent && child && g->edges && g->shift && g->coef
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu edges", total);
    size_t base = 0;
    for (size_t k = 0; status == DMF_OK && k <= K; k++) g->num_nodes[k] = k ? net->layers[k - 1].cols / N : 1;
    for (size_t k = 0; status == DMF_OK && k < K; k++) {
        const dmf_layer *layer = &net->layers[k];
        size_t *pk = parent + base, *ck = child + base;
        g->param_at[k] = base;
        for (size_t j = 0; j < layer->params; j++) pk[j] = SIZE_MAX;
        for (size_t t = 0; t < layer->count; t++) {
            const dmf_triplet *e = &layer->entries[t];
            pk[e->param] = e->row / N;
            ck[e->param] = e->col / N;
            if (e->col % N == 0) { /* the entry of x[0]: row (parent, shift) */
                g->shift[base + e->param] = e->row % N;
                g->coef[base + e->param] = e->coef;
            }
        }
        g->first_edge[k] = g->num_edges;
        for (size_t j = 0; j < layer->params; j++) {
            dmf_conv_edge *last = g->num_edges > g->first_edge[k] ? &g->edges[g->num_edges - 1] : NULL;
            if (last && last->parent == pk[j] && last->child == ck[j]) {
                last->count++;
                continue;
            }
            g->edges[g->num_edges++] = (dmf_conv_edge){k, pk[j], ck[j], j, 1};
        }
        base += layer->params;
    }
    g->first_edge[K] = g->num_edges;
    g->param_at[K] = base;
    free(parent);
    free(child);
    if (status != DMF_OK) dmf_conv_edges_free(g);
    return status;
}

int dmf_conv_edges_tree(const dmf_conv_edges *g, size_t K, size_t *depth, size_t *node)
{
    for (size_t k = 0; k < K; k++) {
        size_t n = g->num_nodes[k + 1], *seen = calloc(n + 1, sizeof *seen);
        if (!seen) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu node counts", n);
        int tree = 1;
        for (size_t e = g->first_edge[k]; e < g->first_edge[k + 1] && tree; e++)
            if (seen[g->edges[e].child]++) {
                *depth = k + 1;
                *node = g->edges[e].child;
                tree = 0;
            }
        free(seen);
        if (!tree) return 0;
    }
    return 1;
}

size_t dmf_conv_widest(const dmf_conv_edges *g, size_t K)
{
    size_t widest = 1;
    for (size_t k = 0; k <= K; k++)
        if (g->num_nodes[k] > widest) widest = g->num_nodes[k];
    return widest;
}

void dmf_conv_kernels_with(const dmf_network *net, const dmf_conv_edges *g, const double *h, double *y, double *work)
{
    const size_t K = net->num_layers, S = net->num_params, N = net->signal_length;
    double *cur = work, *next = work + dmf_conv_widest(g, K) * N;
    memset(cur, 0, N * sizeof *cur);
    cur[0] = 1; /* the root's kernel: the identity */
    for (size_t k = 0; k < K; k++) {
        memset(next, 0, g->num_nodes[k + 1] * N * sizeof *next);
        for (size_t e = g->first_edge[k]; e < g->first_edge[k + 1]; e++) {
            const dmf_conv_edge *edge = &g->edges[e];
            const double *from = cur + edge->parent * N;
            double *to = next + edge->child * N;
            for (size_t j = 0; j < edge->count; j++) {
                size_t q = g->param_at[k] + edge->first + j, s = g->shift[q];
                double a = g->coef[q] * h[k * S + edge->first + j];
                if (a == 0) continue;
                /* to[t + s] += a from[t], circularly */
                for (size_t t = 0; t + s < N; t++) to[t + s] += a * from[t];
                for (size_t t = N - s; t < N; t++) to[t + s - N] += a * from[t];
            }
        }
        double *swap = cur;
        cur = next;
        next = swap;
    }
    for (size_t f = 0; f < net->num_probes; f++) memcpy(y + f * N, cur + (net->probes[f] / N) * N, N * sizeof *y);
}

int dmf_conv_kernels(const dmf_network *net, const dmf_conv_edges *g, const double *h, double *y)
{
    const size_t N = net->signal_length, widest = dmf_conv_widest(g, net->num_layers);
    DMF_TRY(dmf_memory_check(16.0 * (double)widest * (double)N, "two depths of %zu kernels of length %zu", widest, N));
    double *work = malloc((2 * widest * N + 1) * sizeof *work);
    if (!work) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate two depths of %zu kernels of length %zu", widest, N);
    dmf_conv_kernels_with(net, g, h, y, work);
    free(work);
    return DMF_OK;
}

/* Depth-first over the leaf-root paths, root side first. */
static int walk(const dmf_conv_edges *g, size_t K, size_t k, size_t node, size_t *path,
                int (*visit)(const size_t *path, void *data), void *data)
{
    if (k == K) return visit(path, data);
    for (size_t e = g->first_edge[k]; e < g->first_edge[k + 1]; e++) {
        if (g->edges[e].parent != node) continue;
        path[k] = e;
        DMF_TRY(walk(g, K, k + 1, g->edges[e].child, path, visit, data));
    }
    return DMF_OK;
}

int dmf_conv_paths_each(const dmf_network *net, const dmf_conv_edges *g,
                        int (*visit)(const size_t *path, void *data), void *data)
{
    size_t path[DMF_MAX_LAYERS] = {0};
    return walk(g, net->num_layers, 0, 0, path, visit, data);
}

/* Convolutional: w(node) = number of (path from the root, parameter on
 * each edge) pairs, summed edge by edge; a tuple is valid exactly when its
 * edges form a path. */
static int conv_valid(const dmf_network *net, size_t *count)
{
    dmf_conv_edges g;
    DMF_TRY(dmf_conv_edges_get(net, &g));
    size_t widest = 1;
    for (size_t k = 0; k < net->num_layers; k++)
        if (net->layers[k].cols / net->signal_length > widest) widest = net->layers[k].cols / net->signal_length;
    size_t *w = calloc(widest, sizeof *w), *next = calloc(widest, sizeof *next);
    if (!w || !next) {
        free(w);
        free(next);
        dmf_conv_edges_free(&g);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu path counts", widest);
    }
    w[0] = 1;
    for (size_t k = 0; k < net->num_layers; k++) {
        memset(next, 0, widest * sizeof *next);
        for (size_t e = g.first_edge[k]; e < g.first_edge[k + 1]; e++)
            next[g.edges[e].child] = add_sat(next[g.edges[e].child], mul_sat(g.edges[e].count, w[g.edges[e].parent]));
        size_t *swap = w;
        w = next;
        next = swap;
    }
    *count = 0;
    for (size_t u = 0; u < widest; u++) *count = add_sat(*count, w[u]);
    free(w);
    free(next);
    dmf_conv_edges_free(&g);
    return DMF_OK;
}

/* Every parameter in at most one (nonzero) entry: a tuple is a chain of
 * entries, so count the chains from the rows of X to its columns.  Returns
 * 0 (and counts nothing) when some parameter has several entries. */
static int single_entry_valid(const dmf_network *net, size_t *count, int *exact)
{
    *exact = 0;
    size_t widest = 0, params = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        if (layer->rows > widest) widest = layer->rows;
        if (layer->cols > widest) widest = layer->cols;
        if (layer->params > params) params = layer->params;
    }
    size_t *w = calloc(widest, sizeof *w), *next = calloc(widest, sizeof *next);
    unsigned char *seen = malloc(params);
    int status = w && next && seen ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu path counts", widest);
    for (size_t r = 0; status == DMF_OK && r < net->layers[0].rows; r++) w[r] = 1;
    int single = 1;
    for (size_t k = 0; status == DMF_OK && single && k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        memset(seen, 0, layer->params);
        memset(next, 0, layer->cols * sizeof *next);
        for (size_t t = 0; t < layer->count && single; t++) {
            const dmf_triplet *e = &layer->entries[t];
            if (e->coef == 0) continue;
            if (seen[e->param]++) single = 0;
            next[e->col] = add_sat(next[e->col], w[e->row]);
        }
        size_t *swap = w;
        w = next;
        next = swap;
    }
    if (status == DMF_OK && single) {
        *count = 0;
        for (size_t c = 0; c < dmf_network_cols(net); c++) *count = add_sat(*count, w[c]);
        *exact = 1;
    }
    free(w);
    free(next);
    free(seen);
    return status;
}

int dmf_network_valid_monomials(const dmf_network *net, size_t *count, const char **rule)
{
    if (net->conv) {
        *rule = "valid paths";
        return conv_valid(net, count);
    }
    int exact;
    DMF_TRY(single_entry_valid(net, count, &exact));
    if (exact) {
        *rule = "valid paths";
        return DMF_OK;
    }
    *rule = "monomials";
    *count = 1;
    for (size_t k = 0; k < net->num_layers; k++) *count = mul_sat(*count, net->layers[k].params);
    return DMF_OK;
}
