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
    memset(g, 0, sizeof *g);
}

/* The builder numbers the parameters of a layer edge after edge, and an
 * edge (c -> p) writes only into block (p, c) of N x N: so a run of
 * parameters landing in one block is one edge.  Two parallel edges written
 * one after the other come back as one edge with both supports, which
 * counts the same paths and monomials. */
int dmf_conv_edges_get(const dmf_network *net, dmf_conv_edges *g)
{
    memset(g, 0, sizeof *g);
    if (!net->conv) return dmf_fail(DMF_ERR_ARG, "the network is not convolutional");
    const size_t N = net->signal_length, K = net->num_layers;
    size_t total = 0;
    for (size_t k = 0; k < K; k++) total += net->layers[k].params;
    size_t *parent = malloc((total + 1) * sizeof *parent), *child = malloc((total + 1) * sizeof *child);
    g->edges = malloc((total + 1) * sizeof *g->edges);
    int status = parent && child && g->edges ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu edges", total);
    size_t base = 0;
    for (size_t k = 0; status == DMF_OK && k < K; k++) {
        const dmf_layer *layer = &net->layers[k];
        size_t *pk = parent + base, *ck = child + base;
        for (size_t j = 0; j < layer->params; j++) pk[j] = SIZE_MAX;
        for (size_t t = 0; t < layer->count; t++) {
            const dmf_triplet *e = &layer->entries[t];
            pk[e->param] = e->row / N;
            ck[e->param] = e->col / N;
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
    free(parent);
    free(child);
    if (status != DMF_OK) dmf_conv_edges_free(g);
    return status;
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
