/* Network specs in JSON: the four "type"s documented in dmf.h ("conv",
 * "triplets", "butterfly", "masked"), each read into K triplet layers.
 * Messages count edges, layers and entries from 1, as a reader counts them
 * in the file, and name nodes by their names; the caller's origin (the file
 * name) prefixes every message. */
#define _POSIX_C_SOURCE 200809L

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "butterfly/chain_internal.h"
#include "io/json_number.h"
#include "memory.h"
#include "network.h"

#define TYPES "\"conv\", \"triplets\", \"butterfly\" or \"masked\""

/* ---- JSON helpers ---------------------------------------------------------- */

/* A whole number in [lo, 2^53]. */
static int json_size(const cJSON *item, size_t lo, size_t *out)
{
    return cJSON_IsNumber(item) && dmf_json_whole(item->valuedouble, lo, SIZE_MAX, out);
}

/* obj[key], an integer >= lo; `where` prefixes the message ("" or "layer 2: "). */
static int get_size(const cJSON *obj, const char *key, size_t lo, const char *where, size_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item) return dmf_fail(DMF_ERR_FORMAT, "%s\"%s\" is missing", where, key);
    if (!json_size(item, lo, out))
        return dmf_fail(DMF_ERR_FORMAT, "%s\"%s\" must be an integer >= %zu", where, key, lo);
    return DMF_OK;
}

/* obj[key], an array of lo to hi items. */
static int get_array(const cJSON *obj, const char *key, size_t lo, size_t hi, const cJSON **out,
                     size_t *count)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item) return dmf_fail(DMF_ERR_FORMAT, "\"%s\" is missing", key);
    if (!cJSON_IsArray(item)) return dmf_fail(DMF_ERR_FORMAT, "\"%s\" must be a list", key);
    size_t n = (size_t)cJSON_GetArraySize(item);
    if (n < lo || n > hi)
        return dmf_fail(DMF_ERR_FORMAT, "\"%s\" has %zu entries; it must have %zu to %zu", key, n,
                        lo, hi);
    *out = item;
    *count = n;
    return DMF_OK;
}

/* A list of `count` integers >= lo (radices, sizes). */
static int get_size_list(const cJSON *list, const char *key, size_t lo, size_t *out)
{
    size_t j = 0;
    for (const cJSON *item = list->child; item; item = item->next, j++)
        if (!json_size(item, lo, &out[j]))
            return dmf_fail(DMF_ERR_FORMAT, "%s[%zu] must be an integer >= %zu", key, j, lo);
    return DMF_OK;
}

/* ---- "conv": circular convolutions over a rooted DAG ----------------------- */

/* Node names, numbered in order of first appearance, found by open hashing.
 * Capacity is fixed up front (at most two new nodes per edge). */
typedef struct {
    char (*names)[DMF_MAX_NAME];
    size_t count;
    size_t *slots; /* node index + 1; 0 marks a free slot */
    size_t mask;   /* slots - 1, a power of two minus one */
} node_table;

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

static size_t node_slot(const node_table *t, const char *name)
{
    size_t i = hash_name(name) & t->mask;
    while (t->slots[i] && strcmp(t->names[t->slots[i] - 1], name) != 0) i = (i + 1) & t->mask;
    return i;
}

static size_t node_find(const node_table *t, const char *name)
{
    size_t slot = t->slots[node_slot(t, name)];
    return slot ? slot - 1 : SIZE_MAX;
}

static size_t node_intern(node_table *t, const char *name)
{
    size_t i = node_slot(t, name);
    if (!t->slots[i]) {
        snprintf(t->names[t->count], DMF_MAX_NAME, "%s", name);
        t->slots[i] = ++t->count;
    }
    return t->slots[i] - 1;
}

typedef struct {
    size_t from, to;
    size_t *support; /* |S_e| distinct shifts in [0, N), in file order */
    size_t length;
} conv_edge;

typedef struct {
    size_t N, root, num_edges, num_nodes;
    node_table nodes;
    conv_edge *edges;
    /* Edges by endpoint, CSR: out_edges[out_start[u] .. out_start[u + 1]). */
    size_t *out_start, *out_edges, *in_start, *in_edges;
    size_t *depth; /* SIZE_MAX until reached from the root */
} conv_graph;

static void conv_graph_free(conv_graph *g)
{
    for (size_t e = 0; g->edges && e < g->num_edges; e++) free(g->edges[e].support);
    free(g->edges);
    free(g->nodes.names);
    free(g->nodes.slots);
    free(g->out_start);
    free(g->out_edges);
    free(g->in_start);
    free(g->in_edges);
    free(g->depth);
}

/* Edge e as messages write it: "edge 3 (a -> r)". */
static const char *edge_text(const conv_graph *g, size_t e, char *buf, size_t cap)
{
    snprintf(buf, cap, "edge %zu (%s -> %s)", e + 1, g->nodes.names[g->edges[e].from],
             g->nodes.names[g->edges[e].to]);
    return buf;
}

static int node_name(const cJSON *edge, const char *key, size_t e, const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(edge, key);
    if (!cJSON_IsString(item) || !item->valuestring[0] ||
        strlen(item->valuestring) >= DMF_MAX_NAME)
        return dmf_fail(DMF_ERR_FORMAT, "edge %zu: \"%s\" must be a node name (a string of 1 to %d "
                        "characters)", e + 1, key, DMF_MAX_NAME - 1);
    *out = item->valuestring;
    return DMF_OK;
}

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* S_e from a list of shifts, {"contiguous": S} or {"dilated": k}. */
static int parse_support(const cJSON *item, size_t N, const char *edge, conv_edge *out)
{
    size_t t, *s;
    if (cJSON_IsArray(item)) {
        t = (size_t)cJSON_GetArraySize(item);
        if (t == 0) return dmf_fail(DMF_ERR_FORMAT, "%s: the support is empty", edge);
        if (t > N)
            return dmf_fail(DMF_ERR_FORMAT, "%s: the support has %zu entries, more than N = %zu",
                            edge, t, N);
        s = malloc(t * sizeof *s);
        if (!s) return dmf_fail(DMF_ERR_NOMEM, "%s: cannot allocate the support", edge);
        size_t j = 0;
        for (const cJSON *v = item->child; v; v = v->next, j++) {
            if (!json_size(v, 0, &s[j]) || s[j] >= N) {
                free(s);
                if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble))
                    return dmf_fail(DMF_ERR_FORMAT, "%s: support entry %.0f is outside [0, %zu)", edge,
                                    v->valuedouble, N);
                if (cJSON_IsNumber(v))
                    return dmf_fail(DMF_ERR_FORMAT, "%s: support entry %g is not an integer", edge,
                                    v->valuedouble);
                return dmf_fail(DMF_ERR_FORMAT, "%s: support item %zu is not a number", edge, j + 1);
            }
        }
        size_t *sorted = malloc(t * sizeof *sorted);
        if (!sorted) {
            free(s);
            return dmf_fail(DMF_ERR_NOMEM, "%s: cannot allocate the support", edge);
        }
        memcpy(sorted, s, t * sizeof *s);
        qsort(sorted, t, sizeof *sorted, compare_size);
        for (j = 1; j < t; j++)
            if (sorted[j] == sorted[j - 1]) {
                size_t dup = sorted[j];
                free(sorted);
                free(s);
                return dmf_fail(DMF_ERR_FORMAT, "%s: support entry %zu appears twice", edge, dup);
            }
        free(sorted);
    } else if (cJSON_IsObject(item)) {
        const cJSON *contiguous = cJSON_GetObjectItemCaseSensitive(item, "contiguous");
        const cJSON *dilated = cJSON_GetObjectItemCaseSensitive(item, "dilated");
        size_t v;
        if (!!contiguous == !!dilated)
            return dmf_fail(DMF_ERR_FORMAT, "%s: a support object is {\"contiguous\": S} or "
                            "{\"dilated\": k}", edge);
        if (contiguous) {
            if (!json_size(contiguous, 1, &v) || v > N)
                return dmf_fail(DMF_ERR_FORMAT, "%s: \"contiguous\" must be an integer in [1, N = %zu]",
                                edge, N);
            t = v;
            DMF_TRY(dmf_memory_check((double)t * sizeof *s, "%s: the support {\"contiguous\": %zu}", edge, t));
        } else {
            if (!json_size(dilated, 0, &v))
                return dmf_fail(DMF_ERR_FORMAT, "%s: \"dilated\" must be an integer >= 0", edge);
            if (v >= 63 || ((size_t)1 << v) >= N)
                return dmf_fail(DMF_ERR_FORMAT, "%s: support {\"dilated\": %zu} = {0, 2^%zu} does "
                                "not fit in [0, N = %zu)", edge, v, v, N);
            t = 2;
        }
        s = malloc(t * sizeof *s);
        if (!s) return dmf_fail(DMF_ERR_NOMEM, "%s: cannot allocate the support", edge);
        if (contiguous)
            for (size_t j = 0; j < t; j++) s[j] = j;
        else
            s[0] = 0, s[1] = (size_t)1 << v;
    } else {
        return dmf_fail(DMF_ERR_FORMAT, "%s: \"support\" must be a list of shifts, "
                        "{\"contiguous\": S} or {\"dilated\": k}", edge);
    }
    out->support = s;
    out->length = t;
    return DMF_OK;
}

/* N, root, edges and their supports; nodes numbered as they first appear. */
static int conv_read(const cJSON *spec, conv_graph *g)
{
    DMF_TRY(get_size(spec, "N", 1, "", &g->N));
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(spec, "root");
    if (!cJSON_IsString(root) || !root->valuestring[0])
        return dmf_fail(DMF_ERR_FORMAT, "\"root\" must be the name of the root node");
    const cJSON *edges;
    DMF_TRY(get_array(spec, "edges", 1, (size_t)1 << 30, &edges, &g->num_edges));

    size_t E = g->num_edges, slots = 4;
    while (slots < 4 * E + 4) slots *= 2;
    g->edges = calloc(E, sizeof *g->edges);
    g->nodes.names = malloc((2 * E + 1) * sizeof *g->nodes.names);
    g->nodes.slots = calloc(slots, sizeof *g->nodes.slots);
    if (!g->edges || !g->nodes.names || !g->nodes.slots)
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a graph of %zu edges", E);
    g->nodes.mask = slots - 1;

    size_t e = 0;
    for (const cJSON *item = edges->child; item; item = item->next, e++) {
        if (!cJSON_IsObject(item))
            return dmf_fail(DMF_ERR_FORMAT, "edge %zu must be an object {\"from\", \"to\", "
                            "\"support\"}", e + 1);
        const char *from = NULL, *to = NULL;
        DMF_TRY(node_name(item, "from", e, &from));
        DMF_TRY(node_name(item, "to", e, &to));
        g->edges[e].from = node_intern(&g->nodes, from);
        g->edges[e].to = node_intern(&g->nodes, to);
        char text[2 * DMF_MAX_NAME + 32];
        edge_text(g, e, text, sizeof text);
        if (g->edges[e].from == g->edges[e].to)
            return dmf_fail(DMF_ERR_FORMAT, "%s is a loop; the graph must have no cycle", text);
        const cJSON *support = cJSON_GetObjectItemCaseSensitive(item, "support");
        if (!support) return dmf_fail(DMF_ERR_FORMAT, "%s: \"support\" is missing", text);
        DMF_TRY(parse_support(support, g->N, text, &g->edges[e]));
    }
    g->num_nodes = g->nodes.count;
    g->root = node_find(&g->nodes, root->valuestring);
    if (g->root == SIZE_MAX)
        return dmf_fail(DMF_ERR_FORMAT, "the root '%.63s' appears in no edge", root->valuestring);
    return DMF_OK;
}

/* Edge lists by endpoint (counting sort, file order kept). */
static int conv_index(conv_graph *g)
{
    size_t V = g->num_nodes, E = g->num_edges;
    g->out_start = calloc(V + 1, sizeof(size_t));
    g->in_start = calloc(V + 1, sizeof(size_t));
    g->out_edges = malloc(E * sizeof(size_t));
    g->in_edges = malloc(E * sizeof(size_t));
    g->depth = malloc(V * sizeof(size_t));
    if (!g->out_start || !g->in_start || !g->out_edges || !g->in_edges || !g->depth)
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a graph of %zu nodes", V);
    for (size_t e = 0; e < E; e++) {
        g->out_start[g->edges[e].from + 1]++;
        g->in_start[g->edges[e].to + 1]++;
    }
    for (size_t u = 0; u < V; u++) {
        g->out_start[u + 1] += g->out_start[u];
        g->in_start[u + 1] += g->in_start[u];
    }
    /* Fill from the back so each list stays in file order. */
    for (size_t e = E; e-- > 0;) {
        g->out_edges[--g->out_start[g->edges[e].from + 1]] = e;
        g->in_edges[--g->in_start[g->edges[e].to + 1]] = e;
    }
    /* The decrements left u's first position in start[u + 1]: shift back. */
    for (size_t u = 0; u < V; u++) {
        g->out_start[u] = g->out_start[u + 1];
        g->in_start[u] = g->in_start[u + 1];
    }
    g->out_start[V] = g->in_start[V] = E;
    return DMF_OK;
}

/* Kahn's algorithm; a cycle, if any, is named node by node. */
static int conv_check_acyclic(const conv_graph *g, size_t *scratch)
{
    size_t V = g->num_nodes, *pending = scratch, *queue = g->depth; /* depth is free until later */
    size_t head = 0, tail = 0;
    for (size_t u = 0; u < V; u++) {
        pending[u] = g->in_start[u + 1] - g->in_start[u];
        if (!pending[u]) queue[tail++] = u;
    }
    while (head < tail) {
        size_t u = queue[head++];
        for (size_t j = g->out_start[u]; j < g->out_start[u + 1]; j++) {
            size_t p = g->edges[g->out_edges[j]].to;
            if (--pending[p] == 0) queue[tail++] = p;
        }
    }
    if (tail == V) return DMF_OK;
    /* Every node left has an incoming edge from a node left: walking those
     * edges backwards V times lands on a cycle. */
    size_t u = 0;
    while (!pending[u]) u++;
    size_t back[DMF_MAX_LAYERS + 1]; /* the nodes written, backwards */
    for (size_t step = 0; step < V; step++)
        for (size_t j = g->in_start[u];; j++)
            if (pending[g->edges[g->in_edges[j]].from]) {
                u = g->edges[g->in_edges[j]].from;
                break;
            }
    size_t len = 0, v = u;
    do {
        if (len < DMF_MAX_LAYERS + 1) back[len] = v;
        len++;
        for (size_t j = g->in_start[v];; j++)
            if (pending[g->edges[g->in_edges[j]].from]) {
                v = g->edges[g->in_edges[j]].from;
                break;
            }
    } while (v != u && len < V + 1);
    /* back[] runs against the edges: back[0] <- back[1] <- ... <- back[0]. */
    if (len > DMF_MAX_LAYERS + 1)
        return dmf_fail(DMF_ERR_FORMAT, "the edges form a cycle of %zu nodes through '%s'", len,
                        g->nodes.names[u]);
    char text[(DMF_MAX_LAYERS + 2) * (DMF_MAX_NAME + 4)];
    size_t pos = (size_t)snprintf(text, sizeof text, "%s", g->nodes.names[u]);
    for (size_t i = len; i-- > 0;)
        pos += (size_t)snprintf(text + pos, sizeof text - pos, " -> %s", g->nodes.names[back[i]]);
    return dmf_fail(DMF_ERR_FORMAT, "the edges form a cycle: %s", text);
}

/* Depths from the root by breadth-first search along incoming edges; then
 * every node reached, every leaf at one depth K.  Returns K. */
static int conv_depths(conv_graph *g, size_t *scratch, size_t *K)
{
    size_t V = g->num_nodes, *queue = scratch, head = 0, tail = 0;
    char text[2 * DMF_MAX_NAME + 32];
    for (size_t u = 0; u < V; u++) g->depth[u] = SIZE_MAX;
    if (g->out_start[g->root] < g->out_start[g->root + 1])
        return dmf_fail(DMF_ERR_FORMAT, "the root '%s' has an outgoing edge, %s; edges point "
                        "towards the root", g->nodes.names[g->root],
                        edge_text(g, g->out_edges[g->out_start[g->root]], text, sizeof text));
    g->depth[g->root] = 0;
    queue[tail++] = g->root;
    while (head < tail) {
        size_t v = queue[head++];
        for (size_t j = g->in_start[v]; j < g->in_start[v + 1]; j++) {
            size_t e = g->in_edges[j], u = g->edges[e].from;
            if (g->depth[u] == SIZE_MAX) {
                g->depth[u] = g->depth[v] + 1;
                queue[tail++] = u;
            } else if (g->depth[u] != g->depth[v] + 1) {
                return dmf_fail(DMF_ERR_FORMAT, "%s: '%s' is at depth %zu through this edge but at "
                                "depth %zu through another path to the root; every edge must have "
                                "one depth", edge_text(g, e, text, sizeof text), g->nodes.names[u],
                                g->depth[v] + 1, g->depth[u]);
            }
        }
    }
    for (size_t u = 0; u < V; u++)
        if (g->depth[u] == SIZE_MAX)
            return dmf_fail(DMF_ERR_FORMAT, "node '%s' is not connected to the root '%s'",
                            g->nodes.names[u], g->nodes.names[g->root]);
    size_t first = SIZE_MAX;
    for (size_t u = 0; u < V; u++) {
        if (g->in_start[u + 1] != g->in_start[u]) continue; /* not a leaf */
        if (first == SIZE_MAX) {
            first = u;
        } else if (g->depth[u] != g->depth[first]) {
            return dmf_fail(DMF_ERR_FORMAT, "leaf '%s' is at depth %zu but leaf '%s' at depth %zu; "
                            "every leaf-root path must have the same length", g->nodes.names[u],
                            g->depth[u], g->nodes.names[first], g->depth[first]);
        }
    }
    /* A DAG whose root has no outgoing edge has a leaf other than the root. */
    *K = g->depth[first];
    if (*K > DMF_MAX_LAYERS)
        return dmf_fail(DMF_ERR_FORMAT, "the leaves are at depth %zu; at most %d layers are "
                        "supported", *K, DMF_MAX_LAYERS);
    return DMF_OK;
}

/* Layer k maps the signals at depth k to depth k - 1; edge (c -> p) adds
 * the circulant of its kernel: (h * x)[m] = sum_s h[s] x[m - s]. */
static int conv_build(const conv_graph *g, size_t K, size_t *scratch, dmf_network **out)
{
    size_t V = g->num_nodes, N = g->N, *index = scratch;
    size_t count[DMF_MAX_LAYERS + 1] = {0}, next_param[DMF_MAX_LAYERS + 1] = {0};
    for (size_t u = 0; u < V; u++) index[u] = count[g->depth[u]]++;
    /* N triplets per kernel entry, and the leaves: refused with the figure
     * before the layers grow (N reaches 2^53 from a one-line spec). */
    double entries = 0;
    for (size_t e = 0; e < g->num_edges; e++) entries += (double)N * (double)g->edges[e].length;
    DMF_TRY(dmf_memory_check(entries * sizeof(dmf_triplet) + (double)count[K] * (sizeof(size_t) + DMF_MAX_NAME),
                             "the network (N = %zu, %.0f kernel entries in all, %.3g nonzeros)", N,
                             entries / (double)N, entries));
    DMF_TRY(dmf_network_init(out, K, "conv"));
    dmf_network *net = *out;
    for (size_t k = 1; k <= K; k++) {
        size_t rows, cols;
        if (!dmf_mul_size(N, count[k - 1], &rows) || !dmf_mul_size(N, count[k], &cols))
            return dmf_fail(DMF_ERR_SHAPE, "layer %zu: N = %zu times %zu nodes overflows", k, N,
                            count[k]);
        DMF_TRY(dmf_network_set_layer(net, k - 1, rows, cols));
    }
    for (size_t e = 0; e < g->num_edges; e++) {
        const conv_edge *edge = &g->edges[e];
        size_t k = g->depth[edge->to] + 1, base = next_param[k];
        size_t row0 = index[edge->to] * N, col0 = index[edge->from] * N;
        next_param[k] += edge->length;
        for (size_t j = 0; j < edge->length; j++)
            for (size_t n = 0; n < N; n++)
                DMF_TRY(dmf_network_add(net, k - 1, row0 + (n + edge->support[j]) % N, col0 + n,
                                        base + j, 1.0));
    }
    net->conv = 1;
    net->signal_length = N;
    net->num_leaves = count[K];
    net->num_probes = count[K];
    net->probes = malloc(count[K] * sizeof *net->probes);
    net->leaf_names = malloc(count[K] * sizeof *net->leaf_names);
    if (!net->probes || !net->leaf_names)
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu leaves", count[K]);
    for (size_t u = 0; u < V; u++)
        if (g->depth[u] == K) {
            net->probes[index[u]] = index[u] * N;
            memcpy(net->leaf_names[index[u]], g->nodes.names[u], DMF_MAX_NAME);
        }
    /* Leaf-root paths: paths(u) = sum of paths(p) over u's edges (u -> p),
     * by increasing depth; saturates at SIZE_MAX rather than wrap. */
    size_t *paths = scratch; /* index[] is no longer needed */
    for (size_t u = 0; u < V; u++) paths[u] = u == g->root;
    for (size_t d = 1; d <= K; d++)
        for (size_t u = 0; u < V; u++) {
            if (g->depth[u] != d) continue;
            for (size_t j = g->out_start[u]; j < g->out_start[u + 1]; j++) {
                size_t p = paths[g->edges[g->out_edges[j]].to];
                paths[u] = p > SIZE_MAX - paths[u] ? SIZE_MAX : paths[u] + p;
            }
        }
    size_t total = 0;
    for (size_t u = 0; u < V; u++)
        if (g->depth[u] == K) total = paths[u] > SIZE_MAX - total ? SIZE_MAX : total + paths[u];
    net->num_paths = total;
    return DMF_OK;
}

static int parse_conv(const cJSON *spec, dmf_network **out)
{
    conv_graph g = {0};
    size_t K = 0, *scratch = NULL;
    int status = conv_read(spec, &g);
    if (status == DMF_OK) status = conv_index(&g);
    if (status == DMF_OK && !(scratch = malloc(g.num_nodes * sizeof *scratch)))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate a graph of %zu nodes", g.num_nodes);
    if (status == DMF_OK) status = conv_check_acyclic(&g, scratch);
    if (status == DMF_OK) status = conv_depths(&g, scratch, &K);
    if (status == DMF_OK) status = conv_build(&g, K, scratch, out);
    free(scratch);
    conv_graph_free(&g);
    return status;
}

/* ---- "triplets": explicit (row, col, param, coef) per layer ---------------- */

static int parse_triplets(const cJSON *spec, dmf_network **out)
{
    const cJSON *layers;
    size_t K;
    DMF_TRY(get_array(spec, "layers", 1, DMF_MAX_LAYERS, &layers, &K));
    DMF_TRY(dmf_network_init(out, K, "triplets"));
    size_t k = 0;
    for (const cJSON *layer = layers->child; layer; layer = layer->next, k++) {
        char where[32];
        snprintf(where, sizeof where, "layer %zu: ", k + 1);
        if (!cJSON_IsObject(layer))
            return dmf_fail(DMF_ERR_FORMAT, "%sa layer is an object {\"rows\", \"cols\", \"entries\"}",
                            where);
        size_t rows, cols;
        DMF_TRY(get_size(layer, "rows", 1, where, &rows));
        DMF_TRY(get_size(layer, "cols", 1, where, &cols));
        DMF_TRY(dmf_network_set_layer(*out, k, rows, cols));
        const cJSON *entries = cJSON_GetObjectItemCaseSensitive(layer, "entries");
        if (!cJSON_IsArray(entries))
            return dmf_fail(DMF_ERR_FORMAT, "%s\"entries\" must be a list of [row, col, param, coef]",
                            where);
        if (!entries->child) return dmf_fail(DMF_ERR_FORMAT, "%sthe layer has no entries", where);
        size_t j = 1;
        for (const cJSON *entry = entries->child; entry; entry = entry->next, j++) {
            size_t row, col, param;
            if (!cJSON_IsArray(entry) || cJSON_GetArraySize(entry) != 4 ||
                !json_size(cJSON_GetArrayItem(entry, 0), 0, &row) ||
                !json_size(cJSON_GetArrayItem(entry, 1), 0, &col) ||
                !json_size(cJSON_GetArrayItem(entry, 2), 0, &param))
                return dmf_fail(DMF_ERR_FORMAT, "%sentry %zu must be [row, col, param, coef] with "
                                "integers row, col, param >= 0", where, j);
            const cJSON *coef = cJSON_GetArrayItem(entry, 3);
            if (!cJSON_IsNumber(coef) || !isfinite(coef->valuedouble))
                return dmf_fail(DMF_ERR_FORMAT, "%sentry %zu: the coefficient must be a finite "
                                "number", where, j);
            if (row >= rows || col >= cols)
                return dmf_fail(DMF_ERR_SHAPE, "%sentry %zu: (%zu, %zu) is outside M_%zu (%zu x %zu)",
                                where, j, row, col, k + 1, rows, cols);
            DMF_TRY(dmf_network_add(*out, k, row, col, param, coef->valuedouble));
        }
    }
    return DMF_OK;
}

/* ---- "butterfly": the supports of the factors of a chain ------------------- */

static int parse_butterfly(const cJSON *spec, dmf_network **out)
{
    const cJSON *list_m, *list_n;
    size_t L, Ln, radix_m[DMF_MAX_FACTORS], radix_n[DMF_MAX_FACTORS];
    DMF_TRY(get_array(spec, "radix_m", 1, DMF_MAX_FACTORS, &list_m, &L));
    DMF_TRY(get_array(spec, "radix_n", 1, DMF_MAX_FACTORS, &list_n, &Ln));
    if (L != Ln)
        return dmf_fail(DMF_ERR_SHAPE, "\"radix_m\" has %zu entries and \"radix_n\" %zu; a chain "
                        "has one of each per factor", L, Ln);
    DMF_TRY(get_size_list(list_m, "radix_m", 1, radix_m));
    DMF_TRY(get_size_list(list_n, "radix_n", 1, radix_n));
    dmf_chain_shape shape;
    DMF_TRY(dmf_chain_shape_init(&shape, L, radix_m, radix_n, NULL));
    double entries = 0;
    for (size_t k = 0; k < L; k++) {
        size_t a, b, c, d;
        dmf_range_support(&shape, k, k, &a, &b, &c, &d);
        entries += (double)a * (double)b * (double)c * (double)d;
    }
    DMF_TRY(dmf_memory_check(entries * sizeof(dmf_triplet), "the network (%zu factors, %.3g nonzeros)", L, entries));
    DMF_TRY(dmf_network_init(out, L, "butterfly"));
    for (size_t k = 0; k < L; k++) {
        /* F_k = I_a (x) 1_{b x c} (x) I_d; block (i, v) holds entries
         * (beta, gamma) at row i b d + beta d + v, col i c d + gamma d + v,
         * stored (and numbered) block by block, row-major in the block. */
        size_t a, b, c, d;
        dmf_range_support(&shape, k, k, &a, &b, &c, &d);
        DMF_TRY(dmf_network_set_layer(*out, k, a * b * d, a * c * d));
        for (size_t i = 0; i < a; i++)
            for (size_t v = 0; v < d; v++)
                for (size_t beta = 0; beta < b; beta++)
                    for (size_t gamma = 0; gamma < c; gamma++)
                        DMF_TRY(dmf_network_add(*out, k, i * b * d + beta * d + v,
                                                i * c * d + gamma * d + v,
                                                ((i * d + v) * b + beta) * c + gamma, 1.0));
    }
    return DMF_OK;
}

/* ---- "masked": one parameter per allowed entry ----------------------------- */

static int mask_from_file(dmf_network *net, size_t k, const char *file, const char *dir)
{
    char *path = NULL;
    if (dir && file[0] != '/') {
        size_t len = strlen(dir) + strlen(file) + 2;
        if (!(path = malloc(len))) return dmf_fail(DMF_ERR_NOMEM, "layer %zu: out of memory", k + 1);
        snprintf(path, len, "%s/%s", dir, file);
    }
    dmf_matrix *mask = NULL;
    int status = dmf_matrix_read(path ? path : file, &mask);
    free(path);
    if (status != DMF_OK) return dmf_fail_context(status, "layer %zu: mask", k + 1);
    const dmf_layer *layer = &net->layers[k];
    if (mask->rows != layer->rows || mask->cols != layer->cols) {
        status = dmf_fail(DMF_ERR_SHAPE, "layer %zu: the mask '%s' is %zu x %zu but M_%zu is %zu x %zu",
                          k + 1, file, mask->rows, mask->cols, k + 1, layer->rows, layer->cols);
    }
    size_t param = 0;
    for (size_t i = 0; status == DMF_OK && i < mask->rows * mask->cols; i++) {
        double complex v = dmf_get(mask->dtype, mask->data, i);
        if (v == 0) continue;
        if (v != 1)
            status = dmf_fail(DMF_ERR_FORMAT, "layer %zu: mask '%s' entry (%zu, %zu) is %g%+gi, not 0 "
                              "or 1", k + 1, file, i / mask->cols, i % mask->cols, creal(v), cimag(v));
        else
            status = dmf_network_add(net, k, i / mask->cols, i % mask->cols, param++, 1.0);
    }
    dmf_matrix_free(mask);
    return status;
}

static int mask_from_list(dmf_network *net, size_t k, const cJSON *mask)
{
    size_t rows = net->layers[k].rows, cols = net->layers[k].cols, param = 0, r = 0;
    if ((size_t)cJSON_GetArraySize(mask) != rows)
        return dmf_fail(DMF_ERR_SHAPE, "layer %zu: the mask has %d rows but M_%zu is %zu x %zu", k + 1,
                        cJSON_GetArraySize(mask), k + 1, rows, cols);
    for (const cJSON *row = mask->child; row; row = row->next, r++) {
        if (!cJSON_IsArray(row))
            return dmf_fail(DMF_ERR_FORMAT, "layer %zu: mask row %zu is not a list", k + 1, r + 1);
        if ((size_t)cJSON_GetArraySize(row) != cols)
            return dmf_fail(DMF_ERR_SHAPE,
                            "layer %zu: mask row %zu has %d entries but M_%zu is %zu x %zu", k + 1, r + 1, cJSON_GetArraySize(row), k + 1, rows, cols);
        size_t c = 0;
        for (const cJSON *v = row->child; v; v = v->next, c++) {
            int allowed = cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble == 1);
            if (!allowed && !cJSON_IsFalse(v) && !(cJSON_IsNumber(v) && v->valuedouble == 0))
                return dmf_fail(DMF_ERR_FORMAT, "layer %zu: mask entry (%zu, %zu) must be 0 or 1",
                                k + 1, r, c);
            if (allowed) DMF_TRY(dmf_network_add(net, k, r, c, param++, 1.0));
        }
    }
    return DMF_OK;
}

static int parse_masked(const cJSON *spec, const char *dir, dmf_network **out)
{
    const cJSON *sizes_list, *masks;
    size_t count, K, sizes[DMF_MAX_LAYERS + 1];
    DMF_TRY(get_array(spec, "sizes", 2, DMF_MAX_LAYERS + 1, &sizes_list, &count));
    DMF_TRY(get_size_list(sizes_list, "sizes", 1, sizes));
    K = count - 1;
    DMF_TRY(get_array(spec, "masks", 1, DMF_MAX_LAYERS, &masks, &count));
    if (count != K)
        return dmf_fail(DMF_ERR_SHAPE, "\"masks\" has %zu entries but \"sizes\" gives %zu layers",
                        count, K);
    /* A "dense" layer is sizes[k] x sizes[k + 1] triplets: refused with the
     * figure before they are made (masks from lists and files are as large
     * as their text or matrix). */
    double dense = 0;
    size_t k = 0;
    for (const cJSON *mask = masks->child; mask; mask = mask->next, k++)
        if (cJSON_IsString(mask) && !strcmp(mask->valuestring, "dense"))
            dense += (double)sizes[k] * (double)sizes[k + 1];
    DMF_TRY(dmf_memory_check(dense * sizeof(dmf_triplet), "the network's dense layers (%.3g entries)", dense));
    DMF_TRY(dmf_network_init(out, K, "masked"));
    k = 0;
    for (const cJSON *mask = masks->child; mask; mask = mask->next, k++) {
        size_t entries;
        if (!dmf_mul_size(sizes[k], sizes[k + 1], &entries))
            return dmf_fail(DMF_ERR_SHAPE, "layer %zu: M_%zu of %zu x %zu is too large", k + 1, k + 1,
                            sizes[k], sizes[k + 1]);
        DMF_TRY(dmf_network_set_layer(*out, k, sizes[k], sizes[k + 1]));
        if (cJSON_IsString(mask) && !strcmp(mask->valuestring, "dense")) {
            for (size_t i = 0; i < entries; i++)
                DMF_TRY(dmf_network_add(*out, k, i / sizes[k + 1], i % sizes[k + 1], i, 1.0));
        } else if (cJSON_IsString(mask)) {
            DMF_TRY(mask_from_file(*out, k, mask->valuestring, dir));
        } else if (cJSON_IsArray(mask)) {
            DMF_TRY(mask_from_list(*out, k, mask));
        } else {
            return dmf_fail(DMF_ERR_FORMAT, "layer %zu: a mask is a nested 0/1 list, \"dense\" or "
                            "the path of a .npy/.mtx file", k + 1);
        }
        if ((*out)->layers[k].count == 0)
            return dmf_fail(DMF_ERR_FORMAT, "layer %zu: the mask allows no entry", k + 1);
    }
    return DMF_OK;
}

/* ---- entry points ---------------------------------------------------------- */

/* `dir`: where relative mask paths start (NULL: the working directory). */
static int parse_spec(const char *text, const char *origin, const char *dir, dmf_network **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_network_parse: out is NULL");
    *out = NULL;
    if (!origin) origin = "network spec";
    if (!text) return dmf_fail(DMF_ERR_ARG, "%s: the spec text is NULL", origin);
    const char *end = NULL;
    cJSON *spec = cJSON_ParseWithOpts(text, &end, 0);
    if (!spec) {
        /* ParseWithOpts reports the error position without the global state
         * cJSON_GetErrorPtr() reads; fall back to it all the same. */
        const char *where = end ? end : cJSON_GetErrorPtr();
        size_t line = 1, column = 1;
        const char *line_start = text;
        for (const char *p = text; where && p < where && *p; p++) {
            if (*p == '\n') line++, column = 1, line_start = p + 1;
            else column++;
        }
        if (!where || !*where)
            return dmf_fail(DMF_ERR_FORMAT, "%s: malformed JSON at line %zu, column %zu (the text "
                            "ends too early)", origin, line, column);
        int shown = 0; /* the offending line, up to 60 characters */
        while (shown < 60 && line_start[shown] && !strchr("\r\n", line_start[shown])) shown++;
        return dmf_fail(DMF_ERR_FORMAT, "%s: malformed JSON at line %zu, column %zu: '%.*s'", origin,
                        line, column, shown, line_start);
    }
    int status;
    const cJSON *type = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "type") : NULL;
    if (!cJSON_IsObject(spec))
        status = dmf_fail(DMF_ERR_FORMAT, "a network spec is a JSON object with a \"type\"");
    else if (!cJSON_IsString(type))
        status = dmf_fail(DMF_ERR_FORMAT, "\"type\" is missing: it must be " TYPES);
    else if (!strcmp(type->valuestring, "conv"))
        status = parse_conv(spec, out);
    else if (!strcmp(type->valuestring, "triplets"))
        status = parse_triplets(spec, out);
    else if (!strcmp(type->valuestring, "butterfly"))
        status = parse_butterfly(spec, out);
    else if (!strcmp(type->valuestring, "masked"))
        status = parse_masked(spec, dir, out);
    else
        status = dmf_fail(DMF_ERR_FORMAT, "unknown type '%.64s': it must be " TYPES,
                          type->valuestring);
    cJSON_Delete(spec);
    if (status == DMF_OK) status = dmf_network_finish(*out);
    if (status != DMF_OK) {
        dmf_network_free(*out);
        *out = NULL;
        return dmf_fail_context(status, "%s", origin);
    }
    return DMF_OK;
}

int dmf_network_parse(const char *json_text, const char *origin, dmf_network **out)
{
    return parse_spec(json_text, origin, NULL, out);
}

int dmf_network_read(const char *path, dmf_network **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_network_read: out is NULL");
    *out = NULL;
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_network_read: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open network spec '%s': %s", path, strerror(errno));
    size_t cap = 4096, len = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *grown = realloc(text, cap *= 2);
            if (!grown) free(text);
            text = grown;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (!text) return dmf_fail(DMF_ERR_NOMEM, "cannot read network spec '%s'", path);
    if (failed) {
        free(text);
        return dmf_fail(DMF_ERR_IO, "cannot read network spec '%s'", path);
    }
    text[len] = '\0';
    /* Mask files are found next to the spec. */
    char *dir = NULL;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        dir = malloc(n + 1);
        if (!dir) {
            free(text);
            return dmf_fail(DMF_ERR_NOMEM, "cannot read network spec '%s'", path);
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int status = parse_spec(text, path, dir, out);
    free(dir);
    free(text);
    return status;
}
