/* Networks as sparse triplet layers: construction and checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "network.h"

int dmf_network_init(dmf_network **out, size_t num_layers, const char *kind)
{
    *out = NULL;
    if (num_layers < 1 || num_layers > DMF_MAX_LAYERS)
        return dmf_fail(DMF_ERR_ARG, "a network has 1 to %d layers, not %zu", DMF_MAX_LAYERS, num_layers);
    dmf_network *net = calloc(1, sizeof *net);
    if (!net) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a network");
    net->num_layers = num_layers;
    snprintf(net->kind, sizeof net->kind, "%s", kind);
    *out = net;
    return DMF_OK;
}

void dmf_network_free(dmf_network *net)
{
    if (!net) return;
    for (size_t k = 0; k < DMF_MAX_LAYERS; k++) free(net->layers[k].entries);
    free(net->probes);
    free(net->leaf_names);
    if (net->edges) dmf_conv_edges_free(net->edges);
    free(net->edges);
    free(net);
}

int dmf_network_set_layer(dmf_network *net, size_t k, size_t rows, size_t cols)
{
    if (k >= net->num_layers) return dmf_fail(DMF_ERR_ARG, "layer %zu does not exist", k + 1);
    if (rows == 0 || cols == 0)
        return dmf_fail(DMF_ERR_SHAPE, "layer %zu: M_%zu is %zu x %zu; sizes must be >= 1", k + 1, k + 1,
                        rows, cols);
    net->layers[k].rows = rows;
    net->layers[k].cols = cols;
    return DMF_OK;
}

int dmf_network_add(dmf_network *net, size_t k, size_t row, size_t col, size_t param, double coef)
{
    if (k >= net->num_layers) return dmf_fail(DMF_ERR_ARG, "layer %zu does not exist", k + 1);
    dmf_layer *layer = &net->layers[k];
    if (row >= layer->rows || col >= layer->cols)
        return dmf_fail(DMF_ERR_SHAPE, "layer %zu: entry (%zu, %zu) is outside M_%zu (%zu x %zu)", k + 1,
                        row, col, k + 1, layer->rows, layer->cols);
    if (!isfinite(coef))
        return dmf_fail(DMF_ERR_NUMERIC, "layer %zu: entry (%zu, %zu) has a non-finite coefficient",
                        k + 1, row, col);
    if (layer->count == layer->capacity) {
        size_t cap = layer->capacity ? 2 * layer->capacity : 64;
        DMF_TRY(dmf_memory_check((double)cap * sizeof(dmf_triplet), "layer %zu with %zu entries", k + 1, cap));
        dmf_triplet *grown = realloc(layer->entries, cap * sizeof *grown);
        if (!grown) return dmf_fail(DMF_ERR_NOMEM, "layer %zu: cannot grow to %zu entries", k + 1, cap);
        layer->entries = grown;
        layer->capacity = cap;
    }
    layer->entries[layer->count++] = (dmf_triplet){row, col, param, coef};
    if (param + 1 > layer->params) layer->params = param + 1;
    return DMF_OK;
}

int dmf_network_finish(dmf_network *net)
{
    net->num_params = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        if (layer->rows == 0) return dmf_fail(DMF_ERR_SHAPE, "layer %zu has no size", k + 1);
        if (k + 1 < net->num_layers && layer->cols != net->layers[k + 1].rows)
            return dmf_fail(DMF_ERR_SHAPE,
                            "layers %zu and %zu do not chain: M_%zu has %zu columns, M_%zu has %zu rows",
                            k + 1, k + 2, k + 1, layer->cols, k + 2, net->layers[k + 1].rows);
        if (layer->params > net->num_params) net->num_params = layer->params;
    }
    if (net->num_params == 0) return dmf_fail(DMF_ERR_ARG, "the network has no parameters");
    if (!net->probes) {
        size_t cols = dmf_network_cols(net);
        /* A sample of X is rows x cols (liftrank): refuse a shape that
         * cannot be sampled before the probes of its columns. */
        DMF_TRY(dmf_memory_check((double)cols * sizeof *net->probes, "the network's %zu columns", cols));
        net->probes = malloc(cols * sizeof *net->probes);
        if (!net->probes) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu probes", cols);
        for (size_t c = 0; c < cols; c++) net->probes[c] = c;
        net->num_probes = cols;
    }
    if (net->conv && !net->edges) { /* read back once: recovery and distances ask for them often */
        dmf_conv_edges *g = malloc(sizeof *g);
        if (!g) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the edges");
        int status = dmf_conv_edges_get(net, g);
        if (status != DMF_OK) {
            free(g);
            return status;
        }
        net->edges = g;
    }
    return DMF_OK;
}

size_t dmf_network_rows(const dmf_network *net) { return net->layers[0].rows; }
size_t dmf_network_cols(const dmf_network *net) { return net->layers[net->num_layers - 1].cols; }
size_t dmf_network_num_layers(const dmf_network *net) { return net->num_layers; }
size_t dmf_network_num_params(const dmf_network *net) { return net->num_params; }

const char *dmf_network_leaf_name(const dmf_network *net, size_t leaf)
{
    return net->leaf_names && leaf < net->num_leaves ? net->leaf_names[leaf] : "";
}
