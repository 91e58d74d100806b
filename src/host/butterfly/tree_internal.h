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

/* The checks dmf_butterfly_factor makes before it starts: the radices
 * multiply to the matrix size, the tree has one leaf per factor, and the
 * entries are finite. */
int dmf_butterfly_check_input(const dmf_matrix *a, const dmf_chain_shape *shape,
                              const dmf_tree *tree);

/* Factors the subtree [p, q] of `tree` from its compact target `values`
 * (laid out as dmf_range_support(p, q) says; taken over and freed) into the
 * leaves chain->blocks[p..q], as dmf_butterfly_factor does from the root.
 * Appends one record per node to `report` and adds the blocks whose SVD
 * failed to *failed.  No orthonormalization: it couples the whole tree. */
int dmf_butterfly_factor_subtree(const dmf_backend *backend, dmf_chain *chain,
                                 const dmf_tree *tree, size_t p, size_t q, void *values,
                                 dmf_butterfly_report *report, size_t *failed);

#endif
