/* The scattering test (Algorithm 8.1, Definition 8.1): the network with all
 * parameters 1 applied to a Dirac at each probe must give 0/1 entries.  For
 * a convolutional network the probes are the leaves (a Dirac at shift 0 of
 * each) and the result is the leaf's kernel; for any other network whose
 * coefficients are 0 or 1 (masked, butterfly, 0/1 triplets) the probes are
 * the columns of X and entry (i, j) of M_1(1)...M_K(1) counts the paths
 * from input j to output i.  The counts are integers, so the test runs in
 * exact 64-bit integer arithmetic and reports overflow instead of rounding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

/* A layer's triplets by column: those of column c are
 * order[start[c] .. start[c + 1]). */
typedef struct {
    size_t *start, *order;
} by_column;

static int index_columns(const dmf_layer *layer, by_column *out)
{
    out->start = calloc(layer->cols + 1, sizeof *out->start);
    out->order = malloc((layer->count ? layer->count : 1) * sizeof *out->order);
    if (!out->start || !out->order)
        return dmf_fail(DMF_ERR_NOMEM, "cannot index %zu entries by column", layer->count);
    for (size_t e = 0; e < layer->count; e++) out->start[layer->entries[e].col + 1]++;
    for (size_t c = 0; c < layer->cols; c++) out->start[c + 1] += out->start[c];
    size_t *fill = malloc((layer->cols ? layer->cols : 1) * sizeof *fill);
    if (!fill) return dmf_fail(DMF_ERR_NOMEM, "cannot index %zu entries by column", layer->count);
    memcpy(fill, out->start, layer->cols * sizeof *fill);
    for (size_t e = 0; e < layer->count; e++) out->order[fill[layer->entries[e].col]++] = e;
    free(fill);
    return DMF_OK;
}

/* The coefficients Definition 8.1 counts with: integers for a
 * convolutional network (its kernels' multiplicities), 0 or 1 otherwise
 * (a mask: the test counts paths). */
static int check_coefficients(const dmf_network *net)
{
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        for (size_t e = 0; e < layer->count; e++) {
            double c = layer->entries[e].coef;
            if (net->conv && c != (double)(long long)c)
                return dmf_fail(DMF_ERR_ARG, "layer %zu has a non-integer coefficient", k + 1);
            if (!net->conv && c != 0 && c != 1)
                return dmf_fail(DMF_ERR_ARG,
                                "the scattering test counts paths: it extends to networks whose coefficients are "
                                "0 or 1 (masks), and layer %zu of this '%s' network has coefficient %g",
                                k + 1, net->kind, c);
        }
    }
    return DMF_OK;
}

/* Counts along the paths from the probe at input position `start` into
 * cur[0 .. rows of M_1), touching only the positions reached. */
static int propagate(const dmf_network *net, const by_column *cols, size_t start, long long *cur, long long *next,
                     size_t *reached, size_t *reached_next, size_t *num_reached, const char *probe_name)
{
    size_t n = 1;
    reached[0] = start;
    cur[start] = 1;
    for (size_t k = net->num_layers; k-- > 0;) {
        const dmf_layer *layer = &net->layers[k];
        size_t m = 0;
        for (size_t r = 0; r < n; r++) {
            size_t c = reached[r];
            for (size_t p = cols[k].start[c]; p < cols[k].start[c + 1]; p++) {
                const dmf_triplet *t = &layer->entries[cols[k].order[p]];
                long long term;
                if (t->coef == 0) continue;
                if (next[t->row] == 0) reached_next[m++] = t->row;
                if (__builtin_mul_overflow((long long)t->coef, cur[c], &term) ||
                    __builtin_add_overflow(next[t->row], term, &next[t->row]))
                    return dmf_fail(DMF_ERR_NUMERIC, "%s: the path count overflows 64 bits at layer %zu", probe_name,
                                    k + 1);
            }
        }
        for (size_t r = 0; r < n; r++) cur[reached[r]] = 0;
        /* A sum that cancelled to 0 stays listed once: drop it. */
        size_t kept = 0;
        for (size_t r = 0; r < m; r++) {
            size_t row = reached_next[r];
            cur[row] = next[row];
            next[row] = 0;
            if (cur[row] != 0) reached[kept++] = row;
        }
        n = kept;
    }
    *num_reached = n;
    return DMF_OK;
}

int dmf_scatter(const dmf_network *net, dmf_scatter_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->convolutional = net->conv;
    DMF_TRY(check_coefficients(net));
    const size_t K = net->num_layers;
    size_t widest = 0;
    for (size_t k = 0; k < K; k++) {
        if (net->layers[k].rows > widest) widest = net->layers[k].rows;
        if (net->layers[k].cols > widest) widest = net->layers[k].cols;
    }
    by_column cols[DMF_MAX_LAYERS];
    memset(cols, 0, sizeof cols);
    long long *cur = calloc(widest, sizeof *cur), *next = calloc(widest, sizeof *next);
    size_t *reached = malloc(widest * sizeof *reached), *reached_next = malloc(widest * sizeof *reached_next);
    int status = cur && next && reached && reached_next
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu counters", widest);
    for (size_t k = 0; status == DMF_OK && k < K; k++) status = index_columns(&net->layers[k], &cols[k]);
    rep->scattered = 1;
    for (size_t probe = 0; status == DMF_OK && probe < net->num_probes; probe++) {
        char name[DMF_MAX_NAME + 32];
        if (net->conv) snprintf(name, sizeof name, "leaf %s", dmf_network_leaf_name(net, probe));
        else snprintf(name, sizeof name, "column %zu", net->probes[probe]);
        size_t n = 0;
        status = propagate(net, cols, net->probes[probe], cur, next, reached, reached_next, &n, name);
        /* Positions in increasing order, so the first offending are the
         * first of each probe's output. */
        for (size_t pos = 0; status == DMF_OK && pos < net->layers[0].rows && n; pos++) {
            if (cur[pos] == 0) continue;
            n--;
            if (cur[pos] == 1) continue;
            rep->scattered = 0;
            if (rep->num_offending < sizeof rep->offending / sizeof rep->offending[0]) {
                rep->offending[rep->num_offending].leaf = net->conv ? probe : net->probes[probe];
                rep->offending[rep->num_offending].position = pos;
                rep->offending[rep->num_offending].value = cur[pos];
            }
            rep->num_offending++;
        }
        for (size_t pos = 0; pos < net->layers[0].rows; pos++) cur[pos] = 0;
    }
    for (size_t k = 0; k < K; k++) {
        free(cols[k].start);
        free(cols[k].order);
    }
    free(cur);
    free(next);
    free(reached);
    free(reached_next);
    return status;
}

const char *dmf_scatter_verdict(const dmf_scatter_report *rep)
{
    if (rep->convolutional)
        return rep->scattered ? "sufficiently scattered: stable recovery holds under the conditions of Thm 8.4"
                              : "not sufficiently scattered: not identifiable (Thm 8.4)";
    return rep->scattered
               ? "scattered: at most one path joins an input to an output, so every entry of X is one path "
                 "monomial (Definition 8.1 extended to 0/1 networks); Thm 8.4 is stated for convolutional "
                 "networks and is not claimed here"
               : "not scattered: some entries of X sum several paths (Definition 8.1 extended to 0/1 networks); "
                 "outside convolutional networks this alone does not decide identifiability (the LU masks have "
                 "many paths and still fix the factors up to a diagonal scaling): see the rank verdicts of "
                 "Thm 6.4 and 6.5";
}
