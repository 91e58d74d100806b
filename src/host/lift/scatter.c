/* The scattering test (Algorithm 8.1, Definition 8.1): the network with all
 * parameters 1 applied to a Dirac at each leaf must give 0/1 kernels.  The
 * counts of paths that reach each position are integers, so the test runs
 * in exact 64-bit integer arithmetic and reports overflow instead of
 * rounding. */
#include <stdlib.h>
#include <string.h>

#include "network.h"

int dmf_scatter(const dmf_network *net, dmf_scatter_report *rep)
{
    memset(rep, 0, sizeof *rep);
    if (!net->conv)
        return dmf_fail(DMF_ERR_ARG, "the scattering test (Algorithm 8.1) is defined for convolutional "
                                     "networks; this one is of type '%s'", net->kind);
    const size_t K = net->num_layers;
    size_t widest = 0;
    for (size_t k = 0; k < K; k++) {
        const dmf_layer *layer = &net->layers[k];
        if (layer->rows > widest) widest = layer->rows;
        if (layer->cols > widest) widest = layer->cols;
        for (size_t e = 0; e < layer->count; e++)
            if (layer->entries[e].coef != (double)(long long)layer->entries[e].coef)
                return dmf_fail(DMF_ERR_ARG, "layer %zu has a non-integer coefficient", k + 1);
    }
    long long *cur = malloc(widest * sizeof *cur), *next = malloc(widest * sizeof *next);
    int status = cur && next ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu counters", widest);
    rep->scattered = 1;
    for (size_t leaf = 0; status == DMF_OK && leaf < net->num_probes; leaf++) {
        memset(cur, 0, net->layers[K - 1].cols * sizeof *cur);
        cur[net->probes[leaf]] = 1;
        for (size_t k = K; k-- > 0 && status == DMF_OK;) {
            const dmf_layer *layer = &net->layers[k];
            memset(next, 0, layer->rows * sizeof *next);
            for (size_t e = 0; e < layer->count && status == DMF_OK; e++) {
                const dmf_triplet *t = &layer->entries[e];
                long long term;
                if (__builtin_mul_overflow((long long)t->coef, cur[t->col], &term) ||
                    __builtin_add_overflow(next[t->row], term, &next[t->row]))
                    status = dmf_fail(DMF_ERR_NUMERIC, "leaf %s: the path count overflows 64 bits at "
                                                       "layer %zu", dmf_network_leaf_name(net, leaf), k + 1);
            }
            long long *swap = cur;
            cur = next;
            next = swap;
        }
        for (size_t pos = 0; status == DMF_OK && pos < net->layers[0].rows; pos++) {
            if (cur[pos] == 0 || cur[pos] == 1) continue;
            rep->scattered = 0;
            if (rep->num_offending < sizeof rep->offending / sizeof rep->offending[0]) {
                rep->offending[rep->num_offending].leaf = leaf;
                rep->offending[rep->num_offending].position = pos;
                rep->offending[rep->num_offending].value = cur[pos];
            }
            rep->num_offending++;
        }
    }
    free(cur);
    free(next);
    return status;
}
