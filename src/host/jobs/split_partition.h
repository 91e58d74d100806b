/* Sharing one butterfly split between several workers, and the tree between
 * groups of workers.  Plain C with no MPI, so the slicing is tested on its
 * own: running split_rank_r on every slice and inserting the results gives
 * the W and H of the whole split, bit for bit. */
#ifndef DMF_SPLIT_PARTITION_H
#define DMF_SPLIT_PARTITION_H

#include "butterfly/tree_internal.h"

/* The index of the sub-blocks ((i*d + v)*b2 + u)*c1 + j that is cut. */
typedef enum { DMF_SLICE_I = 0, DMF_SLICE_V = 1, DMF_SLICE_U = 2, DMF_SLICE_J = 3 } dmf_slice_dim;

/* A 3-D array outer x extent x inner (elements); a slice keeps the middle
 * indices [begin, begin + count) of every outer index. */
typedef struct {
    size_t outer, extent, inner;
} dmf_slice_layout;

typedef struct {
    dmf_slice_dim dim;
    size_t begin, count;
} dmf_split_slice;

/* The index to cut among `parts` workers: the first of i, v, u, j with at
 * least `parts` values, else the one with the most.  i comes first because
 * its slices of T, W and H are contiguous; j comes last because cutting it
 * narrows the kernel's tiles of sub-blocks. */
dmf_slice_dim dmf_slice_choose(const dmf_split_geometry *g, size_t parts);
/* Worker k's share (k < parts): contiguous, sizes differing by at most one;
 * empty when the index has fewer values than there are workers. */
dmf_split_slice dmf_slice_part(const dmf_split_geometry *g, dmf_slice_dim dim, size_t parts,
                               size_t k);
/* The geometry of the sub-problem: the cut index runs over `count` values. */
dmf_split_geometry dmf_slice_geometry(const dmf_split_geometry *g, dmf_split_slice s);
/* Where the cut index sits in the target T and the halves W and H (see
 * backend.h for their layouts).  The slice of each, packed, is exactly the
 * target or half of the sub-problem. */
void dmf_slice_layouts(const dmf_split_geometry *g, dmf_slice_dim dim, dmf_slice_layout *t,
                       dmf_slice_layout *w, dmf_slice_layout *h);
size_t dmf_slice_elements(const dmf_slice_layout *l, size_t count);
/* Packs the slice of `full` into `part`, and back. */
void dmf_slice_extract(const dmf_slice_layout *l, size_t begin, size_t count, size_t elem,
                       const void *full, void *part);
void dmf_slice_insert(const dmf_slice_layout *l, size_t begin, size_t count, size_t elem,
                      const void *part, void *full);

/* Work of factoring the subtree [p, q]: the entries its splits read, the
 * cost that dominates a split (0 for a leaf). */
double dmf_subtree_work(const dmf_chain_shape *shape, const dmf_tree *tree, size_t p, size_t q);
/* How many of `workers` (>= 2) go to the left child when both children
 * need splitting: in proportion to their work, at least one each. */
size_t dmf_share_workers(size_t workers, double left_work, double right_work);

#endif
