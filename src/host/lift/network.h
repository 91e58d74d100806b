/* Deep structured linear networks X = M_1(h_1) M_2(h_2) ... M_K(h_K), each
 * M_k linear in h_k in R^S (Malgouyres & Landsberg).  Every network, however
 * it was specified, is stored as K sparse layers of triplets
 * (row, col, param, coef):  M_k(h)[row, col] += coef * h[param].
 * Layer 0 is M_1 (the output side); cols of layer k == rows of layer k+1. */
#ifndef DMF_LIFT_NETWORK_H
#define DMF_LIFT_NETWORK_H

#include "backend/backend.h"
#include "internal.h"

typedef struct {
    size_t rows, cols;   /* M_k is rows x cols */
    size_t params;       /* parameters this layer uses (<= S) */
    size_t count, capacity;
    dmf_triplet *entries;
} dmf_layer;

#define DMF_MAX_LAYERS 64
#define DMF_MAX_NAME 64

struct dmf_network {
    size_t num_layers;   /* K */
    size_t num_params;   /* S = the largest layer's parameter count */
    dmf_layer layers[DMF_MAX_LAYERS];
    /* X's columns that determine all of X, one sample is X restricted to
     * them: all columns for a general network; for a convolutional one the
     * column of translation 0 of each leaf, since the other columns are its
     * circular translates (docs/liftrank.md). */
    size_t num_probes;
    size_t *probes;
    /* Convolutional networks only (conv = 1). */
    int conv;
    size_t signal_length;                 /* N */
    size_t num_leaves, num_paths;
    char (*leaf_names)[DMF_MAX_NAME];     /* num_leaves names, in probe order */
    char kind[16];                        /* "conv", "triplets", "butterfly", "masked" */
    struct dmf_conv_edges_s *edges;       /* conv: the edges, read back by dmf_network_finish */
};

/* Starts an empty network of K layers (sizes set per layer later). */
int dmf_network_init(dmf_network **out, size_t num_layers, const char *kind);
/* Sets layer k's size; parameters are counted from the triplets added. */
int dmf_network_set_layer(dmf_network *net, size_t k, size_t rows, size_t cols);
int dmf_network_add(dmf_network *net, size_t k, size_t row, size_t col, size_t param, double coef);
/* Checks chained sizes and index ranges, sets num_params and, if no probe
 * was set, probes every column.  Messages name the layer. */
int dmf_network_finish(dmf_network *net);

/* Rows and columns of X. */
size_t dmf_network_rows(const dmf_network *net);
size_t dmf_network_cols(const dmf_network *net);

/* The edges of a convolutional network, read back from its triplets:
 * parameters [first, first + count) of layer `layer` form the kernel of the
 * edge from node `child` (numbered within depth layer + 1) to node `parent`
 * (within depth layer; the root is node 0 of depth 0). */
typedef struct { size_t layer, parent, child, first, count; } dmf_conv_edge;
typedef struct dmf_conv_edges_s {
    size_t num_edges;
    dmf_conv_edge *edges;                  /* layer by layer */
    size_t first_edge[DMF_MAX_LAYERS + 1]; /* edges of layer k: [first_edge[k], first_edge[k + 1]) */
    /* Parameter j of layer k adds coef[param_at[k] + j] times the shift by
     * shift[param_at[k] + j] (the kernel tap it is). */
    size_t *shift;
    double *coef;
    size_t param_at[DMF_MAX_LAYERS + 1];
    size_t num_nodes[DMF_MAX_LAYERS + 1];  /* |V_k|, k = 0 (the root) ... K (the leaves) */
} dmf_conv_edges;
int dmf_conv_edges_get(const dmf_network *net, dmf_conv_edges *g);
/* Whether every node but the root has exactly one edge towards the root (a
 * tree: one leaf-root path per leaf); else 0 with the first node that has
 * several in *node, *depth. */
int dmf_conv_edges_tree(const dmf_conv_edges *g, size_t K, size_t *depth, size_t *node);
/* The leaves' kernels y (num_probes x N, row-major, in probe order) of
 * M(h): y_f = sum over the leaf-root paths of f of the convolution of their
 * edges' kernels, built from the root down (a node's kernel is the sum over
 * its edges of the edge's kernel convolved with the parent's), in
 * O(sum_e |S_e| N) operations, never the N x N|F| product. */
int dmf_conv_kernels(const dmf_network *net, const dmf_conv_edges *g, const double *h, double *y);
/* The same with work space of 2 dmf_conv_widest(g, K) N doubles. */
void dmf_conv_kernels_with(const dmf_network *net, const dmf_conv_edges *g, const double *h, double *y, double *work);
/* The most nodes of one depth. */
size_t dmf_conv_widest(const dmf_conv_edges *g, size_t K);
void dmf_conv_edges_free(dmf_conv_edges *g);
/* Calls visit(path) for every leaf-root path, path[k] the edge of layer k
 * (root side first); stops at the first status visit returns other than
 * DMF_OK and returns it. */
int dmf_conv_paths_each(const dmf_network *net, const dmf_conv_edges *g,
                        int (*visit)(const size_t *path, void *data), void *data);

/* The index tuples of [S_1] x ... x [S_K] whose monomials can reach X:
 * exactly the tuples along valid paths for a convolutional network and for
 * one whose parameters each sit in one entry (rule "valid paths"), else
 * the product S_1 ... S_K (rule "monomials").  Saturates at SIZE_MAX. */
int dmf_network_valid_monomials(const dmf_network *net, size_t *count, const char **rule);

/* The explicit lifted operator A (rows(X)*|probes| x `columns`,
 * column-major): column c is the sample of (e_{i_1}, ..., e_{i_K}), i_k the
 * mixed-radix digits of c (i_K the fastest), every column in one call of
 * the backend's lift_samples.  A is scaled by 2^-*log2_scale where the
 * layers' coefficients would leave double's range (liftrank.c). */
int dmf_lift_operator(const dmf_backend *be, const dmf_network *net, size_t columns, double *a, int *log2_scale);

/* Singular values of the column-major rows x cols matrix `a` (destroyed),
 * descending, by LAPACK's dgesdd. */
int dmf_singular_values(double *a, size_t rows, size_t cols, double *sv);

#endif
