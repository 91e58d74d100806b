#ifndef DMF_TREE_INTERNAL_H
#define DMF_TREE_INTERNAL_H

#include "chain_internal.h"

struct dmf_tree {
    size_t num_factors;
    size_t split[DMF_MAX_FACTORS * DMF_MAX_FACTORS]; /* split[p*L + q] for p < q */
    char name[16];   /* "l2r", "r2l", "balanced" or "custom" */
    char text[1024]; /* canonical nested list */
};

size_t dmf_tree_split(const dmf_tree *tree, size_t p, size_t q);

/* The checks made before a factorization starts: the radices multiply to
 * the matrix size, the tree has one leaf per factor (check_shape), and the
 * entries are finite (check_input does all three; dmf_butterfly_factor
 * leaves finiteness to dmf_butterfly_scale_input's pass over the data). */
int dmf_butterfly_check_shape(const dmf_matrix *a, const dmf_chain_shape *shape,
                              const dmf_tree *tree);
int dmf_butterfly_check_input(const dmf_matrix *a, const dmf_chain_shape *shape,
                              const dmf_tree *tree);
/* What every factorization driver starts from: the options (opts_in, or
 * the defaults when NULL, rank >= 1), the rank of every split and the
 * chain's shape, checked against `a` and `tree` (check_shape). */
int dmf_butterfly_prepare(const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n, size_t num_factors,
                          const dmf_tree *tree, const dmf_butterfly_options *opts_in, dmf_butterfly_options *opts,
                          size_t ranks[DMF_MAX_FACTORS], dmf_chain_shape *shape);

/* The record of node [p, q] split after l, with the split's sums; time_s
 * from `start`. */
dmf_node_report dmf_node_record(const dmf_chain_shape *shape, size_t p, size_t l, size_t q,
                                const dmf_split_stats *stats, double start);

/* Walks the subtree [p, q] of `tree` depth-first from its compact target
 * `values` (the backend's memory; freed unless it is `input`, which only a
 * host-memory backend passes; its rows root_stride entries apart, 0 for
 * packed rows, wider only on the CPU), splitting every node with the backend's
 * split_rank_r.  leaves[k] receives factor k's buffer: adopted by the chain
 * on a host-memory backend, otherwise for the caller to download.  Appends
 * one record per node to `report` and, when node_stats is not NULL, the
 * node's sums at the same index of node_stats. */
int dmf_butterfly_walk(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                       const dmf_butterfly_options *opts, size_t p, size_t q, void *values,
                       const void *input, size_t root_stride, void **leaves, dmf_butterfly_report *report,
                       dmf_split_stats *node_stats, size_t *failed);

/* The whole tree from the root target `root` (stream.c): as
 * dmf_butterfly_walk, except that on a host-memory backend a root whose
 * larger half would be big is factored without that half ever being whole
 * in memory.  The factors and the records are those of the walk.
 * *root_sq gets the root split's sum of the squares of the target's
 * entries (NaN when the tree has no split or failed). */
int dmf_butterfly_stream_top(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                             const dmf_butterfly_options *opts, void *root, const void *input,
                             void **leaves, dmf_butterfly_report *report, size_t *failed, double *root_sq);

/* The subtree [lo, hi] from its compact target `values` (taken over and
 * freed), as dmf_butterfly_walk, one block of the target at a time on each
 * thread where it has several of min_block_bytes or more (stream_lower.c);
 * leaves[lo..hi] are then the chain's factors.  The streamed top's lower
 * node. */
int dmf_butterfly_walk_blocks(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                              const dmf_butterfly_options *opts, size_t lo, size_t hi, void *values,
                              size_t min_block_bytes, void **leaves, dmf_butterfly_report *report,
                              size_t *failed);

/* Node records summed over independent parts of a walk (streamed groups,
 * the lower node's blocks): a node first seen is appended, in the first
 * part's order; time_s is the parts' sum. */
typedef struct {
    size_t count;
    dmf_node_report nodes[DMF_MAX_FACTORS];
    dmf_split_stats stats[DMF_MAX_FACTORS];
    size_t failed;
} dmf_part_records;
void dmf_part_records_add(dmf_part_records *sums, const dmf_node_report *rec, const dmf_split_stats *stats);
/* Appends the sums to `report`, each node's rel_error from its sums. */
void dmf_part_records_report(dmf_part_records *sums, dmf_butterfly_report *report);

/* A part's chain (recycled_blocks set): its factors back to this thread's
 * work buffers, then the chain. */
void dmf_part_chain_free(dmf_chain *part);

/* In a parallel region, on every thread once its parts are done: the status
 * and message (dmf_last_error, `cap` bytes) of the first thread whose part
 * failed are kept in *status and message for after the region. */
void dmf_parallel_failed(int mine, int *status, char *message, size_t cap);

/* Copies `count` of the `extent` middle slices at `begin`, for every outer
 * index, between a full array (outer x extent x inner) and a packed one
 * (outer x count x inner); elem bytes an entry. */
void dmf_copy_slices(size_t outer, size_t extent, size_t inner, size_t begin, size_t count, size_t elem,
                     const void *from, void *to, int into_full);

/* When the root is streamed, for tests: streaming starts when the root's
 * larger half holds at least min_half_bytes, and takes the input
 * group_bytes at a time (about); the lower node goes a block at a time
 * when its blocks hold at least lower_block_bytes.  NULL restores the
 * defaults.  Not thread-safe: set it before factoring. */
typedef struct {
    size_t min_half_bytes, group_bytes, lower_block_bytes;
} dmf_stream_limits;
void dmf_butterfly_set_stream_limits(const dmf_stream_limits *limits);

/* Factors the subtree [p, q] of `tree` from its compact target `values`
 * (laid out as dmf_range_support(p, q) says; taken over and freed) into the
 * leaves chain->blocks[p..q], as dmf_butterfly_factor does from the root.
 * Appends one record per node to `report` and adds the blocks whose SVD
 * failed to *failed.  No orthonormalization: it couples the whole tree. */
int dmf_butterfly_factor_subtree(const dmf_backend *backend, dmf_chain *chain,
                                 const dmf_tree *tree, size_t p, size_t q, void *values,
                                 dmf_butterfly_report *report, size_t *failed);

/* Inputs whose largest entry lies outside the range the kernels square
 * safely (dmf_range_shift) are factored as a copy scaled by 2^shift, which
 * brings that entry to 2^(B-2) ... 2^(B-1), near the top of the range:
 * *scaled is that copy (free() it) or NULL with *shift = 0.  The same pass
 * over the input checks it is finite (DMF_ERR_NUMERIC naming an entry). */
int dmf_butterfly_scale_input(const dmf_matrix *a, void **scaled, int *shift);

/* Multiplies the chain's product by 2^exponent exactly: into the one
 * factor whose entries stay normal and end nearest 1, else spread over the
 * nonzero factors with balanced largest entries; DMF_ERR_NUMERIC when even
 * that overflows the dtype. */
int dmf_butterfly_unscale(dmf_chain *chain, int exponent);

/* DMF_ERR_NUMERIC naming the factor and entry when a value is not finite. */
int dmf_chain_check_finite(const dmf_chain *chain);

#endif
